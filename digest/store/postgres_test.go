package store

import (
	"context"
	"errors"
	"net"
	"net/url"
	"strings"
	"testing"

	"github.com/digest-newsletter/digest/digest"
	"github.com/jackc/pgx/v5"
)

func TestRebind(t *testing.T) {
	tests := []struct{ in, want string }{
		{"SELECT 1", "SELECT 1"},
		{"WHERE a = ? AND b IN (?, ?)", "WHERE a = $1 AND b IN ($2, $3)"},
		{"VALUES (?, ?, ?), (?1, ?2, ?)", "VALUES ($1, $2, $3), ($1, $2, $4)"},
		{"SELECT '?', \"a?\", ? -- what?\n, ?", "SELECT '?', \"a?\", $1 -- what?\n, $2"},
		{"x = '", "x = '"},
	}
	for _, tt := range tests {
		if got := rebind(tt.in); got != tt.want {
			t.Errorf("rebind(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	// recordSQL's first row binds ?1 to ?9; the second refers to the first
	// three and binds six more.
	got := rebind(recordSQL(2, 3))
	if !strings.Contains(got, "($1, $2, $3, $4, $5, $6, $7, $8, $9), ($1, $2, $3, $10, $11, $12, $13, $14, $15)") {
		t.Errorf("rebind(recordSQL(2, 3)) = %s", got)
	}
}

func TestPostgresSchemaVersion(t *testing.T) {
	if got := postgresBase + len(postgresMigrations); got != len(migrations) {
		t.Errorf("PostgreSQL schema reaches version %d, SQLite's %d: add the migration to postgresMigrations too", got, len(migrations))
	}
}

// execSQL runs SQL on the database at u as the superuser.
func execSQL(t *testing.T, u, sql string) {
	t.Helper()
	conn, err := pgx.Connect(t.Context(), u)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(t.Context(), sql); err != nil {
		t.Fatal(err)
	}
}

// TestPostgresRefuses checks that a database that is not digest's state
// is never taken for one, nor made into one: an empty database waits for
// MakePostgresState, another application's is left alone, and a newer
// digest's is refused, each with a *NotStateError that says so.
func TestPostgresRefuses(t *testing.T) {
	ctx := t.Context()
	tests := []struct {
		name      string
		setup     string // SQL run on the new database
		make      bool   // MakePostgresState first
		wantEmpty bool
		wantNewer bool
		reason    string
		makeErr   string // what MakePostgresState says, "" for success
	}{
		{name: "empty", wantEmpty: true, reason: "has no tables in schema public: digest's state was never made there"},
		{name: "another application", setup: `CREATE TABLE customers (id int); CREATE TABLE orders (id int)`,
			reason:  "is a PostgreSQL database without digest's tables (schema public has tables customers, orders)",
			makeErr: "is not empty (schema public has tables customers, orders)"},
		{name: "newer digest", make: true, setup: `UPDATE schema_version SET version = 99`, wantNewer: true,
			reason:  "was written by a newer digest (schema version 99; this digest knows up to 4)",
			makeErr: "holds a digest state already (schema public); it is kept"},
		{name: "unfinished", setup: `CREATE TABLE schema_version (version INTEGER NOT NULL)`,
			reason: "has no schema version: it was never made by digest", makeErr: "holds a digest state already"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u := pg.Database(t)
			if tt.make {
				if err := MakePostgresState(ctx, u); err != nil {
					t.Fatal(err)
				}
			}
			if tt.setup != "" {
				execSQL(t, u, tt.setup)
			}
			for name, open := range map[string]func() (*Store, error){
				"Open":         func() (*Store, error) { return Open(ctx, u) },
				"OpenReadOnly": func() (*Store, error) { return OpenReadOnly(ctx, u) },
			} {
				s, err := open()
				if err == nil {
					s.Close()
					t.Fatalf("%s succeeded", name)
				}
				var nse *NotStateError
				if !errors.As(err, &nse) {
					t.Fatalf("%s: %v, want a *NotStateError", name, err)
				}
				if nse.Empty != tt.wantEmpty || nse.Newer != tt.wantNewer || nse.Reason != tt.reason {
					t.Errorf("%s: %+v, want Empty %v, Newer %v, Reason %q", name, nse, tt.wantEmpty, tt.wantNewer, tt.reason)
				}
				if strings.Contains(err.Error(), "digest-test-password") {
					t.Errorf("%s: error shows the password: %v", name, err)
				}
			}
			err := MakePostgresState(ctx, u)
			switch {
			case tt.makeErr == "" && err != nil:
				t.Errorf("MakePostgresState: %v", err)
			case tt.makeErr != "" && (err == nil || !strings.Contains(err.Error(), tt.makeErr)):
				t.Errorf("MakePostgresState: %v, want an error saying %q", err, tt.makeErr)
			}
			if tt.makeErr != "" {
				// What was there is left as it was.
				if s, err := Open(ctx, u); err == nil {
					s.Close()
					t.Errorf("Open succeeded after a refused MakePostgresState")
				}
			}
		})
	}
}

// TestPostgresSchema checks that a state can live in a schema of its own
// (search_path in the URL) beside another application's tables.
func TestPostgresSchema(t *testing.T) {
	ctx := t.Context()
	u := pg.Database(t)
	execSQL(t, u, `CREATE TABLE customers (id int); CREATE SCHEMA news`)
	in := u + "&search_path=news"
	if err := MakePostgresState(ctx, in); err != nil {
		t.Fatal(err)
	}
	s, err := Open(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Suppress(ctx, "ann@example.com", "test", day); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(ctx, u+"&search_path=nowhere"); err == nil || !strings.Contains(err.Error(), "no schema of its search_path exists") {
		t.Errorf("Open with a missing schema: %v", err)
	}
}

// TestPostgresBadConnection checks the errors of a database that cannot
// be reached or refuses the password: each names the state without its
// password.
func TestPostgresBadConnection(t *testing.T) {
	ctx := t.Context()
	srv := pg.Server(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := l.Addr().String()
	l.Close()
	wrong, _ := url.Parse(srv.URL("postgres"))
	wrong.User = url.UserPassword("digest", "not-the-password")
	down, _ := url.Parse(srv.URL("postgres"))
	down.Host = closed
	tests := []struct {
		name, url, want string
	}{
		{"unreachable", down.String(), "connect to postgres://digest:xxxxx@" + closed + "/postgres?sslmode=disable: "},
		{"wrong password", wrong.String(), "password authentication failed for user \"digest\""},
		{"not a URL", "postgres://digest:secret@[::1/x", "does not parse as a PostgreSQL URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Open(ctx, tt.url)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Open: %v, want an error containing %q", err, tt.want)
			}
			for _, secret := range []string{"not-the-password", "secret", "digest-test-password"} {
				if strings.Contains(err.Error(), secret) {
					t.Errorf("error shows the password: %v", err)
				}
			}
		})
	}
}

// TestPostgresReadOnly checks that OpenReadOnly reads what a writer wrote
// and writes nothing itself.
func TestPostgresReadOnly(t *testing.T) {
	ctx := t.Context()
	w := openPostgresTemp(t)
	if err := w.Record(ctx, []digest.Delivery{delivery("e1", "ann@example.com", digest.Sent)}); err != nil {
		t.Fatal(err)
	}
	r, err := OpenReadOnly(ctx, w.url)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	got, err := r.Counts(ctx, "e1", "smtp")
	if err != nil || got[digest.Sent] != 1 {
		t.Errorf("Counts = %v, %v; want one sent", got, err)
	}
	if err := r.Record(ctx, []digest.Delivery{delivery("e1", "bob@example.com", digest.Sent)}); !errors.Is(err, ErrReadOnly) {
		t.Errorf("Record on a read-only state: %v, want ErrReadOnly", err)
	}
	if _, err := r.r.ExecContext(ctx, `DELETE FROM journal`); err == nil {
		t.Errorf("a read-only connection deleted the journal")
	}
}

// TestLockPostgres checks that the run lock of a PostgreSQL state keeps a
// second holder out until the first lets go, and that the lock of one
// state does not hold another's (another schema) nor another name.
func TestLockPostgres(t *testing.T) {
	u := pg.Database(t)
	unlock, err := Lock(u)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Lock(u); !errors.Is(err, digest.ErrLocked) {
		t.Fatalf("second Lock: %v, want ErrLocked", err)
	} else if strings.Contains(err.Error(), "digest-test-password") {
		t.Errorf("error shows the password: %v", err)
	}
	execSQL(t, u, `CREATE SCHEMA other`)
	for _, other := range []func() (func() error, error){
		func() (func() error, error) { return Lock(u + "&search_path=other") },
		func() (func() error, error) { return LockPostgres(u, "bounces") },
	} {
		un, err := other()
		if err != nil {
			t.Fatalf("another lock: %v", err)
		}
		un()
	}
	if err := unlock(); err != nil {
		t.Fatal(err)
	}
	unlock, err = Lock(u)
	if err != nil {
		t.Fatalf("Lock after unlock: %v", err)
	}
	unlock()
}
