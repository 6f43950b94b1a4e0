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

// maxDiagnostic caps the diagnostic text kept with a bounce.
const maxDiagnostic = 500

// RecordBounces records the bounces and complaints one report carries and
// applies the policy to each address, in one durable transaction: a hard
// bounce or a complaint suppresses the address at once; a soft bounce
// suppresses it when it makes p.SoftLimit distinct editions within
// p.Window that soft-bounced since the last edition delivered to the
// address that did not bounce (and since the address was last taken back
// with Unsuppress). report names the message the bounces came from; a
// report recorded before changes nothing and RecordBounces returns
// (nil, true, nil). An empty report is never remembered.
func (s *Store) RecordBounces(ctx context.Context, report string, bs []digest.Bounce, p digest.BouncePolicy) (outs []digest.BounceOutcome, already bool, err error) {
	w, err := s.writer()
	if err != nil {
		return nil, false, fmt.Errorf("record bounces: %w", err)
	}
	if p.SoftLimit < 1 {
		p.SoftLimit = 3
	}
	if p.Window <= 0 {
		p.Window = 30 * 24 * time.Hour
	}
	tx, err := w.BeginTx(ctx, nil)
	if err != nil {
		return nil, false, fmt.Errorf("record bounces: %w", err)
	}
	defer tx.Rollback()
	now := time.Now()
	if len(bs) > 0 && !bs[0].At.IsZero() {
		now = bs[0].At
	}
	if report != "" {
		res, err := tx.ExecContext(ctx, `INSERT INTO bounce_reports (report, at) VALUES (?, ?) ON CONFLICT DO NOTHING`, report, formatTime(now))
		if err != nil {
			return nil, false, fmt.Errorf("record bounces: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil, true, nil
		}
	}
	for _, b := range bs {
		b.Email = strings.ToLower(strings.TrimSpace(b.Email))
		if b.Email == "" {
			return nil, false, errors.New("record bounces: empty address")
		}
		b.Diagnostic = capText(b.Diagnostic, maxDiagnostic)
		out := digest.BounceOutcome{Bounce: b}
		key := report
		if key == "" {
			key = "refused:" + b.Edition
		}
		if _, err := tx.ExecContext(ctx, `
			INSERT INTO bounces (report, email, edition, kind, status, diagnostic, at) VALUES (?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT DO NOTHING`, key, b.Email, b.Edition, string(b.Kind), b.Status, b.Diagnostic, formatTime(b.At)); err != nil {
			return nil, false, fmt.Errorf("record bounce of %s: %w", b.Email, err)
		}
		var reason string
		switch err := tx.QueryRowContext(ctx, `SELECT reason FROM suppressed WHERE email = ?`, b.Email).Scan(&reason); {
		case errors.Is(err, sql.ErrNoRows):
		case err != nil:
			return nil, false, fmt.Errorf("record bounce of %s: %w", b.Email, err)
		default:
			out.WasSuppressed = true
		}
		switch b.Kind {
		case digest.HardBounce:
			out.Reason = digest.ReasonBounced
		case digest.Complaint:
			out.Reason = digest.ReasonComplained
		case digest.SoftBounce:
			n, err := softCount(ctx, tx, b.Email, b.At, p.Window)
			if err != nil {
				return nil, false, fmt.Errorf("record bounce of %s: %w", b.Email, err)
			}
			out.SoftCount = n
			if n >= p.SoftLimit {
				out.Reason = digest.ReasonSoftBounced
			}
		default:
			return nil, false, fmt.Errorf("record bounce of %s: unknown kind %q", b.Email, b.Kind)
		}
		if out.Reason != "" && !out.WasSuppressed {
			detail := strings.TrimSpace(b.Status + " " + b.Diagnostic)
			if b.Kind == digest.SoftBounce {
				detail = fmt.Sprintf("%d soft bounces; last: %s", out.SoftCount, detail)
			}
			if b.Edition != "" {
				detail = "edition " + b.Edition + ": " + detail
			}
			if _, err := tx.ExecContext(ctx, `
				INSERT INTO suppressed (email, reason, at, detail) VALUES (?, ?, ?, ?)
				ON CONFLICT (email) DO NOTHING`, b.Email, out.Reason, formatTime(b.At), capText(detail, maxDiagnostic)); err != nil {
				return nil, false, fmt.Errorf("suppress %s: %w", b.Email, err)
			}
			out.Suppressed = true
		} else if out.WasSuppressed {
			out.Reason = reason
		}
		outs = append(outs, out)
	}
	if err := tx.Commit(); err != nil {
		return nil, false, fmt.Errorf("record bounces: %w", err)
	}
	return outs, false, nil
}

// softCount returns how many distinct editions soft-bounced for the
// address within the window before at, counting only editions delivered
// after the last edition that was delivered and did not bounce, and
// bounces after the address was last taken back. An edition's delivery
// time is its journal row's; a bounce with no journal row counts at its
// own time. Only the journal rows of editions created within the window
// are read, through the journal's primary key.
func softCount(ctx context.Context, tx *sql.Tx, email string, at time.Time, window time.Duration) (int, error) {
	since := formatTime(at.Add(-window))
	var resub string
	if err := tx.QueryRowContext(ctx, `SELECT at FROM resubscribed WHERE email = ?`, email).Scan(&resub); err != nil && !errors.Is(err, sql.ErrNoRows) {
		return 0, err
	}
	if resub > since {
		since = resub
	}
	// The deliveries to the address of the editions of the window.
	sent := map[string]string{}
	rows, err := tx.QueryContext(ctx, `
		SELECT edition, MAX(updated) FROM journal
		WHERE edition IN (SELECT id FROM editions WHERE created >= ?) AND channel IN ('smtp', 'outbox')
		  AND email = ? AND status = 'sent'
		GROUP BY edition`, formatTime(at.Add(-2*window)), email)
	if err != nil {
		return 0, err
	}
	for rows.Next() {
		var ed, t string
		if err := rows.Scan(&ed, &t); err != nil {
			rows.Close()
			return 0, err
		}
		sent[ed] = t
	}
	if err := rows.Close(); err != nil {
		return 0, err
	}
	bounced := map[string]bool{}
	soft := map[string]string{} // edition → when it was delivered, or bounced
	rows, err = tx.QueryContext(ctx, `SELECT edition, kind, at FROM bounces WHERE email = ? AND at >= ?`, email, formatTime(at.Add(-2*window)))
	if err != nil {
		return 0, err
	}
	for rows.Next() {
		var ed, kind, t string
		if err := rows.Scan(&ed, &kind, &t); err != nil {
			rows.Close()
			return 0, err
		}
		bounced[ed] = true
		if kind == string(digest.SoftBounce) && t >= since {
			if s, ok := sent[ed]; ok {
				t = s
			}
			if cur, ok := soft[ed]; !ok || t > cur {
				soft[ed] = t
			}
		}
	}
	if err := rows.Close(); err != nil {
		return 0, err
	}
	reset := ""
	for ed, t := range sent {
		if !bounced[ed] && t > reset {
			reset = t
		}
	}
	n := 0
	for _, t := range soft {
		if t > reset {
			n++
		}
	}
	return n, nil
}

// ReportRecorded reports whether RecordBounces has recorded the report.
func (s *Store) ReportRecorded(ctx context.Context, report string) (bool, error) {
	var n int
	if err := s.r.QueryRowContext(ctx, `SELECT count(*) FROM bounce_reports WHERE report = ?`, report).Scan(&n); err != nil {
		return false, fmt.Errorf("report recorded: %w", err)
	}
	return n > 0, nil
}

// Recipients returns the addresses the journal holds for an edition, on
// any channel, in no particular order.
func (s *Store) Recipients(ctx context.Context, edition string) ([]string, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT DISTINCT email FROM journal WHERE edition = ?`, edition)
	if err != nil {
		return nil, fmt.Errorf("recipients of %s: %w", edition, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var e string
		if err := rows.Scan(&e); err != nil {
			return nil, fmt.Errorf("recipients of %s: %w", edition, err)
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// EditionIDs returns the IDs of the frozen editions, newest first, at most
// n of them.
func (s *Store) EditionIDs(ctx context.Context, n int) ([]string, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT id FROM editions ORDER BY created DESC, id DESC LIMIT ?`, n)
	if err != nil {
		return nil, fmt.Errorf("edition IDs: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("edition IDs: %w", err)
		}
		out = append(out, id)
	}
	return out, rows.Err()
}

