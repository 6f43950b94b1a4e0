package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/digest-newsletter/digest/digest"
)

// recordChunks are the row counts of the prepared journal writes, largest
// first: Record writes a batch in as few statements as these sizes allow,
// since each statement execution costs far more than each row. Larger
// statements are slower, not faster: a statement of 256 rows outgrows its
// in-memory statement journal, which SQLite then spills to a temporary
// file.
var recordChunks = [...]int{64, 8, 1}

// recordColumns are the journal's columns in the order the prepared
// writes list them: the shared ones first.
const recordColumns = "edition, channel, run, status, updated, email, message_id, reply, attempts"

// recordShares are the numbers of leading recordColumns that a prepared
// write binds once, for all its rows, most first. Each bound text value
// costs the driver a C allocation, a copy, a free, and a bind and an
// unbind that each take SQLite's mutex. The rows of a batch nearly always
// share edition, channel and run, and a batch of claims shares its status
// and time too: sharing them cuts the values bound per row from 9 to 4
// for a claim and to 6 for a result.
var recordShares = [...]int{5, 3, 0}

// recordSQL returns the journal write of n rows whose first shared columns
// are the same in every row. It is INSERT OR REPLACE rather than an UPSERT
// (ON CONFLICT DO UPDATE): both leave the same row, all of whose columns
// are given, but for a row that exists the UPSERT seeks it twice,
// evaluates the CHECK constraints twice and builds the record twice, where
// REPLACE deletes the row where its seek found it and inserts the new one,
// which costs less CPU per row (BenchmarkRecord measures it). REPLACE deletes every row
// that conflicts with the new one on any uniqueness constraint: the
// primary key is the journal's only one, and neither a trigger nor a
// foreign key involves the table. (REPLACE would also store a column's
// default for a NULL rather than fail, but Record binds no NULL.)
//
// The first row binds all nine parameters, ?1 to ?9; the other rows refer
// to the first row's ?1 to ?shared and bind the rest, each anonymous ?
// numbered after the highest so far. Only these few parameters are
// numbered: SQLite looks a parameter's name up in a list of the numbered
// ones, so numbering them all would make binding quadratic.
func recordSQL(n, shared int) string {
	var b strings.Builder
	b.WriteString("INSERT OR REPLACE INTO journal (" + recordColumns + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")
	for range n - 1 {
		b.WriteString(", (")
		for c := range 9 {
			if c > 0 {
				b.WriteString(", ")
			}
			if c < shared {
				fmt.Fprintf(&b, "?%d", c+1)
			} else {
				b.WriteString("?")
			}
		}
		b.WriteString(")")
	}
	return b.String()
}

// recordShare returns the index in recordShares of the statements for
// these rows: those sharing the most leading columns the rows agree on.
func recordShare(ds []digest.Delivery) int {
	first, j := ds[0], 0 // edition, channel, run, status and updated
	for _, d := range ds[1:] {
		if d.Edition != first.Edition || d.Channel != first.Channel || d.Run != first.Run {
			return 2 // none
		}
		if d.Status != first.Status || !d.Updated.Equal(first.Updated) {
			j = 1 // edition, channel and run
		}
	}
	return j
}

// appendRecordArgs appends the parameters of the statement writing ds
// that binds its first shared columns once.
func appendRecordArgs(args []any, ds []digest.Delivery, shared int) []any {
	for i, d := range ds {
		if i == 0 || shared < 3 {
			args = append(args, d.Edition, d.Channel, d.Run)
		}
		if i == 0 || shared < 5 {
			args = append(args, string(d.Status), formatTime(d.Updated))
		}
		args = append(args, strings.ToLower(d.Email), d.MessageID, d.Reply, d.Attempts)
	}
	return args
}

// Record inserts or replaces these journal rows in one durable
// transaction: when it returns nil every row is on disk, and when it
// returns an error none is written. Addresses are stored in lower case and
// Updated in UTC. A row with an empty address or an unknown status is an
// error.
func (s *Store) Record(ctx context.Context, ds []digest.Delivery) error {
	if len(ds) == 0 {
		return nil
	}
	w, err := s.writer()
	if err != nil {
		return fmt.Errorf("record: %w", err)
	}
	for i, d := range ds {
		if err := checkDelivery(d); err != nil {
			return fmt.Errorf("record row %d (%s %s %s): %w", i+1, d.Edition, d.Channel, d.Email, err)
		}
	}
	if s.pg {
		ds = lastOfEach(ds)
	}
	tx, err := w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("record: %w", err)
	}
	defer tx.Rollback()
	// The statements run under a context that is never canceled: for a
	// cancelable one the driver starts a goroutine per statement to
	// interrupt it, and ending it wakes an idle thread, which shows in
	// BenchmarkRecord (not in a run whose threads are all busy). Canceling ctx still ends the
	// transaction: database/sql then rolls it back, after the statement in
	// progress, and the next statement or Commit fails.
	sctx := context.WithoutCancel(ctx)
	fail := func(err error) error {
		if ctx.Err() != nil {
			err = ctx.Err() // rather than "transaction has already been committed or rolled back"
		}
		return fmt.Errorf("record: %w", err)
	}
	if err := s.writeJournal(sctx, tx, ds); err != nil {
		return fail(err)
	}
	if err := tx.Commit(); err != nil {
		return fail(err)
	}
	return nil
}

