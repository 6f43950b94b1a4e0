package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// sqliteNotADB is SQLite's result code for a file that is not a database.
const sqliteNotADB = 26

// A NotStateError is returned (wrapped) by Open and OpenReadOnly for a file
// that exists but is not a state this digest can use: an empty file, a file
// that is not SQLite, a SQLite database without digest's tables, a state
// written by a newer digest, or a file with several names (hard links).
// Open never writes to such a file: taking it for a new, empty state would
// mail every subscriber again.
type NotStateError struct {
	Path   string
	Reason string // what the file is: "is empty (0 bytes)", …
	// Newer is set for a digest state with a schema newer than this
	// binary's: a newer digest can use it, and SetAside refuses it.
	Newer bool
	// Linked is set for a file with more than one name (hard links), which
	// may well be a real state: SetAside refuses it.
	Linked bool
	// Empty is set for a PostgreSQL database (or schema) with no tables,
	// where MakePostgresState can make a state.
	Empty bool

	special bool // a folder or another file that is not a regular one
}

// Replaceable reports whether SetAside moves the file aside: an empty or
// foreign regular file. A newer digest's state, a file with hard links and
// a folder are kept.
func (e *NotStateError) Replaceable() bool { return !e.Newer && !e.Linked && !e.special }

func (e *NotStateError) Error() string {
	if IsPostgres(e.Path) {
		return fmt.Sprintf("state %s %s", e.Path, e.Reason)
	}
	return fmt.Sprintf("state file %s %s", e.Path, e.Reason)
}

// exists reports whether path names an existing file.
func exists(path string) (bool, error) {
	_, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	return err == nil, err
}

// checkState returns nil if the file at abs holds digest's state with a
// schema this digest knows (or can migrate to), else a *NotStateError. It
// opens the file read-only and changes nothing.
func checkState(ctx context.Context, abs string) error {
	fi, err := os.Stat(abs)
	if err != nil {
		return err
	}
	if !fi.Mode().IsRegular() {
		return &NotStateError{Path: abs, Reason: "is not a regular file", special: true}
	}
	if n := links(fi); n > 1 {
		return &NotStateError{Path: abs, Linked: true, Reason: fmt.Sprintf("has %d names (hard links): SQLite finds a state's "+
			"WAL by the name it was opened with, so a run through another name would miss the last commits "+
			"and could mail people twice; keep one name and remove the others (a symbolic link is fine)", n)}
	}
	// The file is read by SQLite only: a descriptor of it opened and closed
	// here would drop the locks SQLite holds on it in this process. A file
	// of 0 bytes may still have its first commits in the WAL beside it.
	db, err := sql.Open("sqlite", dsn(abs, "mode=ro", "_query_only=1"))
	if err != nil {
		return err
	}
	defer db.Close()
	rows, err := db.QueryContext(ctx, `SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name`)
	var code interface{ Code() int }
	if errors.As(err, &code) && code.Code()&0xff == sqliteNotADB {
		return &NotStateError{Path: abs, Reason: fmt.Sprintf("is not a SQLite database (%d bytes)", fi.Size())}
	}
	if err != nil {
		return fmt.Errorf("state file %s: %w", abs, err)
	}
	var tables []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			rows.Close()
			return fmt.Errorf("state file %s: %w", abs, err)
		}
		tables = append(tables, name)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("state file %s: %w", abs, err)
	}
	switch {
	case len(tables) == 0 && fi.Size() == 0:
		return &NotStateError{Path: abs, Reason: "is empty (0 bytes)"}
	case len(tables) == 0:
		return &NotStateError{Path: abs, Reason: "is a SQLite database with no tables"}
	case !hasTable(tables, "schema_version"):
		return &NotStateError{Path: abs, Reason: "is a SQLite database without digest's tables (it has " + listTables(tables) + ")"}
	}
	var v int
	err = db.QueryRowContext(ctx, `SELECT version FROM schema_version`).Scan(&v)
	switch {
	case errors.Is(err, sql.ErrNoRows), err == nil && v < 1:
		return &NotStateError{Path: abs, Reason: "has no schema version: it was never made by digest, or its making did not finish"}
	case err != nil:
		return fmt.Errorf("state file %s: schema version: %w", abs, err)
	case v > len(migrations):
		return &NotStateError{Path: abs, Newer: true,
			Reason: fmt.Sprintf("was written by a newer digest (schema version %d; this digest knows up to %d)", v, len(migrations))}
	}
	return nil
}

func hasTable(tables []string, name string) bool {
	for _, t := range tables {
		if t == name {
			return true
		}
	}
	return false
}

// listTables names at most five tables.
func listTables(tables []string) string {
	if len(tables) > 5 {
		return "tables " + strings.Join(tables[:5], ", ") + fmt.Sprintf(" and %d more", len(tables)-5)
	}
	if len(tables) == 1 {
		return "table " + tables[0]
	}
	return "tables " + strings.Join(tables, ", ")
}

// createState makes a new state file at abs, with its whole schema, unless
// a file is there already. The schema is built in a temporary file beside
// abs, then linked to abs, so a state file that exists always has its
// schema: a run stopped half-way through making one leaves no empty file
// that a later run would have to refuse. It reports whether it made the
// file (false: another process made one first).
func createState(ctx context.Context, abs string) (made bool, err error) {
	dir := filepath.Dir(abs)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return false, err
	}
	f, err := os.CreateTemp(dir, filepath.Base(abs)+".new-*")
	if err != nil {
		return false, err
	}
	tmp := f.Name()
	defer os.Remove(tmp)
	if err := f.Close(); err != nil {
		return false, err
	}
	db, err := sql.Open("sqlite", dsn(tmp, "", "_txlock=immediate", "_pragma=synchronous(FULL)"))
	if err != nil {
		return false, err
	}
	_, err = migrate(ctx, db, true)
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return false, err
	}
	err = os.Link(tmp, abs)
	if errors.Is(err, fs.ErrExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		_ = d.Close()
	}
	return true, nil
}

// SetAside moves the file at path, which must not be digest's state, out
// of the way so that the next Open makes a new state: it is renamed to
// path+".aside-"+the time (UTC, to the second), with its -wal and -shm
// files if any. It returns the new name, or "" when there was no file.
// It refuses (with an error) a file that is digest's state, whatever its
// version: to give up a real state, remove it yourself. Call it under the
// run lock.
func SetAside(ctx context.Context, path string, now time.Time) (string, error) {
	abs, err := Resolve(path)
	if err != nil {
		return "", fmt.Errorf("set state aside: %w", err)
	}
	if ok, err := exists(abs); err != nil || !ok {
		return "", err
	}
	var nse *NotStateError
	switch err := checkState(ctx, abs); {
	case err == nil:
		return "", fmt.Errorf("set state aside: %s is digest's state; it is kept (remove it yourself to start afresh)", abs)
	case errors.As(err, &nse) && !nse.Replaceable():
		return "", fmt.Errorf("set state aside: %w; it is kept", err)
	case !errors.As(err, &nse):
		return "", fmt.Errorf("set state aside: %w", err)
	}
	aside := abs + ".aside-" + now.UTC().Format("20060102T150405Z")
	if ok, err := exists(aside); err != nil || ok {
		return "", fmt.Errorf("set state aside: %s exists already", aside)
	}
	for _, ext := range []string{"-wal", "-shm"} {
		if err := os.Rename(abs+ext, aside+ext); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return "", fmt.Errorf("set state aside: %w", err)
		}
	}
	if err := os.Rename(abs, aside); err != nil {
		return "", fmt.Errorf("set state aside: %w", err)
	}
	return aside, nil
}
