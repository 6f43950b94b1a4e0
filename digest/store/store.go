// Package store keeps digest's state in one SQLite file: the frozen
// editions, the articles already sent, the delivery journal, the suppression
// list, the sign-ups, the fetch cache and the blurb cache. It uses the pure
// Go driver modernc.org/sqlite, so no C compiler is needed. The same state
// can live in a PostgreSQL database instead (a postgres:// URL for a path;
// see IsPostgres), through github.com/jackc/pgx/v5.
//
// The file is opened in WAL mode with synchronous=FULL: once Record returns,
// its rows survive a crash of the process or of the machine. Readers
// (digest status, digest preview) may open the file with OpenReadOnly while
// a run writes to it. Two runs must not write at once; Lock takes the
// run lock that keeps them apart.
//
// Addresses are stored and compared in lower case. Times are stored in UTC
// with nanosecond precision; their location is not kept.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"runtime"
	"time"

	"github.com/digest-newsletter/digest/digest"
	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// ErrExists is returned by Freeze for an edition that is already frozen.
var ErrExists = errors.New("store: edition already frozen")

// ErrReadOnly is returned by the writing methods of a Store opened with
// OpenReadOnly.
var ErrReadOnly = errors.New("store: opened read-only")

// busyTimeout is how long a connection waits for another one that holds
// the write lock before it gives up with SQLITE_BUSY.
const busyTimeout = 10 * time.Second

// maxIn is the most values bound in one IN (...) list.
const maxIn = 500

// timeLayout is how times are stored: UTC, fixed width, so that text order
// is time order.
const timeLayout = "2006-01-02T15:04:05.000000000Z"

var _ digest.Store = (*Store)(nil)

// A Store is an open state file. Its methods are safe for concurrent use:
// writes go through one connection, one transaction at a time, while reads
// use a pool of read-only connections and see the last committed state.
type Store struct {
	path string  // the file, or the redacted URL of a PostgreSQL state
	url  string  // the URL of a PostgreSQL state, password and all
	pg   bool    // a PostgreSQL state: r and w are one pool
	w    *sql.DB // one connection, BEGIN IMMEDIATE; nil when read-only
	r    *sql.DB // query_only connections

	// record holds the journal writes prepared on w, by number of shared
	// columns (recordShares) and of rows (recordChunks).
	record [len(recordShares)][len(recordChunks)]*sql.Stmt
}

// Open opens the state file at path and brings its schema up to date. Only
// where no file exists does it make a new state (and its directory): a new
// file (and its WAL) is readable by its owner only, as it holds
// subscribers' addresses. A file that exists but is not digest's state (an
// empty file, another SQLite database, anything else) or that a newer
// digest wrote is refused with a *NotStateError and left as it is.
//
// A path that is a postgres:// URL opens a PostgreSQL state instead (see
// IsPostgres): the database must hold digest's state already, made by
// MakePostgresState; an empty one is refused with a *NotStateError whose
// Empty is set.
func Open(ctx context.Context, path string) (*Store, error) {
	if IsPostgres(path) {
		return openPostgres(ctx, path, false)
	}
	abs, err := Resolve(path)
	if err != nil {
		return nil, fmt.Errorf("open state: %w", err)
	}
	made := false
	switch ok, err := exists(abs); {
	case err != nil:
		return nil, fmt.Errorf("open state: %w", err)
	case !ok:
		if made, err = createState(ctx, abs); err != nil {
			return nil, fmt.Errorf("open state %s: %w", abs, err)
		}
	}
	if !made {
		if err := checkState(ctx, abs); err != nil {
			return nil, fmt.Errorf("open state: %w", err)
		}
	}
	s := &Store{path: abs}
	s.w, err = openWriter(abs)
	if err != nil {
		return nil, fmt.Errorf("open state %s: %w", abs, err)
	}
	if _, err := migrate(ctx, s.w, false); err != nil {
		s.w.Close()
		return nil, fmt.Errorf("open state %s: %w", abs, err)
	}
	s.r, err = openReader(abs, "")
	if err != nil {
		s.w.Close()
		return nil, fmt.Errorf("open state %s: %w", abs, err)
	}
	for j, shared := range recordShares {
		for i, n := range recordChunks {
			if s.record[j][i], err = s.w.PrepareContext(ctx, recordSQL(n, shared)); err != nil {
				s.Close()
				return nil, fmt.Errorf("open state %s: prepare: %w", abs, err)
			}
		}
	}
	return s, nil
}

