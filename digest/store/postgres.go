package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"net/url"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/digest-newsletter/digest/digest"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
)

// A state whose name starts with postgres:// or postgresql:// is kept in
// a PostgreSQL database rather than a SQLite file: every table of the
// SQLite state, in the schema the URL's search_path names (else the
// user's default, usually public), with the same schema version. The
// Store's methods behave the same on both; the queries are the SQLite
// ones, their ? parameters numbered for PostgreSQL by the driver
// (see rebind).
//
// Every transaction that writes takes one advisory lock of the database
// first (writeLock), so that writes happen one at a time as they do in a
// SQLite file, whichever process makes them. Reads do not wait for it.

// writeLock is the key of the advisory lock that each writing transaction
// on a PostgreSQL state holds until it ends.
const writeLock int64 = 0x6469676573740001

// postgresBase is the schema version that postgresSchema makes at once: a
// PostgreSQL state starts at the SQLite state's version 3. Changes after
// it are in postgresMigrations, one for each of migrations[postgresBase:].
// (PostgreSQL states were first made at version 4; version 4 is kept as a
// migration so that the upgrade digest migrate makes is the one a new
// state goes through too.)
const postgresBase = 3

// postgresSchema is the SQLite schema of version postgresBase, in
// PostgreSQL's words. Text that is ordered or compared is in the "C"
// collation, so that it sorts byte by byte as in SQLite, whatever the
// database's locale.
const postgresSchema = `
CREATE TABLE schema_version (version INTEGER NOT NULL);

CREATE TABLE editions (
	id      TEXT COLLATE "C" PRIMARY KEY,
	cadence TEXT COLLATE "C" NOT NULL,
	created TEXT COLLATE "C" NOT NULL,
	body    TEXT NOT NULL -- the Edition as JSON
);
CREATE INDEX editions_by_cadence ON editions (cadence, created);
CREATE INDEX editions_by_created ON editions (created);

CREATE TABLE seen (
	article TEXT COLLATE "C" PRIMARY KEY,
	edition TEXT COLLATE "C" NOT NULL REFERENCES editions (id)
);

CREATE TABLE first_seen (
	article TEXT COLLATE "C" PRIMARY KEY,
	at      TEXT COLLATE "C" NOT NULL
);

CREATE TABLE journal (
	edition    TEXT COLLATE "C" NOT NULL,
	channel    TEXT COLLATE "C" NOT NULL,
	email      TEXT COLLATE "C" NOT NULL CHECK (email <> '' AND email = lower(email)),
	status     TEXT COLLATE "C" NOT NULL CHECK (status IN ('pending', 'sending', 'sent', 'failed', 'deferred')),
	message_id TEXT NOT NULL,
	reply      TEXT NOT NULL,
	attempts   INTEGER NOT NULL,
	updated    TEXT COLLATE "C" NOT NULL,
	run        TEXT COLLATE "C" NOT NULL DEFAULT '',
	PRIMARY KEY (edition, channel, email)
);

CREATE TABLE suppressed (
	email  TEXT COLLATE "C" PRIMARY KEY CHECK (email = lower(email)),
	reason TEXT NOT NULL,
	at     TEXT COLLATE "C" NOT NULL
);

CREATE TABLE fetch_cache (
	url           TEXT COLLATE "C" PRIMARY KEY,
	etag          TEXT NOT NULL,
	last_modified TEXT NOT NULL,
	body          BYTEA NOT NULL
);

CREATE TABLE blurbs (
	key   TEXT COLLATE "C" PRIMARY KEY,
	blurb TEXT NOT NULL -- JSON array of sentences
);

CREATE TABLE signup_requests (
	email    TEXT COLLATE "C" PRIMARY KEY CHECK (email <> '' AND email = lower(email)),
	address  TEXT NOT NULL,
	name     TEXT NOT NULL,
	topics   TEXT NOT NULL,
	cadence  TEXT NOT NULL,
	nonce    TEXT NOT NULL,
	at       TEXT COLLATE "C" NOT NULL,
	ip       TEXT NOT NULL,
	agent    TEXT NOT NULL,
	mailed   TEXT COLLATE "C" NOT NULL
);

CREATE TABLE signups (
	email         TEXT COLLATE "C" PRIMARY KEY CHECK (email <> '' AND email = lower(email)),
	address       TEXT NOT NULL,
	name          TEXT NOT NULL,
	topics        TEXT NOT NULL,
	cadence       TEXT NOT NULL,
	requested     TEXT COLLATE "C" NOT NULL,
	request_ip    TEXT NOT NULL,
	request_agent TEXT NOT NULL,
	confirmed     TEXT COLLATE "C" NOT NULL,
	confirm_ip    TEXT NOT NULL,
	confirm_agent TEXT NOT NULL
);
`

