package store_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"time"

	"github.com/digest-newsletter/digest/digest"
	"github.com/digest-newsletter/digest/digest/store"
)

// A run takes the lock, opens the state, records its deliveries and reads
// them back; a second run at the same time is refused.
func Example() {
	dir, err := os.MkdirTemp("", "digest")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "digest.db")
	ctx := context.Background()

	unlock, err := store.Lock(path)
	if err != nil {
		log.Fatal(err)
	}
	defer unlock()
	if _, err := store.Lock(path); errors.Is(err, digest.ErrLocked) {
		fmt.Println("second run refused")
	}

	s, err := store.Open(ctx, path)
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()
	now := time.Date(2026, 11, 29, 7, 0, 0, 0, time.UTC)
	err = s.Record(ctx, []digest.Delivery{
		{Edition: "2026-11-29", Channel: "smtp", Email: "Ann@Example.com", Status: digest.Sent, Reply: "250 OK", Attempts: 1, Updated: now},
		{Edition: "2026-11-29", Channel: "smtp", Email: "bob@example.com", Status: digest.Sending, Attempts: 1, Updated: now},
	})
	if err != nil {
		log.Fatal(err)
	}
	counts, err := s.Counts(ctx, "2026-11-29", "smtp")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(counts[digest.Sent], "sent,", counts[digest.Sending], "unknown")
	rows, err := s.Deliveries(ctx, "2026-11-29", "smtp", []string{"ann@example.com"})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(rows["ann@example.com"].Reply)
	// Output:
	// second run refused
	// 1 sent, 1 unknown
	// 250 OK
}
