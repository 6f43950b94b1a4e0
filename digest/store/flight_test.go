package store

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/digest-newsletter/digest/digest"
)

func TestRecoverFlight(t *testing.T) {
	if bootID() == "" {
		t.Skip("no boot ID on this system: flight logs are always ignored")
	}
	ctx := context.Background()
	dir := t.TempDir()
	s, err := Open(ctx, filepath.Join(dir, "digest.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	now := time.Date(2026, 11, 29, 7, 0, 0, 0, time.UTC)
	row := func(email string, st digest.DeliveryStatus) digest.Delivery {
		return digest.Delivery{Edition: "2026-11-29", Channel: "smtp", Email: email, Status: st, MessageID: "id-" + email, Updated: now}
	}
	claimed := []digest.Delivery{
		row("sent@example.com", digest.Sending),    // attempted, result logged, journal not updated
		row("flying@example.com", digest.Sending),  // attempted, no result: truly in flight
		row("waiting@example.com", digest.Sending), // claimed, never attempted
		row("deferred@example.com", digest.Sending),
		row("recorded@example.com", digest.Sending), // result already in the journal
	}
	path := FlightPath(s.Path())
	fl, err := OpenFlight(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := fl.Claimed(claimed); err != nil {
		t.Fatal(err)
	}
	if err := s.Record(ctx, claimed); err != nil {
		t.Fatal(err)
	}
	for _, e := range []string{"sent@example.com", "flying@example.com", "deferred@example.com", "recorded@example.com"} {
		fl.Attempting(row(e, digest.Sending))
	}
	sent := row("sent@example.com", digest.Sent)
	sent.Reply = "250 2.0.0 Ok: queued as 7\tand a tab"
	fl.Finished(sent)
	deferred := row("deferred@example.com", digest.Deferred)
	deferred.Reply = "451 later"
	fl.Finished(deferred)
	done := row("recorded@example.com", digest.Sent)
	fl.Finished(done)
	if err := s.Record(ctx, []digest.Delivery{done}); err != nil {
		t.Fatal(err)
	}
	// The process dies here: no Close. A torn last entry is left behind.
	tear(t, path, "R\t2026-11-29\tsmtp\tflying@exa")

	rec, err := s.RecoverFlight(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	want := FlightRecovery{Found: true, Pending: 1, Finished: 2, Unknown: 1}
	if rec != want {
		t.Errorf("recovery = %+v, want %+v", rec, want)
	}
	rows, _ := s.Deliveries(ctx, "2026-11-29", "smtp", []string{"sent@example.com", "flying@example.com", "waiting@example.com", "deferred@example.com", "recorded@example.com"})
	wantStatus := map[string]digest.DeliveryStatus{
		"sent@example.com": digest.Sent, "flying@example.com": digest.Sending, "waiting@example.com": digest.Pending,
		"deferred@example.com": digest.Deferred, "recorded@example.com": digest.Sent,
	}
	for email, st := range wantStatus {
		if got := rows[email].Status; got != st {
			t.Errorf("%s: status %s, want %s", email, got, st)
		}
	}
	if got := rows["sent@example.com"].Reply; got != sent.Reply {
		t.Errorf("reply %q, want %q", got, sent.Reply)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("flight log still there after recovery: %v", err)
	}
}

func TestRecoverFlightFromAnotherBoot(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "digest.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	claim := digest.Delivery{Edition: "e", Channel: "smtp", Email: "a@example.com", Status: digest.Sending, Updated: time.Now()}
	if err := s.Record(ctx, []digest.Delivery{claim}); err != nil {
		t.Fatal(err)
	}
	path := FlightPath(s.Path())
	os.WriteFile(path, append([]byte(flightMagic+" 00000000-boot-before-the-crash\n"), appendEntry(nil, 'C', claim)...), 0o600)
	rec, err := s.RecoverFlight(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if !rec.Found || !rec.Ignored || rec.Pending != 0 {
		t.Errorf("recovery = %+v, want the log ignored", rec)
	}
	rows, _ := s.Deliveries(ctx, "e", "smtp", []string{"a@example.com"})
	if rows["a@example.com"].Status != digest.Sending {
		t.Errorf("status %s, want sending: after a reboot the claim must stay unknown", rows["a@example.com"].Status)
	}
}

func TestFlightCloseRemovesTheLog(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.flight")
	fl, err := OpenFlight(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := fl.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("log left after Close: %v", err)
	}
	if err := fl.Attempting(digest.Delivery{}); err == nil {
		t.Error("writing to a closed log succeeded")
	}
}

func TestFlightSegmentsStaySmall(t *testing.T) {
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
	fl, err := OpenFlightWith(path, FlightOptions{Segment: 256 << 10})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	row := func(i int, st digest.DeliveryStatus) digest.Delivery {
		return digest.Delivery{Edition: "e", Channel: "smtp", Email: fmt.Sprintf("r%05d@example.com", i), Status: st, Updated: now}
	}
	// A long run: 6,000 deliveries claimed (more than a segment holds),
	// tried and recorded.
	var claims, results []digest.Delivery
	for i := range 6000 {
		claims = append(claims, row(i, digest.Sending))
		results = append(results, row(i, digest.Sent))
	}
	if err := fl.Claimed(claims); err != nil {
		t.Fatal(err)
	}
	s.Record(ctx, claims)
	for i := range claims {
		fl.Attempting(claims[i])
		fl.Finished(results[i])
	}
	s.Record(ctx, results)
	if err := fl.Recorded(results); err != nil {
		t.Fatal(err)
	}
	segs, _ := flightSegments(path)
	if len(segs) != 1 || segs[0] == 0 {
		t.Fatalf("segments on disk after everything was recorded: %v, want only the current one", segs)
	}
	// Then three more, and the process dies.
	tail := []digest.Delivery{row(9000, digest.Sending), row(9001, digest.Sending), row(9002, digest.Sending)}
	fl.Claimed(tail)
	s.Record(ctx, tail)
	fl.Attempting(tail[0])
	fl.Finished(row(9000, digest.Sent))
	fl.Attempting(tail[1])
	segs, _ = flightSegments(path)
	tear(t, segmentPath(path, segs[len(segs)-1]), "A\te\tsmtp\tr09002@exam")

	rec, err := s.RecoverFlight(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if want := (FlightRecovery{Found: true, Pending: 1, Finished: 1, Unknown: 1}); rec != want {
		t.Errorf("recovery = %+v, want %+v", rec, want)
	}
	if segs, _ := flightSegments(path); len(segs) != 0 {
		t.Errorf("segments left after recovery: %v", segs)
	}
}

// tear writes the start of an entry where the log's entries end, as a
// process killed in the middle of one leaves it.
func tear(t *testing.T, path, partial string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	end := len(data)
	if i := bytes.IndexByte(data, 0); i >= 0 {
		end = i // a mapped segment: zeros after the entries
	}
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteAt([]byte(partial), int64(end)); err != nil {
		t.Fatal(err)
	}
}
