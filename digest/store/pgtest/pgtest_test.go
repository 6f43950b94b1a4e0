package pgtest

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
)

var pg Lazy

func TestMain(m *testing.M) {
	code := m.Run()
	if err := pg.Stop(); err != nil {
		println(err.Error())
		code = 1
	}
	os.Exit(code)
}

func TestDatabase(t *testing.T) {
	u := pg.Database(t)
	conn, err := pgx.Connect(t.Context(), u)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(t.Context())
	var user string
	if err := conn.QueryRow(t.Context(), "SELECT current_user").Scan(&user); err != nil {
		t.Fatal(err)
	}
	if user != User {
		t.Errorf("current_user = %q, want %q", user, User)
	}
	if u2 := pg.Database(t); u2 == u {
		t.Errorf("two databases share the URL %s", u)
	}
}

// TestStartDurable checks that the server StartDurable makes flushes
// every commit, unlike the tests' own.
func TestStartDurable(t *testing.T) {
	srv, err := StartDurable(t.Context())
	if errors.Is(err, ErrNotInstalled) && os.Getenv(RequireEnv) != "1" {
		t.Skip(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Stop()
	pid, err := srv.PID()
	if err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid)); err == nil && !strings.Contains(string(b), "postgres") {
		t.Errorf("PID() = %d, a process running %q", pid, b)
	}
	u, err := srv.NewDatabase(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	conn, err := pgx.Connect(t.Context(), u)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(t.Context())
	for _, setting := range []string{"fsync", "synchronous_commit", "full_page_writes"} {
		var v string
		if err := conn.QueryRow(t.Context(), "SHOW "+setting).Scan(&v); err != nil {
			t.Fatal(err)
		}
		if v != "on" {
			t.Errorf("%s = %s, want on", setting, v)
		}
	}
}