// writeJournal writes checked rows in tx with the prepared statements.
func (s *Store) writeJournal(ctx context.Context, tx *sql.Tx, ds []digest.Delivery) error {
	var stmts [len(recordShares)][len(recordChunks)]*sql.Stmt // s.record in tx
	args := make([]any, 0, 9*recordChunks[0])
	for i, size := range recordChunks {
		for len(ds) >= size {
			j := recordShare(ds[:size])
			if stmts[j][i] == nil {
				stmts[j][i] = tx.StmtContext(ctx, s.record[j][i])
			}
			args = appendRecordArgs(args[:0], ds[:size], recordShares[j])
			if _, err := stmts[j][i].ExecContext(ctx, args...); err != nil {
				return err
			}
			ds = ds[size:]
		}
	}
	return nil
}

// A Claiming state is a Store whose journal several runs may write at
// once: it is a digest.Claimer, so that a run claims its deliveries with
// Claim rather than Deliveries and then Record. Its other methods are the
// Store's.
type Claiming struct{ *Store }

var _ digest.Claimer = Claiming{}

// Claim reads the journal rows of these addresses (by edition) and
// records the rows decide returns, in one transaction that takes the
// state's write lock before it reads: no other Claim, nor any other write,
// comes between the reading and the writing, so two runs never both find
// one delivery unclaimed. Rows are read and written as Deliveries and
// Record do; decide's rows are checked as Record checks them.
func (c Claiming) Claim(ctx context.Context, channel string, emails map[string][]string,
	decide func(rows map[string]map[string]digest.Delivery) ([]digest.Delivery, error)) error {
	s := c.Store
	w, err := s.writer()
	if err != nil {
		return fmt.Errorf("claim: %w", err)
	}
	tx, err := w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("claim: %w", err)
	}
	defer tx.Rollback()
	rows := make(map[string]map[string]digest.Delivery, len(emails))
	for edition, list := range emails {
		if rows[edition], err = s.deliveries(ctx, tx, edition, channel, list); err != nil {
			return fmt.Errorf("claim: %w", err)
		}
	}
	ds, err := decide(rows)
	if err != nil {
		return err
	}
	for i, d := range ds {
		if err := checkDelivery(d); err != nil {
			return fmt.Errorf("claim row %d (%s %s %s): %w", i+1, d.Edition, d.Channel, d.Email, err)
		}
	}
	if s.pg {
		ds = lastOfEach(ds)
	}
	if err := s.writeJournal(ctx, tx, ds); err != nil {
		return fmt.Errorf("claim: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("claim: %w", err)
	}
	return nil
}

