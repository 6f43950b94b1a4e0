package store

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
	"time"

	"github.com/digest-newsletter/digest/digest"
)

// TestMigrateFromVersion1 opens a state written by the first schema (no
// journal.run column) and checks the journal is kept and usable.
func TestMigrateFromVersion1(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "digest.db")
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`CREATE TABLE schema_version (version INTEGER NOT NULL) STRICT`,
		`INSERT INTO schema_version (version) VALUES (1)`,
		migrations[0],
		`INSERT INTO journal VALUES ('2026-11-28', 'smtp', 'ann@example.com', 'sent', 'id@x', '250 ok', 1, '2026-11-28T07:00:00.000000000Z')`,
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	db.Close()

	s, err := Open(ctx, path)
	if err != nil {
		t.Fatalf("Open of a version 1 state: %v", err)
	}
	defer s.Close()
	rows, err := s.Deliveries(ctx, "2026-11-28", "smtp", []string{"ann@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	if got := rows["ann@example.com"]; got.Status != digest.Sent || got.Run != "" {
		t.Errorf("old row after migration = %+v, want sent with no run", got)
	}
	d := digest.Delivery{Edition: "2026-11-29", Channel: "smtp", Email: "bob@example.com", Status: digest.Sending, Updated: time.Now(), Run: "r1"}
	if err := s.Record(ctx, []digest.Delivery{d}); err != nil {
		t.Fatal(err)
	}
	rows, _ = s.Deliveries(ctx, "2026-11-29", "smtp", []string{"bob@example.com"})
	if rows["bob@example.com"].Run != "r1" {
		t.Errorf("run = %q, want r1", rows["bob@example.com"].Run)
	}
}