// postgresMigrations are the changes after postgresBase, in order; append
// one whenever a migration is appended for SQLite.
var postgresMigrations = []string{
	// 4: bounces and complaints (see migrations[3]).
	`
CREATE TABLE bounces (
	report     TEXT COLLATE "C" NOT NULL,
	email      TEXT COLLATE "C" NOT NULL CHECK (email <> '' AND email = lower(email)),
	edition    TEXT COLLATE "C" NOT NULL,
	kind       TEXT COLLATE "C" NOT NULL CHECK (kind IN ('hard', 'soft', 'complaint')),
	status     TEXT NOT NULL,
	diagnostic TEXT NOT NULL,
	at         TEXT COLLATE "C" NOT NULL,
	PRIMARY KEY (report, email)
);
CREATE INDEX bounces_by_email ON bounces (email, at);
CREATE INDEX bounces_by_edition ON bounces (edition, kind);

CREATE TABLE bounce_reports (
	report TEXT COLLATE "C" PRIMARY KEY,
	at     TEXT COLLATE "C" NOT NULL
);

CREATE TABLE resubscribed (
	email TEXT COLLATE "C" PRIMARY KEY CHECK (email = lower(email)),
	at    TEXT COLLATE "C" NOT NULL
);

ALTER TABLE suppressed ADD COLUMN detail TEXT NOT NULL DEFAULT '';
`,
}

// IsPostgres reports whether state names a PostgreSQL database (a
// postgres:// or postgresql:// URL) rather than a SQLite file.
func IsPostgres(state string) bool {
	return strings.HasPrefix(state, "postgres://") || strings.HasPrefix(state, "postgresql://")
}

// Redact returns state with the password of a PostgreSQL URL replaced by
// xxxxx, for messages; a file path is returned as it is.
func Redact(state string) string {
	if !IsPostgres(state) {
		return state
	}
	u, err := url.Parse(state)
	if err != nil {
		return "postgres://(a URL that does not parse)"
	}
	return u.Redacted()
}

// postgresConfig parses a PostgreSQL state URL; readOnly makes every
// transaction of its connections read-only.
func postgresConfig(state string, readOnly bool) (*pgx.ConnConfig, error) {
	cfg, err := pgx.ParseConfig(state)
	if err != nil {
		// pgx's error may quote the URL, password and all: it is not passed on.
		return nil, fmt.Errorf("state %s does not parse as a PostgreSQL URL", Redact(state))
	}
	if readOnly {
		cfg.RuntimeParams["default_transaction_read_only"] = "on"
	}
	cfg.RuntimeParams["application_name"] = "digest"
	return cfg, nil
}

// openPostgresDB returns a pool of connections to the database that
// number ? parameters for PostgreSQL and take writeLock in each writing
// transaction. It checks that the database answers.
func openPostgresDB(ctx context.Context, state string, readOnly bool) (*sql.DB, error) {
	cfg, err := postgresConfig(state, readOnly)
	if err != nil {
		return nil, err
	}
	db := sql.OpenDB(pgConnector{stdlib.GetConnector(*cfg)})
	n := max(4, runtime.GOMAXPROCS(0))
	db.SetMaxOpenConns(n)
	db.SetMaxIdleConns(n)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("connect to %s: %w", Redact(state), err)
	}
	return db, nil
}

