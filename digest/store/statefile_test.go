package store

import (
	"bytes"
	"crypto/sha256"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// An existing file that is not digest's state is refused and left as it
// is: taking it for a new state would mail every subscriber again.
func TestOpenRefusesFileThatIsNotState(t *testing.T) {
	tests := []struct {
		name   string
		make   func(t *testing.T, path string)
		reason string
	}{
		{"empty", func(t *testing.T, path string) { write(t, path, nil) }, "is empty (0 bytes)"},
		{"text", func(t *testing.T, path string) { write(t, path, []byte("email\nann@example.com\n")) }, "is not a SQLite database"},
		{"short", func(t *testing.T, path string) { write(t, path, []byte("SQLite")) }, "is not a SQLite database"},
		{"other database", func(t *testing.T, path string) {
			makeSQLite(t, path, `CREATE TABLE photos (id INTEGER PRIMARY KEY, name TEXT)`, `INSERT INTO photos (name) VALUES ('cat.jpg')`)
		}, "without digest's tables (it has table photos)"},
		{"no tables", func(t *testing.T, path string) { makeSQLite(t, path, `PRAGMA user_version = 7`) }, "with no tables"},
		{"no version", func(t *testing.T, path string) {
			makeSQLite(t, path, `CREATE TABLE schema_version (version INTEGER NOT NULL) STRICT`, migrations[0])
		}, "has no schema version"},
		{"a folder", func(t *testing.T, path string) {
			if err := os.Mkdir(path, 0o700); err != nil {
				t.Fatal(err)
			}
		}, "is not a regular file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "digest.db")
			tt.make(t, path)
			before := snapshot(t, dir)
			for name, open := range map[string]func() (*Store, error){
				"Open":         func() (*Store, error) { return Open(t.Context(), path) },
				"OpenReadOnly": func() (*Store, error) { return OpenReadOnly(t.Context(), path) },
			} {
				s, err := open()
				if err == nil {
					s.Close()
					t.Fatalf("%s: no error", name)
				}
				var nse *NotStateError
				if !errors.As(err, &nse) || nse.Newer || !strings.Contains(err.Error(), tt.reason) || !strings.Contains(err.Error(), path) {
					t.Errorf("%s: err = %v, want a *NotStateError naming %s and saying %q", name, err, path, tt.reason)
				}
			}
			if after := snapshot(t, dir); after != before {
				t.Errorf("the folder changed:\n%s\nwant\n%s", after, before)
			}
		})
	}
}

func TestOpenRefusesNewerState(t *testing.T) {
	s, path := openTemp(t)
	if _, err := s.w.ExecContext(t.Context(), "UPDATE schema_version SET version = ?", len(migrations)+1); err != nil {
		t.Fatal(err)
	}
	_, err := Open(t.Context(), path)
	var nse *NotStateError
	if !errors.As(err, &nse) || !nse.Newer || !strings.Contains(err.Error(), "written by a newer digest") {
		t.Errorf("Open: err = %v, want a *NotStateError for a newer state", err)
	}
	if _, err := SetAside(t.Context(), path, time.Now()); err == nil {
		t.Errorf("SetAside moved a newer digest's state")
	}
}

func TestOpenMakesNewStateOnlyWhereNoneExists(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state")
	path := filepath.Join(dir, "digest.db")
	s, err := Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("new state mode %v, want 0600", fi.Mode().Perm())
	}
	names, _ := filepath.Glob(filepath.Join(dir, "*.new-*"))
	if len(names) != 0 {
		t.Errorf("temporary files left: %v", names)
	}
	if err := checkState(t.Context(), path); err != nil {
		t.Errorf("new state: %v", err)
	}
}

func TestSetAside(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "digest.db")
	write(t, path, nil)
	now := time.Date(2026, 11, 29, 6, 30, 0, 0, time.UTC)
	aside, err := SetAside(t.Context(), path, now)
	if err != nil {
		t.Fatal(err)
	}
	if want := path + ".aside-20261129T063000Z"; aside != want {
		t.Errorf("set aside as %s, want %s", aside, want)
	}
	if _, err := os.Stat(aside); err != nil {
		t.Error(err)
	}
	s, err := Open(t.Context(), path)
	if err != nil {
		t.Fatalf("Open after SetAside: %v", err)
	}
	s.Close()
	// A real state is never set aside.
	if _, err := SetAside(t.Context(), path, now.Add(time.Second)); err == nil || !strings.Contains(err.Error(), "is digest's state") {
		t.Errorf("SetAside of a state: err = %v, want a refusal", err)
	}
	if err := checkState(t.Context(), path); err != nil {
		t.Errorf("the state after a refused SetAside: %v", err)
	}
	// A folder at the state's path is never moved.
	folder := filepath.Join(dir, "folder.db")
	if err := os.Mkdir(folder, 0o700); err != nil {
		t.Fatal(err)
	}
	if _, err := SetAside(t.Context(), folder, now); err == nil {
		t.Errorf("SetAside moved a folder")
	}
	if fi, err := os.Stat(folder); err != nil || !fi.IsDir() {
		t.Errorf("the folder after SetAside: %v", err)
	}
	// No file: nothing to do.
	if got, err := SetAside(t.Context(), filepath.Join(dir, "none.db"), now); got != "" || err != nil {
		t.Errorf("SetAside of no file = %q, %v; want nothing", got, err)
	}
}

func write(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

// makeSQLite makes a SQLite database at path with the statements run.
func makeSQLite(t *testing.T, path string, stmts ...string) {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, q := range stmts {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
}

// snapshot lists the files of dir with their contents' hashes.
func snapshot(t *testing.T, dir string) string {
	t.Helper()
	var b bytes.Buffer
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		fmt.Fprintf(&b, "%s %x\n", p, sha256.Sum256(data))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return b.String()
}