// lastOfEach returns ds with only the last row of each edition, channel
// and address, for PostgreSQL, whose UPSERT cannot change one row twice
// in a statement. It returns ds itself when no row repeats.
func lastOfEach(ds []digest.Delivery) []digest.Delivery {
	type key struct{ edition, channel, email string }
	last := make(map[key]int, len(ds))
	for i, d := range ds {
		last[key{d.Edition, d.Channel, strings.ToLower(d.Email)}] = i
	}
	if len(last) == len(ds) {
		return ds
	}
	out := make([]digest.Delivery, 0, len(last))
	for i, d := range ds {
		if last[key{d.Edition, d.Channel, strings.ToLower(d.Email)}] == i {
			out = append(out, d)
		}
	}
	return out
}

// checkDelivery reports what makes d unfit for the journal, if anything.
func checkDelivery(d digest.Delivery) error {
	switch {
	case d.Edition == "":
		return errors.New("no edition")
	case d.Channel == "":
		return errors.New("no channel")
	case d.Email == "":
		return errors.New("no address")
	}
	switch d.Status {
	case digest.Pending, digest.Sending, digest.Sent, digest.Failed, digest.Deferred:
		return nil
	}
	return fmt.Errorf("unknown status %q", d.Status)
}

// Deliveries returns the journal rows of one edition and channel for these
// addresses, keyed by the address as given; an address with no row is
// absent from the map. Addresses match whatever their case.
func (s *Store) Deliveries(ctx context.Context, edition, channel string, emails []string) (map[string]digest.Delivery, error) {
	return s.deliveries(ctx, s.r, edition, channel, emails)
}

