package main

import (
	"bytes"
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/digest-newsletter/digest/digest/store/pgtest"
)

// TestPostgresState walks a PostgreSQL state through what a user meets:
// an empty database is refused until --new-state makes the state there;
// the run delivers, a second run sends nothing, --new-state on the state
// is refused, and digest status reads it. Another application's database
// and a wrong password are refused, and no message shows the password.
func TestPostgresState(t *testing.T) {
	f := newCrashFixture(t, 20, nil)
	f.state = pg.Database(t)
	step := func(name string, wantCode int, want string, args ...string) string {
		t.Helper()
		code, out := f.run(args...)
		t.Logf("%s: exit %d\n%s", name, code, out)
		if code != wantCode || !strings.Contains(out, want) {
			t.Errorf("%s: exit %d, want %d with %q:\n%s", name, code, wantCode, want, out)
		}
		if strings.Contains(out, pgtest.Password) {
			t.Errorf("%s: the output shows the database's password:\n%s", name, out)
		}
		return out
	}
	step("empty database", exitUsage, "has no tables in schema public: digest's state was never made there. "+
		"Check --state (DIGEST_STATE); to make digest's state there on purpose, run once with --new-state (DIGEST_NEW_STATE=1)")
	if f.srv.Count() != 0 {
		t.Fatalf("%d messages sent on an empty database", f.srv.Count())
	}
	step("new state", exitOK, "made a new digest state in postgres://digest:xxxxx@", "--new-state")
	if f.srv.Count() != f.n {
		t.Fatalf("%d messages, want %d", f.srv.Count(), f.n)
	}
	step("rerun", exitOK, "was already delivered to all 20 subscribers")
	step("new state again", exitUsage, "holds a digest state already (schema public); it is kept", "--new-state")
	if f.srv.Count() != f.n {
		t.Errorf("%d messages after the reruns, want %d", f.srv.Count(), f.n)
	}
	if got := f.check(t); got != 0 {
		t.Errorf("%d unknown", got)
	}
	var out bytes.Buffer
	code := Main(context.Background(), &env{stdout: &out, stderr: &out, stdin: strings.NewReader(""), environ: f.environ()}, []string{"status"})
	if code != exitOK || !strings.Contains(out.String(), "2026-11-29") || !strings.Contains(out.String(), " 20 ") {
		t.Errorf("status: exit %d:\n%s", code, out.String())
	}

	// Another application's database.
	other := pg.Database(t)
	conn, err := pgx.Connect(t.Context(), other)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(t.Context(), `CREATE TABLE invoices (id int)`); err != nil {
		t.Fatal(err)
	}
	conn.Close(t.Context())
	f.state = other
	step("another application", exitUsage, "is a PostgreSQL database without digest's tables (schema public has table invoices), "+
		"and is left as it is: digest makes a state only in an empty database or schema")
	step("another application, --new-state", exitUsage, "is not empty (schema public has table invoices)", "--new-state")

	// A wrong password.
	u, _ := url.Parse(other)
	u.User = url.UserPassword(pgtest.User, "wrong-password")
	f.state = u.String()
	out2 := step("wrong password", exitError, "password authentication failed")
	if strings.Contains(out2, "wrong-password") {
		t.Errorf("the output shows the password:\n%s", out2)
	}
	if f.srv.Count() != f.n {
		t.Errorf("%d messages in all, want %d", f.srv.Count(), f.n)
	}
}