// OpenReadOnly opens an existing state file for reading only, for commands
// such as digest status that run beside a run. It never creates the file
// nor changes its schema; it fails if the file's schema is not the one this
// digest writes. The writing methods return ErrReadOnly.
func OpenReadOnly(ctx context.Context, path string) (*Store, error) {
	if IsPostgres(path) {
		return openPostgres(ctx, path, true)
	}
	abs, err := filepath.Abs(path)
	if err == nil {
		abs, err = filepath.EvalSymlinks(abs)
	}
	if err != nil {
		return nil, fmt.Errorf("open state: %w", err)
	}
	if err := checkState(ctx, abs); err != nil {
		return nil, fmt.Errorf("open state: %w", err)
	}
	s := &Store{path: abs}
	s.r, err = openReader(abs, "mode=ro")
	if err != nil {
		return nil, fmt.Errorf("open state %s: %w", abs, err)
	}
	var v int
	if err := s.r.QueryRowContext(ctx, "SELECT version FROM schema_version").Scan(&v); err != nil {
		s.r.Close()
		return nil, fmt.Errorf("open state %s: schema version: %w", abs, err)
	}
	if v != len(migrations) {
		s.r.Close()
		if v < len(migrations) {
			return nil, fmt.Errorf("open state: %w", &OldSchemaError{Path: abs, Version: v})
		}
		return nil, fmt.Errorf("open state %s: schema version %d, this digest reads version %d", abs, v, len(migrations))
	}
	return s, nil
}

// An OldSchemaError is returned by Open for a PostgreSQL state, and by
// OpenReadOnly for either kind, whose schema an older digest wrote:
// Migrate brings it up to date. (Open upgrades a SQLite state by itself.)
type OldSchemaError struct {
	Path    string // the file, or the URL without its password
	Version int    // the state's schema version
}

func (e *OldSchemaError) Error() string {
	return fmt.Sprintf("state %s has schema version %d, older than this digest's %d", e.Path, e.Version, len(migrations))
}

// Migrate brings the schema of the existing state at path up to this
// digest's version, in one transaction, and returns the version it found
// and the one it left. A state already up to date is left as it is (from
// equals to). It never makes a state: a missing file or an empty database
// is refused, and a state that is not digest's or that a newer digest
// wrote is refused with a *NotStateError, all left as they are. It does
// not take the run lock; see the README for when to run it.
func Migrate(ctx context.Context, path string) (from, to int, err error) {
	if IsPostgres(path) {
		db, err := openPostgresDB(ctx, path, false)
		if err != nil {
			return 0, 0, fmt.Errorf("migrate state: %w", err)
		}
		defer db.Close()
		if _, err := checkPostgres(ctx, db, Redact(path)); err != nil {
			return 0, 0, fmt.Errorf("migrate state: %w", err)
		}
		if from, err = migratePostgres(ctx, db); err != nil {
			return 0, 0, fmt.Errorf("migrate state %s: %w", Redact(path), err)
		}
		return from, len(migrations), nil
	}
	abs, err := filepath.Abs(path)
	if err == nil {
		abs, err = filepath.EvalSymlinks(abs)
	}
	if err != nil {
		return 0, 0, fmt.Errorf("migrate state: %w", err)
	}
	if err := checkState(ctx, abs); err != nil {
		return 0, 0, fmt.Errorf("migrate state: %w", err)
	}
	db, err := openWriter(abs)
	if err != nil {
		return 0, 0, fmt.Errorf("migrate state %s: %w", abs, err)
	}
	defer db.Close()
	if from, err = migrate(ctx, db, false); err != nil {
		return 0, 0, fmt.Errorf("migrate state %s: %w", abs, err)
	}
	return from, len(migrations), nil
}

// openWriter returns the one writing connection of the state file at abs.
func openWriter(abs string) (*sql.DB, error) {
	db, err := sql.Open("sqlite", dsn(abs, "",
		"_txlock=immediate",
		"_pragma=foreign_keys(1)",
		"_pragma=journal_mode(WAL)",
		"_pragma=synchronous(FULL)",
	))
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	db.SetConnMaxLifetime(0)
	db.SetConnMaxIdleTime(0)
	return db, nil
}

func openReader(abs, mode string) (*sql.DB, error) {
	db, err := sql.Open("sqlite", dsn(abs, mode,
		"_pragma=foreign_keys(1)",
		"_query_only=1",
	))
	if err != nil {
		return nil, err
	}
	n := max(4, runtime.GOMAXPROCS(0))
	db.SetMaxOpenConns(n)
	db.SetMaxIdleConns(n)
	db.SetConnMaxIdleTime(0)
	return db, nil
}