// deliveries is Deliveries through q: the read pool, or a transaction.
func (s *Store) deliveries(ctx context.Context, q interface {
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
}, edition, channel string, emails []string) (map[string]digest.Delivery, error) {
	lower, keys := lowerEmails(emails)
	byLower := make(map[string]digest.Delivery, len(lower))
	err := inBatches(lower, func(args []any, marks string) error {
		args = append([]any{edition, channel}, args...)
		rows, err := q.QueryContext(ctx, `
			SELECT email, status, message_id, reply, attempts, updated, run FROM journal
			WHERE edition = ? AND channel = ? AND email IN (`+marks+`)`, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			d := digest.Delivery{Edition: edition, Channel: channel}
			if err := scanDelivery(rows, &d); err != nil {
				return err
			}
			byLower[d.Email] = d
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("deliveries %s %s: %w", edition, channel, err)
	}
	out := make(map[string]digest.Delivery, len(byLower))
	for key, l := range keys {
		if d, ok := byLower[l]; ok {
			out[key] = d
		}
	}
	return out, nil
}

// Counts returns how many journal rows of one edition and channel are in
// each status. A status with no row is absent.
func (s *Store) Counts(ctx context.Context, edition, channel string) (map[digest.DeliveryStatus]int, error) {
	rows, err := s.r.QueryContext(ctx, `
		SELECT status, count(*) FROM journal
		WHERE edition = ? AND channel = ? GROUP BY status`, edition, channel)
	if err != nil {
		return nil, fmt.Errorf("counts %s %s: %w", edition, channel, err)
	}
	defer rows.Close()
	counts := make(map[digest.DeliveryStatus]int)
	for rows.Next() {
		var st string
		var n int
		if err := rows.Scan(&st, &n); err != nil {
			return nil, fmt.Errorf("counts %s %s: %w", edition, channel, err)
		}
		counts[digest.DeliveryStatus(st)] = n
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("counts %s %s: %w", edition, channel, err)
	}
	return counts, nil
}

// Unknown returns the journal rows of one edition and channel left in
// sending, ordered by address: a run stopped between handing the message
// to the server and recording the reply, so whether it was delivered is
// unknown.
func (s *Store) Unknown(ctx context.Context, edition, channel string) ([]digest.Delivery, error) {
	rows, err := s.r.QueryContext(ctx, `
		SELECT email, status, message_id, reply, attempts, updated, run FROM journal
		WHERE edition = ? AND channel = ? AND status = 'sending'
		ORDER BY email`, edition, channel)
	if err != nil {
		return nil, fmt.Errorf("unknown deliveries %s %s: %w", edition, channel, err)
	}
	defer rows.Close()
	var ds []digest.Delivery
	for rows.Next() {
		d := digest.Delivery{Edition: edition, Channel: channel}
		if err := scanDelivery(rows, &d); err != nil {
			return nil, fmt.Errorf("unknown deliveries %s %s: %w", edition, channel, err)
		}
		ds = append(ds, d)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("unknown deliveries %s %s: %w", edition, channel, err)
	}
	return ds, nil
}

// An EditionStatus is one frozen edition and where its deliveries stand,
// as digest status shows it.
type EditionStatus struct {
	ID      string
	Cadence string
	Subject string
	Created time.Time // UTC
	// Counts holds, for each channel with journal rows, the number of rows
	// in each status.
	Counts map[string]map[digest.DeliveryStatus]int
}

// Recent returns the n most recently created frozen editions, newest
// first, with their delivery counts per channel and status.
func (s *Store) Recent(ctx context.Context, n int) ([]EditionStatus, error) {
	if n <= 0 {
		return nil, nil
	}
	subject := `json_extract(e.body, '$.subject')`
	if s.pg {
		subject = `e.body::json->>'subject'`
	}
	rows, err := s.r.QueryContext(ctx, `
		SELECT e.id, e.cadence, e.created, `+subject+`, j.channel, j.status, j.n
		FROM (SELECT id, cadence, created, body FROM editions ORDER BY created DESC, id DESC LIMIT ?) AS e
		LEFT JOIN (SELECT edition, channel, status, count(*) AS n FROM journal GROUP BY edition, channel, status) AS j
			ON j.edition = e.id
		ORDER BY e.created DESC, e.id DESC`, n)
	if err != nil {
		return nil, fmt.Errorf("recent editions: %w", err)
	}
	defer rows.Close()
	var out []EditionStatus
	for rows.Next() {
		var (
			id, cadence, created string
			subject, channel, st *string
			count                *int
		)
		if err := rows.Scan(&id, &cadence, &created, &subject, &channel, &st, &count); err != nil {
			return nil, fmt.Errorf("recent editions: %w", err)
		}
		if len(out) == 0 || out[len(out)-1].ID != id {
			t, err := parseTime(created)
			if err != nil {
				return nil, fmt.Errorf("recent editions: %w", err)
			}
			es := EditionStatus{ID: id, Cadence: cadence, Created: t, Counts: map[string]map[digest.DeliveryStatus]int{}}
			if subject != nil {
				es.Subject = *subject
			}
			out = append(out, es)
		}
		if channel == nil {
			continue
		}
		c := out[len(out)-1].Counts
		if c[*channel] == nil {
			c[*channel] = map[digest.DeliveryStatus]int{}
		}
		c[*channel][digest.DeliveryStatus(*st)] = *count
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("recent editions: %w", err)
	}
	return out, nil
}

type scanner interface{ Scan(dest ...any) error }

// scanDelivery reads email, status, message_id, reply, attempts, updated,
// run.
func scanDelivery(row scanner, d *digest.Delivery) error {
	var st, updated string
	if err := row.Scan(&d.Email, &st, &d.MessageID, &d.Reply, &d.Attempts, &updated, &d.Run); err != nil {
		return err
	}
	d.Status = digest.DeliveryStatus(st)
	t, err := parseTime(updated)
	if err != nil {
		return err
	}
	d.Updated = t
	return nil
}

// lowerEmails returns the distinct lower-cased addresses and, for each
// address as given, its lower-cased form.
func lowerEmails(emails []string) (lower []string, keys map[string]string) {
	keys = make(map[string]string, len(emails))
	seen := make(map[string]bool, len(emails))
	for _, e := range emails {
		l := strings.ToLower(e)
		keys[e] = l
		if !seen[l] {
			seen[l] = true
			lower = append(lower, l)
		}
	}
	return lower, keys
}
