package store

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"strings"
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

// makeVersion3 makes a state of schema version 3 (before bounces) that
// holds one suppressed address, and returns what Open takes.
func makeVersion3(t *testing.T, engine string) string {
	t.Helper()
	const row = `INSERT INTO suppressed (email, reason, at) VALUES ('ann@example.com', 'unsubscribed', '2026-11-28T07:00:00.000000000Z')`
	if engine == "postgres" {
		u := pg.Database(t)
		execSQL(t, u, postgresSchema+`; INSERT INTO schema_version (version) VALUES (3); `+row)
		return u
	}
	path := filepath.Join(t.TempDir(), "digest.db")
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	qs := append([]string{`CREATE TABLE schema_version (version INTEGER NOT NULL) STRICT`,
		`INSERT INTO schema_version (version) VALUES (3)`}, migrations[:3]...)
	for _, q := range append(qs, row) {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	return path
}

// TestMigrateOnPurpose checks that Migrate upgrades an older state in
// one go and says from which version to which, and is a no-op on a
// current one; that OpenReadOnly refuses an older state of either kind
// with an *OldSchemaError; and that Open refuses an older PostgreSQL
// state the same way, leaving it as it is, where it upgrades a SQLite
// file by itself.
func TestMigrateOnPurpose(t *testing.T) {
	ctx := t.Context()
	for _, engine := range []string{"sqlite", "postgres"} {
		t.Run(engine, func(t *testing.T) {
			state := makeVersion3(t, engine)
			var old *OldSchemaError
			if s, err := OpenReadOnly(ctx, state); !errors.As(err, &old) || old.Version != 3 {
				if err == nil {
					s.Close()
				}
				t.Fatalf("OpenReadOnly of a version 3 state: %v, want an *OldSchemaError of version 3", err)
			}
			if engine == "postgres" {
				s, err := Open(ctx, state)
				if err == nil {
					s.Close()
				}
				if !errors.As(err, &old) || old.Version != 3 {
					t.Fatalf("Open of a version 3 PostgreSQL state: %v, want an *OldSchemaError of version 3", err)
				}
				want := "has schema version 3, older than this digest's 4"
				if !strings.Contains(err.Error(), want) || strings.Contains(err.Error(), "digest-test-password") {
					t.Errorf("Open: %v, want %q and no password", err, want)
				}
			}
			from, to, err := Migrate(ctx, state)
			if err != nil || from != 3 || to != len(migrations) {
				t.Fatalf("Migrate = %d, %d, %v; want 3, %d", from, to, err, len(migrations))
			}
			if from, to, err = Migrate(ctx, state); err != nil || from != to || to != len(migrations) {
				t.Errorf("Migrate again = %d, %d, %v; want %d, %[4]d", from, to, err, len(migrations))
			}
			s, err := Open(ctx, state)
			if err != nil {
				t.Fatalf("Open after Migrate: %v", err)
			}
			defer s.Close()
			sups, err := s.Suppressions(ctx)
			if err != nil || len(sups) != 1 || sups[0].Email != "ann@example.com" {
				t.Errorf("Suppressions after Migrate = %+v, %v; want ann's kept", sups, err)
			}
			if ok, err := s.ReportRecorded(ctx, "r1"); err != nil || ok {
				t.Errorf("ReportRecorded on the new bounce tables = %v, %v", ok, err)
			}
		})
	}
}

// TestMigrateRefuses checks that Migrate makes no state where there is
// none and leaves a newer digest's alone.
func TestMigrateRefuses(t *testing.T) {
	ctx := t.Context()
	if _, _, err := Migrate(ctx, filepath.Join(t.TempDir(), "none.db")); err == nil {
		t.Error("Migrate of a missing file succeeded")
	}
	u := pg.Database(t)
	var nse *NotStateError
	if _, _, err := Migrate(ctx, u); !errors.As(err, &nse) || !nse.Empty {
		t.Errorf("Migrate of an empty database: %v, want a *NotStateError, Empty", err)
	}
	if err := MakePostgresState(ctx, u); err != nil {
		t.Fatal(err)
	}
	execSQL(t, u, `UPDATE schema_version SET version = 99`)
	if _, _, err := Migrate(ctx, u); !errors.As(err, &nse) || !nse.Newer {
		t.Errorf("Migrate of a newer state: %v, want a *NotStateError, Newer", err)
	}
}