// openPostgres opens the PostgreSQL state at state (see Open and
// OpenReadOnly): it must hold digest's schema already (see
// MakePostgresState), of this digest's version. An older one is refused
// with an *OldSchemaError and left as it is: many machines may share the
// state, and one new binary must not upgrade it under older ones that are
// still running; Migrate upgrades it on purpose.
func openPostgres(ctx context.Context, state string, readOnly bool) (*Store, error) {
	db, err := openPostgresDB(ctx, state, readOnly)
	if err != nil {
		return nil, fmt.Errorf("open state: %w", err)
	}
	s := &Store{path: Redact(state), url: state, pg: true, r: db}
	v, err := checkPostgres(ctx, db, s.path)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("open state: %w", err)
	}
	if v < len(migrations) {
		db.Close()
		return nil, fmt.Errorf("open state: %w", &OldSchemaError{Path: s.path, Version: v})
	}
	if readOnly {
		return s, nil
	}
	s.w = db
	for j, shared := range recordShares {
		for i, n := range recordChunks {
			if s.record[j][i], err = db.PrepareContext(ctx, recordPostgresSQL(n, shared)); err != nil {
				s.Close()
				return nil, fmt.Errorf("open state %s: prepare: %w", s.path, err)
			}
		}
	}
	return s, nil
}

// postgresTables returns the tables of the connection's current schema,
// and that schema's name.
func postgresTables(ctx context.Context, q interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
}) (schema string, tables []string, err error) {
	var cur sql.NullString
	if err := q.QueryRowContext(ctx, `SELECT current_schema()`).Scan(&cur); err != nil {
		return "", nil, err
	}
	if !cur.Valid {
		return "", nil, errors.New("no schema of its search_path exists: create the schema first")
	}
	rows, err := q.QueryContext(ctx, `SELECT table_name FROM information_schema.tables
		WHERE table_schema = current_schema() ORDER BY table_name`)
	if err != nil {
		return "", nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var t string
		if err := rows.Scan(&t); err != nil {
			return "", nil, err
		}
		tables = append(tables, t)
	}
	return cur.String, tables, rows.Err()
}

// checkPostgres returns the schema version of the digest state in db, or
// a *NotStateError for a database that holds none (no tables, another
// application's tables) or a newer digest's.
func checkPostgres(ctx context.Context, db *sql.DB, name string) (int, error) {
	schema, tables, err := postgresTables(ctx, db)
	if err != nil {
		return 0, fmt.Errorf("state %s: %w", name, err)
	}
	switch {
	case len(tables) == 0:
		return 0, &NotStateError{Path: name, Empty: true,
			Reason: fmt.Sprintf("has no tables in schema %s: digest's state was never made there", schema)}
	case !hasTable(tables, "schema_version"):
		return 0, &NotStateError{Path: name,
			Reason: fmt.Sprintf("is a PostgreSQL database without digest's tables (schema %s has %s)", schema, listTables(tables))}
	}
	var v int
	err = db.QueryRowContext(ctx, `SELECT version FROM schema_version`).Scan(&v)
	switch {
	case errors.Is(err, sql.ErrNoRows), err == nil && v < postgresBase:
		return 0, &NotStateError{Path: name, Reason: "has no schema version: it was never made by digest"}
	case err != nil:
		return 0, fmt.Errorf("state %s: schema version: %w", name, err)
	case v > len(migrations):
		return 0, &NotStateError{Path: name, Newer: true,
			Reason: fmt.Sprintf("was written by a newer digest (schema version %d; this digest knows up to %d)", v, len(migrations))}
	}
	return v, nil
}