// dsn builds a file: URI for the driver, so that a path holding '?' or '#'
// is not taken for a query.
func dsn(abs, mode string, params ...string) string {
	q := fmt.Sprintf("_pragma=busy_timeout(%d)", busyTimeout.Milliseconds())
	if mode != "" {
		q += "&" + mode
	}
	for _, p := range params {
		q += "&" + p
	}
	u := url.URL{Scheme: "file", Path: filepath.ToSlash(abs), RawQuery: q}
	return u.String()
}

// Path returns the absolute path of the state file, symbolic links
// resolved (see Resolve); for a PostgreSQL state, its URL without the
// password.
func (s *Store) Path() string { return s.path }

// Close closes the state file. It waits for nothing: callers stop using
// the Store before closing it.
func (s *Store) Close() error {
	var errs []error
	for _, sts := range s.record {
		for _, st := range sts {
			if st != nil {
				errs = append(errs, st.Close())
			}
		}
	}
	if s.r != nil {
		errs = append(errs, s.r.Close())
	}
	if s.w != nil && !s.pg {
		errs = append(errs, s.w.Close())
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("close state: %w", err)
	}
	return nil
}

// ReadOnly reports whether the state was opened with OpenReadOnly.
func (s *Store) ReadOnly() bool { return s.w == nil }

// writer returns the write pool, or ErrReadOnly.
func (s *Store) writer() (*sql.DB, error) {
	if s.w == nil {
		return nil, ErrReadOnly
	}
	return s.w, nil
}

// migrations are the schema changes, in order; migrations[i] brings the
// schema from version i to version i+1. Append only: never edit one that
// has shipped.
var migrations = []string{
	// 1: the first schema.
	`
CREATE TABLE editions (
	id      TEXT PRIMARY KEY,
	cadence TEXT NOT NULL,
	created TEXT NOT NULL,
	body    TEXT NOT NULL -- the Edition as JSON
) STRICT;
CREATE INDEX editions_by_cadence ON editions (cadence, created);
CREATE INDEX editions_by_created ON editions (created);

CREATE TABLE seen (
	article TEXT PRIMARY KEY,
	edition TEXT NOT NULL REFERENCES editions (id)
) STRICT, WITHOUT ROWID;

CREATE TABLE first_seen (
	article TEXT PRIMARY KEY,
	at      TEXT NOT NULL
) STRICT, WITHOUT ROWID;

CREATE TABLE journal (
	edition    TEXT NOT NULL,
	channel    TEXT NOT NULL,
	email      TEXT NOT NULL CHECK (email <> '' AND email = lower(email)),
	status     TEXT NOT NULL CHECK (status IN ('pending', 'sending', 'sent', 'failed', 'deferred')),
	message_id TEXT NOT NULL,
	reply      TEXT NOT NULL,
	attempts   INTEGER NOT NULL,
	updated    TEXT NOT NULL,
	PRIMARY KEY (edition, channel, email)
) STRICT, WITHOUT ROWID;

CREATE TABLE suppressed (
	email  TEXT PRIMARY KEY CHECK (email = lower(email)),
	reason TEXT NOT NULL,
	at     TEXT NOT NULL
) STRICT, WITHOUT ROWID;

CREATE TABLE fetch_cache (
	url           TEXT PRIMARY KEY,
	etag          TEXT NOT NULL,
	last_modified TEXT NOT NULL,
	body          BLOB NOT NULL
) STRICT, WITHOUT ROWID;

CREATE TABLE blurbs (
	key   TEXT PRIMARY KEY,
	blurb TEXT NOT NULL -- JSON array of sentences
) STRICT, WITHOUT ROWID;
`,
	// 2: the run that last wrote a journal row, so that a run can tell an
	// address listed twice (a row it claimed itself) without holding the
	// list's addresses in memory.
	`ALTER TABLE journal ADD COLUMN run TEXT NOT NULL DEFAULT '';`,
	// 3: sign-ups through digest serve's form: requests waiting for their
	// confirmation, and confirmed sign-ups with their consent evidence.
	`
CREATE TABLE signup_requests (
	email    TEXT PRIMARY KEY CHECK (email <> '' AND email = lower(email)),
	address  TEXT NOT NULL, -- as typed
	name     TEXT NOT NULL,
	topics   TEXT NOT NULL, -- space-separated
	cadence  TEXT NOT NULL,
	nonce    TEXT NOT NULL, -- in the confirmation link; a newer request replaces it
	at       TEXT NOT NULL,
	ip       TEXT NOT NULL,
	agent    TEXT NOT NULL,
	mailed   TEXT NOT NULL  -- when the last confirmation mail went out
) STRICT, WITHOUT ROWID;

CREATE TABLE signups (
	email         TEXT PRIMARY KEY CHECK (email <> '' AND email = lower(email)),
	address       TEXT NOT NULL,
	name          TEXT NOT NULL,
	topics        TEXT NOT NULL,
	cadence       TEXT NOT NULL,
	requested     TEXT NOT NULL,
	request_ip    TEXT NOT NULL,
	request_agent TEXT NOT NULL,
	confirmed     TEXT NOT NULL,
	confirm_ip    TEXT NOT NULL,
	confirm_agent TEXT NOT NULL
) STRICT, WITHOUT ROWID;
`,
	// 4: bounces and complaints: each one recorded (report is the key of
	// the message it came from, so a rerun is a no-op), the reports acted
	// on, the details of a suppression, and the time an address was taken
	// back off the list (its soft bounces before then no longer count).
	`
CREATE TABLE bounces (
	report     TEXT NOT NULL,
	email      TEXT NOT NULL CHECK (email <> '' AND email = lower(email)),
	edition    TEXT NOT NULL,
	kind       TEXT NOT NULL CHECK (kind IN ('hard', 'soft', 'complaint')),
	status     TEXT NOT NULL,
	diagnostic TEXT NOT NULL,
	at         TEXT NOT NULL,
	PRIMARY KEY (report, email)
) STRICT, WITHOUT ROWID;
CREATE INDEX bounces_by_email ON bounces (email, at);
CREATE INDEX bounces_by_edition ON bounces (edition, kind);

CREATE TABLE bounce_reports (
	report TEXT PRIMARY KEY,
	at     TEXT NOT NULL
) STRICT, WITHOUT ROWID;

CREATE TABLE resubscribed (
	email TEXT PRIMARY KEY CHECK (email = lower(email)),
	at    TEXT NOT NULL
) STRICT, WITHOUT ROWID;

ALTER TABLE suppressed ADD COLUMN detail TEXT NOT NULL DEFAULT '';
`,
}

