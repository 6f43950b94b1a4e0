package pgtest

import (
	"os"
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