// MakePostgresState makes digest's state in the PostgreSQL database at
// state, in the current schema of its search_path, which must hold no
// table at all: a database of another application, or one that holds a
// digest state already, is refused with a *NotStateError and left as it
// is. Digest never makes a PostgreSQL state by itself: a URL that names
// the wrong database must not start a new state that would mail every
// subscriber again.
func MakePostgresState(ctx context.Context, state string) error {
	db, err := openPostgresDB(ctx, state, false)
	if err != nil {
		return fmt.Errorf("make state: %w", err)
	}
	defer db.Close()
	name := Redact(state)
	tx, err := db.BeginTx(ctx, nil) // takes writeLock: two makers wait for each other
	if err != nil {
		return fmt.Errorf("make state %s: %w", name, err)
	}
	defer tx.Rollback()
	schema, tables, err := postgresTables(ctx, tx)
	if err != nil {
		return fmt.Errorf("make state %s: %w", name, err)
	}
	if len(tables) > 0 {
		reason := fmt.Sprintf("is not empty (schema %s has %s): digest makes a new state only in an empty database or schema", schema, listTables(tables))
		if hasTable(tables, "schema_version") {
			reason = fmt.Sprintf("holds a digest state already (schema %s); it is kept", schema)
		}
		return fmt.Errorf("make state: %w", &NotStateError{Path: name, Reason: reason})
	}
	if _, err := tx.ExecContext(ctx, postgresSchema); err != nil {
		return fmt.Errorf("make state %s: %w", name, err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO schema_version (version) VALUES (`+strconv.Itoa(postgresBase)+`)`); err != nil {
		return fmt.Errorf("make state %s: %w", name, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("make state %s: %w", name, err)
	}
	if _, err := migratePostgres(ctx, db); err != nil {
		return fmt.Errorf("make state %s: %w", name, err)
	}
	return nil
}

// migratePostgres applies the missing postgresMigrations in one
// transaction (which holds writeLock), and returns the version it found.
func migratePostgres(ctx context.Context, db *sql.DB) (int, error) {
	if postgresBase+len(postgresMigrations) != len(migrations) {
		return 0, fmt.Errorf("migrate: PostgreSQL schema stops at version %d, SQLite's at %d", postgresBase+len(postgresMigrations), len(migrations))
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("migrate: %w", err)
	}
	defer tx.Rollback()
	return upgrade(ctx, tx, func(i int) string { return postgresMigrations[i-postgresBase] })
}

// recordPostgresSQL is recordSQL for PostgreSQL: an UPSERT, as it has no
// INSERT OR REPLACE. A statement must not name one row twice (Record
// keeps the last of each).
func recordPostgresSQL(n, shared int) string {
	return strings.Replace(recordSQL(n, shared), "INSERT OR REPLACE INTO", "INSERT INTO", 1) +
		` ON CONFLICT (edition, channel, email) DO UPDATE SET run = excluded.run, status = excluded.status,
		updated = excluded.updated, message_id = excluded.message_id, reply = excluded.reply, attempts = excluded.attempts`
}

// pgConnector makes the connections of a PostgreSQL state (see pgConn).
type pgConnector struct{ driver.Connector }

func (c pgConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.Connector.Connect(ctx)
	if err != nil {
		return nil, err
	}
	return &pgConn{conn.(*stdlib.Conn)}, nil
}

// A pgConn is a pgx connection that numbers the ? parameters of each query
// (see rebind) and takes writeLock at the start of each transaction that
// is not read-only.
type pgConn struct{ *stdlib.Conn }

func (c *pgConn) Prepare(q string) (driver.Stmt, error) { return c.Conn.Prepare(rebind(q)) }

func (c *pgConn) PrepareContext(ctx context.Context, q string) (driver.Stmt, error) {
	return c.Conn.PrepareContext(ctx, rebind(q))
}

func (c *pgConn) ExecContext(ctx context.Context, q string, args []driver.NamedValue) (driver.Result, error) {
	return c.Conn.ExecContext(ctx, rebind(q), args)
}

func (c *pgConn) QueryContext(ctx context.Context, q string, args []driver.NamedValue) (driver.Rows, error) {
	return c.Conn.QueryContext(ctx, rebind(q), args)
}

func (c *pgConn) Begin() (driver.Tx, error) {
	return c.BeginTx(context.Background(), driver.TxOptions{})
}

func (c *pgConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	tx, err := c.Conn.BeginTx(ctx, opts)
	if err != nil || opts.ReadOnly {
		return tx, err
	}
	if _, err := c.Conn.Conn().Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, writeLock); err != nil {
		tx.Rollback()
		return nil, fmt.Errorf("write lock: %w", err)
	}
	return tx, nil
}

// rebind numbers the parameters of a query written for SQLite for
// PostgreSQL: ?N becomes $N, and each anonymous ? takes the number after
// the highest so far, as in SQLite. Quoted text, quoted names and --
// comments are copied as they are.
func rebind(q string) string {
	if !strings.Contains(q, "?") {
		return q
	}
	var b strings.Builder
	b.Grow(len(q) + len(q)/4)
	highest := 0
	for i := 0; i < len(q); i++ {
		c := q[i]
		switch {
		case c == '\'' || c == '"':
			j := strings.IndexByte(q[i+1:], c)
			if j < 0 {
				b.WriteString(q[i:])
				return b.String()
			}
			b.WriteString(q[i : i+j+2])
			i += j + 1
		case c == '-' && i+1 < len(q) && q[i+1] == '-':
			j := strings.IndexByte(q[i:], '\n')
			if j < 0 {
				b.WriteString(q[i:])
				return b.String()
			}
			b.WriteString(q[i : i+j+1])
			i += j
		case c == '?':
			j := i + 1
			for j < len(q) && q[j] >= '0' && q[j] <= '9' {
				j++
			}
			n := highest + 1
			if j > i+1 {
				n, _ = strconv.Atoi(q[i+1 : j])
			}
			highest = max(highest, n)
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			i = j - 1
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// lockConnectWait is how long LockPostgres waits for the database to
// answer.
const lockConnectWait = 30 * time.Second

// LockPostgres takes the advisory lock called name of the PostgreSQL state
// at state (of its database and current schema), on a connection of its
// own that it holds until unlock closes it. The server releases the lock
// when that connection ends, however the process ends. It does not wait:
// when another session holds the lock, it returns an error wrapping
// digest.ErrLocked. A connection lost while the lock is held releases it
// unnoticed.
func LockPostgres(state, name string) (unlock func() error, err error) {
	return lockPostgres(context.Background(), state, name, "pg_try_advisory_lock")
}

// LockPostgresShared is LockPostgres in shared mode: any number of
// holders share the lock, and it keeps out only an exclusive holder (see
// LockPostgres and WaitPostgres), as the exclusive holder keeps them out.
func LockPostgresShared(state, name string) (unlock func() error, err error) {
	return lockPostgres(context.Background(), state, name, "pg_try_advisory_lock_shared")
}

// WaitPostgres is LockPostgres that waits for the lock, until ctx is
// done.
func WaitPostgres(ctx context.Context, state, name string) (unlock func() error, err error) {
	return lockPostgres(ctx, state, name, "pg_advisory_lock")
}

// lockPostgres takes the advisory lock called name with the function fn
// (one of PostgreSQL's pg_*advisory_lock*) on a connection of its own.
func lockPostgres(ctx context.Context, state, name, fn string) (unlock func() error, err error) {
	cctx, cancel := context.WithTimeout(ctx, lockConnectWait)
	defer cancel()
	cfg, err := postgresConfig(state, false)
	if err != nil {
		return nil, fmt.Errorf("lock: %w", err)
	}
	where := Redact(state) + " (" + name + ")"
	conn, err := pgx.ConnectConfig(cctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", where, err)
	}
	ok := true
	q := `SELECT ` + fn + `(hashtext('digest ' || $1::text || ' ' || coalesce(current_schema(), '')))`
	if fn == "pg_advisory_lock" {
		_, err = conn.Exec(ctx, q, name)
	} else {
		err = conn.QueryRow(ctx, q, name).Scan(&ok)
	}
	if err != nil {
		conn.Close(context.Background())
		return nil, fmt.Errorf("lock %s: %w", where, err)
	}
	if !ok {
		conn.Close(context.Background())
		return nil, fmt.Errorf("lock %s: %w", where, digest.ErrLocked)
	}
	return func() error {
		if err := conn.Close(context.Background()); err != nil {
			return fmt.Errorf("unlock %s: %w", where, err)
		}
		return nil
	}, nil
}

// RefusedSettings reports whether err is a PostgreSQL server's refusal of
// the state's settings rather than a failure: a wrong user or password
// (SQLSTATE class 28), or a database that does not exist (3D000).
func RefusedSettings(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && (strings.HasPrefix(pe.Code, "28") || pe.Code == "3D000")
}
