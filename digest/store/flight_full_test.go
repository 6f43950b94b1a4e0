package store

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/digest-newsletter/digest/digest"
)

// noRoom is a Reserve that finds the file system full from its call number
// from on (counting from 1).
func noRoom(from int) func(f *os.File, size int64) error {
	n := 0
	return func(f *os.File, size int64) error {
		n++
		if n >= from {
			return syscall.ENOSPC
		}
		return reserveFile(f, size)
	}
}

// A file system without room for the first segment: OpenFlight fails with
// an error naming the file and its file system, and leaves no log.
func TestFlightNoRoomAtOpen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "digest.db.flight")
	_, err := OpenFlightWith(path, FlightOptions{Reserve: noRoom(1)})
	if !errors.Is(err, syscall.ENOSPC) || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "file system of "+filepath.Dir(path)) {
		t.Errorf("err = %v, want ENOSPC naming %s and its file system", err, path)
	}
	if segs, _ := flightSegments(path); len(segs) != 0 {
		t.Errorf("segments left: %v", segs)
	}
}

// A later segment without room: the write that needs it fails with the
// file system's error, no empty segment is left behind, and what was
// logged before is still recovered after a crash.
func TestFlightNoRoomForLaterSegment(t *testing.T) {
	if bootID() == "" {
		t.Skip("no boot ID on this system: flight logs are always ignored")
	}
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "digest.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	path := FlightPath(s.Path())
	fl, err := OpenFlightWith(path, FlightOptions{Segment: 16 << 10, Reserve: noRoom(2)})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	var claimed []digest.Delivery
	var werr error
	for i := 0; werr == nil && i < 1000; i++ {
		d := digest.Delivery{Edition: "e", Channel: "smtp", Email: fmt.Sprintf("r%04d@example.com", i), Status: digest.Sending, Updated: now}
		if werr = fl.Claimed([]digest.Delivery{d}); werr == nil {
			claimed = append(claimed, d)
		}
	}
	if !errors.Is(werr, syscall.ENOSPC) || !strings.Contains(werr.Error(), segmentPath(path, 1)) {
		t.Fatalf("write past the first segment: err = %v, want ENOSPC naming %s", werr, segmentPath(path, 1))
	}
	if err := fl.Attempting(claimed[0]); !errors.Is(err, syscall.ENOSPC) && err != nil {
		t.Errorf("Attempting: %v", err)
	}
	if segs, _ := flightSegments(path); len(segs) != 1 || segs[0] != 0 {
		t.Errorf("segments on disk: %v, want only the first", segs)
	}
	// The process dies here: the claims logged are settled.
	if err := s.Record(ctx, claimed); err != nil {
		t.Fatal(err)
	}
	rec, err := s.RecoverFlight(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if rec.Ignored || rec.Pending+rec.Unknown != len(claimed) || rec.Unknown > 1 {
		t.Errorf("recovery = %+v, want %d claims settled, at most the attempted one unknown", rec, len(claimed))
	}
}