// migrate applies the missing migrations to db, all in one transaction,
// and returns the version it found. A fresh database (only ever a file
// createState has just made) gets the schema version table first; any
// other must have it already, so a file that is not digest's state is
// never written to.
func migrate(ctx context.Context, db *sql.DB, fresh bool) (int, error) {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("migrate: %w", err)
	}
	defer tx.Rollback()
	if fresh {
		if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL) STRICT;
			INSERT INTO schema_version (version) VALUES (0)`); err != nil {
			return 0, fmt.Errorf("migrate: %w", err)
		}
	}
	return upgrade(ctx, tx, func(i int) string { return migrations[i] })
}

// upgrade brings the schema in tx from the version it records to
// len(migrations), running step(i) to go from version i to i+1, commits,
// and returns the version it found. A newer schema is an error; a current
// one is left as it is. Both engines' migrations go through it.
func upgrade(ctx context.Context, tx *sql.Tx, step func(i int) string) (int, error) {
	var v int
	if err := tx.QueryRowContext(ctx, `SELECT version FROM schema_version`).Scan(&v); err != nil {
		return 0, fmt.Errorf("migrate: schema version: %w", err)
	}
	if v > len(migrations) {
		return 0, fmt.Errorf("schema version %d is newer than this digest's %d", v, len(migrations))
	}
	if v == len(migrations) {
		return v, nil
	}
	for i := v; i < len(migrations); i++ {
		if _, err := tx.ExecContext(ctx, step(i)); err != nil {
			return 0, fmt.Errorf("migrate to version %d: %w", i+1, err)
		}
	}
	if _, err := tx.ExecContext(ctx, `UPDATE schema_version SET version = ?`, len(migrations)); err != nil {
		return 0, fmt.Errorf("migrate: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("migrate: %w", err)
	}
	return v, nil
}

func formatTime(t time.Time) string { return t.UTC().Format(timeLayout) }

func parseTime(s string) (time.Time, error) {
	t, err := time.Parse(timeLayout, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("stored time %q: %w", s, err)
	}
	return t, nil
}

// placeholders returns "?, ?, ?" with n marks.
func placeholders(n int) string {
	b := make([]byte, 0, 3*n)
	for i := range n {
		if i > 0 {
			b = append(b, ", "...)
		}
		b = append(b, '?')
	}
	return string(b)
}

// inBatches calls fn with successive slices of at most maxIn values, each
// as the arguments of an IN list, and the list's placeholders.
func inBatches(values []string, fn func(args []any, marks string) error) error {
	for len(values) > 0 {
		n := min(len(values), maxIn)
		args := make([]any, n)
		for i, v := range values[:n] {
			args[i] = v
		}
		if err := fn(args, placeholders(n)); err != nil {
			return err
		}
		values = values[n:]
	}
	return nil
}