// Mailed reports whether the journal has a row for the edition and
// address, on any channel.
func (s *Store) Mailed(ctx context.Context, edition, email string) (bool, error) {
	var n int
	err := s.r.QueryRowContext(ctx, `SELECT count(*) FROM journal WHERE edition = ? AND channel IN ('smtp', 'outbox') AND email = ?`,
		edition, strings.ToLower(email)).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("mailed: %w", err)
	}
	return n > 0, nil
}

// A Suppression is one row of the suppression list.
type Suppression struct {
	Email  string
	Reason string // manual, unsubscribed, bounced, soft-bounced, complained…
	At     time.Time
	Detail string // for a bounce: the edition, status code and diagnostic
}

// Suppressions returns the suppression list, oldest first.
func (s *Store) Suppressions(ctx context.Context) ([]Suppression, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT email, reason, at, detail FROM suppressed ORDER BY at, email`)
	if err != nil {
		return nil, fmt.Errorf("suppressions: %w", err)
	}
	defer rows.Close()
	var out []Suppression
	for rows.Next() {
		var sp Suppression
		var at string
		if err := rows.Scan(&sp.Email, &sp.Reason, &at, &sp.Detail); err != nil {
			return nil, fmt.Errorf("suppressions: %w", err)
		}
		if sp.At, err = parseTime(at); err != nil {
			return nil, fmt.Errorf("suppressions: %w", err)
		}
		out = append(out, sp)
	}
	return out, rows.Err()
}

// SuppressionReasons returns the reasons of these addresses that are on
// the suppression list, keyed by the address in lower case.
func (s *Store) SuppressionReasons(ctx context.Context, emails []string) (map[string]string, error) {
	lower, _ := lowerEmails(emails)
	out := make(map[string]string)
	err := inBatches(lower, func(args []any, marks string) error {
		rows, err := s.r.QueryContext(ctx, `SELECT email, reason FROM suppressed WHERE email IN (`+marks+`)`, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var e, r string
			if err := rows.Scan(&e, &r); err != nil {
				return err
			}
			out[e] = r
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("suppression reasons: %w", err)
	}
	return out, nil
}

// Unsuppress takes addresses off the suppression list (a resubscribe):
// later runs mail them again, and their soft bounces so far no longer
// count. It returns the addresses that were on the list.
func (s *Store) Unsuppress(ctx context.Context, emails []string, at time.Time) ([]string, error) {
	w, err := s.writer()
	if err != nil {
		return nil, fmt.Errorf("unsuppress: %w", err)
	}
	tx, err := w.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("unsuppress: %w", err)
	}
	defer tx.Rollback()
	var removed []string
	for _, e := range emails {
		e = strings.ToLower(strings.TrimSpace(e))
		res, err := tx.ExecContext(ctx, `DELETE FROM suppressed WHERE email = ?`, e)
		if err != nil {
			return nil, fmt.Errorf("unsuppress %s: %w", e, err)
		}
		if n, _ := res.RowsAffected(); n > 0 {
			removed = append(removed, e)
		}
		if _, err := tx.ExecContext(ctx, `
			INSERT INTO resubscribed (email, at) VALUES (?, ?)
			ON CONFLICT (email) DO UPDATE SET at = excluded.at`, e, formatTime(at)); err != nil {
			return nil, fmt.Errorf("unsuppress %s: %w", e, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("unsuppress: %w", err)
	}
	return removed, nil
}

// BounceCounts are the bounces and complaints recorded for one edition:
// distinct addresses by kind.
type BounceCounts struct {
	Hard, Soft, Complaints int
}

// BounceCountsByEdition returns the bounce counts of these editions.
func (s *Store) BounceCountsByEdition(ctx context.Context, editions []string) (map[string]BounceCounts, error) {
	out := map[string]BounceCounts{}
	err := inBatches(editions, func(args []any, marks string) error {
		rows, err := s.r.QueryContext(ctx, `
			SELECT edition, kind, count(DISTINCT email) FROM bounces WHERE edition IN (`+marks+`) GROUP BY edition, kind`, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var ed, kind string
			var n int
			if err := rows.Scan(&ed, &kind, &n); err != nil {
				return err
			}
			c := out[ed]
			switch digest.BounceKind(kind) {
			case digest.HardBounce:
				c.Hard = n
			case digest.SoftBounce:
				c.Soft = n
			case digest.Complaint:
				c.Complaints = n
			}
			out[ed] = c
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("bounce counts: %w", err)
	}
	return out, nil
}

// BounceTotals returns how many bounces of each kind the state holds, one
// per address and report: the counters of the metrics file.
func (s *Store) BounceTotals(ctx context.Context) (map[digest.BounceKind]int, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT kind, count(*) FROM bounces GROUP BY kind`)
	if err != nil {
		return nil, fmt.Errorf("bounce totals: %w", err)
	}
	defer rows.Close()
	out := map[digest.BounceKind]int{}
	for rows.Next() {
		var k string
		var n int
		if err := rows.Scan(&k, &n); err != nil {
			return nil, fmt.Errorf("bounce totals: %w", err)
		}
		out[digest.BounceKind(k)] = n
	}
	return out, rows.Err()
}

// capText returns text from outside (a server's diagnostic) as one clean
// line of at most n bytes: controls, bidi and zero-width characters are
// removed, so that listing it cannot rewrite an operator's terminal.
func capText(s string, n int) string {
	s = digest.CleanText(s)
	if len(s) <= n {
		return s
	}
	for n > 0 && s[n]&0xC0 == 0x80 { // do not cut a UTF-8 sequence
		n--
	}
	return s[:n]
}
