package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"iter"
	"strings"
	"time"

	"github.com/digest-newsletter/digest/digest"
)

// A Signup is one address signed up through digest serve's form: what the
// reader asked for, and the consent evidence of the request and of the
// confirmation (when, from which IP address, with which user agent).
type Signup struct {
	Email   string // as typed; compared in lower case
	Name    string
	Topics  []string
	Cadence string

	Requested    time.Time
	RequestIP    string
	RequestAgent string

	Confirmed    time.Time // zero while the request waits for its confirmation
	ConfirmIP    string
	ConfirmAgent string
}

// Subscriber returns the sign-up as a subscriber of the list.
func (s Signup) Subscriber() digest.Subscriber {
	return digest.Subscriber{Email: s.Email, Name: s.Name, Topics: s.Topics, Cadence: s.Cadence}
}

// Resubscribable reports whether a suppression with this reason is lifted
// when its address confirms a new sign-up: only the reader's own
// unsubscribes are ("one-click", "unsubscribe page"). A complaint, a bounce
// or the operator's "manual" suppression stays until the operator removes
// it.
func Resubscribable(reason string) bool {
	return reason == "one-click" || reason == "unsubscribe page"
}

// A RequestOutcome says what RequestSignup did.
type RequestOutcome int

const (
	// RequestMail: the request is recorded; mail its confirmation link.
	RequestMail RequestOutcome = iota
	// RequestTooSoon: a confirmation mail went to the address less than
	// the interval ago; nothing changed.
	RequestTooSoon
	// RequestSuppressed: the address is suppressed for a reason a sign-up
	// does not lift (a complaint, a bounce); nothing changed.
	RequestSuppressed
)

// KeepRequests is how long a sign-up request waits for its confirmation
// before RequestSignup forgets it; a confirmation link must expire sooner.
const KeepRequests = 30 * 24 * time.Hour

// RequestSignup records a sign-up request waiting for its confirmation and
// returns the nonce its confirmation link must carry, unless the address
// had a confirmation mail less than interval ago or is suppressed for good
// (see Resubscribable): then it changes nothing. A request replaces the
// address's earlier one, whose link then stops working. Only Email, Name,
// Topics, Cadence, Requested, RequestIP and RequestAgent of su are used;
// the request counts as mailed at su.Requested.
func (s *Store) RequestSignup(ctx context.Context, su Signup, interval time.Duration) (nonce string, out RequestOutcome, err error) {
	w, err := s.writer()
	if err != nil {
		return "", 0, fmt.Errorf("sign-up: %w", err)
	}
	email := strings.ToLower(strings.TrimSpace(su.Email))
	if email == "" {
		return "", 0, errors.New("sign-up: empty address")
	}
	tx, err := w.BeginTx(ctx, nil)
	if err != nil {
		return "", 0, fmt.Errorf("sign-up %s: %w", email, err)
	}
	defer tx.Rollback()
	var reason string
	switch err := tx.QueryRowContext(ctx, `SELECT reason FROM suppressed WHERE email = ?`, email).Scan(&reason); {
	case err == nil:
		if !Resubscribable(reason) {
			return "", RequestSuppressed, nil
		}
	case !errors.Is(err, sql.ErrNoRows):
		return "", 0, fmt.Errorf("sign-up %s: %w", email, err)
	}
	var mailed string
	switch err := tx.QueryRowContext(ctx, `SELECT mailed FROM signup_requests WHERE email = ?`, email).Scan(&mailed); {
	case err == nil:
		last, err := parseTime(mailed)
		if err != nil {
			return "", 0, fmt.Errorf("sign-up %s: %w", email, err)
		}
		if su.Requested.Sub(last) < interval {
			return "", RequestTooSoon, nil
		}
	case !errors.Is(err, sql.ErrNoRows):
		return "", 0, fmt.Errorf("sign-up %s: %w", email, err)
	}
	// Requests never confirmed are forgotten after KeepRequests: their
	// links expired long ago, and they hold an IP address.
	if _, err := tx.ExecContext(ctx, `DELETE FROM signup_requests WHERE at < ?`, formatTime(su.Requested.Add(-KeepRequests))); err != nil {
		return "", 0, fmt.Errorf("sign-up %s: %w", email, err)
	}
	var b [12]byte
	rand.Read(b[:])
	nonce = hex.EncodeToString(b[:])
	at := formatTime(su.Requested)
	if _, err := tx.ExecContext(ctx, `
		INSERT INTO signup_requests (email, address, name, topics, cadence, nonce, at, ip, agent, mailed)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (email) DO UPDATE SET address = excluded.address, name = excluded.name, topics = excluded.topics,
			cadence = excluded.cadence, nonce = excluded.nonce, at = excluded.at, ip = excluded.ip,
			agent = excluded.agent, mailed = excluded.mailed`,
		email, strings.TrimSpace(su.Email), su.Name, strings.Join(su.Topics, " "), su.Cadence, nonce, at,
		su.RequestIP, su.RequestAgent, at); err != nil {
		return "", 0, fmt.Errorf("sign-up %s: %w", email, err)
	}
	if err := tx.Commit(); err != nil {
		return "", 0, fmt.Errorf("sign-up %s: %w", email, err)
	}
	return nonce, RequestMail, nil
}

// SignupMailFailed forgets when the request with this nonce was mailed, so
// that the reader may ask again at once: its confirmation mail could not
// be sent.
func (s *Store) SignupMailFailed(ctx context.Context, email, nonce string) error {
	w, err := s.writer()
	if err != nil {
		return fmt.Errorf("sign-up: %w", err)
	}
	email = strings.ToLower(strings.TrimSpace(email))
	if _, err := w.ExecContext(ctx, `UPDATE signup_requests SET mailed = ? WHERE email = ? AND nonce = ?`,
		formatTime(time.Time{}), email, nonce); err != nil {
		return fmt.Errorf("sign-up %s: %w", email, err)
	}
	return nil
}

// A ConfirmOutcome says what ConfirmSignup did.
type ConfirmOutcome int

const (
	// Confirmed: the sign-up is confirmed now; an unsubscribe suppressing
	// the address was lifted, as Unsuppress does.
	Confirmed ConfirmOutcome = iota
	// AlreadyConfirmed: the request was confirmed before and the address is
	// not suppressed; nothing changed.
	AlreadyConfirmed
	// ConfirmStale: no request with this nonce waits, and the address is
	// not a confirmed, unsuppressed sign-up: the link was replaced by a
	// newer one, or used before the address unsubscribed.
	ConfirmStale
	// ConfirmSuppressed: the address is suppressed for a reason a sign-up
	// does not lift; nothing changed.
	ConfirmSuppressed
)

// ConfirmSignup confirms the request of email with this nonce, at the time
// and from the IP address and user agent given: the sign-up joins the list
// the runs mail, with the evidence of its request and of its confirmation.
// Confirming again changes nothing. It returns the sign-up as stored when
// the outcome is Confirmed or AlreadyConfirmed.
func (s *Store) ConfirmSignup(ctx context.Context, email, nonce string, at time.Time, ip, agent string) (Signup, ConfirmOutcome, error) {
	w, err := s.writer()
	if err != nil {
		return Signup{}, 0, fmt.Errorf("confirm sign-up: %w", err)
	}
	email = strings.ToLower(strings.TrimSpace(email))
	tx, err := w.BeginTx(ctx, nil)
	if err != nil {
		return Signup{}, 0, fmt.Errorf("confirm sign-up %s: %w", email, err)
	}
	defer tx.Rollback()
	fail := func(err error) (Signup, ConfirmOutcome, error) {
		return Signup{}, 0, fmt.Errorf("confirm sign-up %s: %w", email, err)
	}
	var reason string
	suppressed := true
	switch err := tx.QueryRowContext(ctx, `SELECT reason FROM suppressed WHERE email = ?`, email).Scan(&reason); {
	case errors.Is(err, sql.ErrNoRows):
		suppressed = false
	case err != nil:
		return fail(err)
	}
	var su Signup
	var topics, requested string
	err = tx.QueryRowContext(ctx, `
		SELECT address, name, topics, cadence, at, ip, agent FROM signup_requests WHERE email = ? AND nonce = ?`,
		email, nonce).Scan(&su.Email, &su.Name, &topics, &su.Cadence, &requested, &su.RequestIP, &su.RequestAgent)
	if errors.Is(err, sql.ErrNoRows) {
		if suppressed {
			return Signup{}, ConfirmStale, nil
		}
		su, ok, err := signup(ctx, tx, email)
		if err != nil {
			return fail(err)
		}
		if !ok {
			return Signup{}, ConfirmStale, nil
		}
		return su, AlreadyConfirmed, nil
	}
	if err != nil {
		return fail(err)
	}
	if suppressed && !Resubscribable(reason) {
		return Signup{}, ConfirmSuppressed, nil
	}
	su.Topics = strings.Fields(topics)
	if su.Requested, err = parseTime(requested); err != nil {
		return fail(err)
	}
	su.Confirmed, su.ConfirmIP, su.ConfirmAgent = at, ip, agent
	type stmt struct {
		sql  string
		args []any
	}
	var lift []stmt
	if suppressed {
		// As Unsuppress does: soft bounces before the resubscribe no
		// longer count.
		lift = []stmt{
			{`DELETE FROM suppressed WHERE email = ?`, []any{email}},
			{`INSERT INTO resubscribed (email, at) VALUES (?, ?) ON CONFLICT (email) DO UPDATE SET at = excluded.at`,
				[]any{email, formatTime(at)}},
		}
	}
	for _, q := range append(lift, []stmt{
		{`DELETE FROM signup_requests WHERE email = ?`, []any{email}},
		{`INSERT INTO signups (email, address, name, topics, cadence, requested, request_ip, request_agent,
			confirmed, confirm_ip, confirm_agent) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (email) DO UPDATE SET address = excluded.address, name = excluded.name,
				topics = excluded.topics, cadence = excluded.cadence, requested = excluded.requested,
				request_ip = excluded.request_ip, request_agent = excluded.request_agent,
				confirmed = excluded.confirmed, confirm_ip = excluded.confirm_ip, confirm_agent = excluded.confirm_agent`,
			[]any{email, su.Email, su.Name, topics, su.Cadence, requested, su.RequestIP, su.RequestAgent,
				formatTime(at), ip, agent}},
	}...) {
		if _, err := tx.ExecContext(ctx, q.sql, q.args...); err != nil {
			return fail(err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fail(err)
	}
	return su, Confirmed, nil
}

const signupColumns = `address, name, topics, cadence, requested, request_ip, request_agent, confirmed, confirm_ip, confirm_agent`

func scanSignup(row scanner) (Signup, error) {
	var su Signup
	var topics, requested, confirmed string
	if err := row.Scan(&su.Email, &su.Name, &topics, &su.Cadence, &requested, &su.RequestIP, &su.RequestAgent,
		&confirmed, &su.ConfirmIP, &su.ConfirmAgent); err != nil {
		return Signup{}, err
	}
	su.Topics = strings.Fields(topics)
	var err error
	if su.Requested, err = parseTime(requested); err != nil {
		return Signup{}, err
	}
	if su.Confirmed, err = parseTime(confirmed); err != nil {
		return Signup{}, err
	}
	return su, nil
}

func signup(ctx context.Context, tx *sql.Tx, email string) (Signup, bool, error) {
	su, err := scanSignup(tx.QueryRowContext(ctx, `SELECT `+signupColumns+` FROM signups WHERE email = ?`, email))
	if errors.Is(err, sql.ErrNoRows) {
		return Signup{}, false, nil
	}
	return su, err == nil, err
}

// Signup returns the confirmed sign-up of an address, if there is one.
func (s *Store) Signup(ctx context.Context, email string) (Signup, bool, error) {
	email = strings.ToLower(strings.TrimSpace(email))
	su, err := scanSignup(s.r.QueryRowContext(ctx, `SELECT `+signupColumns+` FROM signups WHERE email = ?`, email))
	if errors.Is(err, sql.ErrNoRows) {
		return Signup{}, false, nil
	}
	if err != nil {
		return Signup{}, false, fmt.Errorf("sign-up %s: %w", email, err)
	}
	return su, true, nil
}

// Signups streams the confirmed sign-ups in the order of their lower-cased
// addresses, suppressed ones included. It reads from one snapshot of the
// state and holds one row at a time. A final error, if any, ends the
// stream.
func (s *Store) Signups(ctx context.Context) iter.Seq2[Signup, error] {
	return func(yield func(Signup, error) bool) {
		rows, err := s.r.QueryContext(ctx, `SELECT `+signupColumns+` FROM signups ORDER BY email`)
		if err != nil {
			yield(Signup{}, fmt.Errorf("sign-ups: %w", err))
			return
		}
		defer rows.Close()
		for rows.Next() {
			su, err := scanSignup(rows)
			if err != nil {
				yield(Signup{}, fmt.Errorf("sign-ups: %w", err))
				return
			}
			if !yield(su, nil) {
				return
			}
		}
		if err := rows.Err(); err != nil {
			yield(Signup{}, fmt.Errorf("sign-ups: %w", err))
		}
	}
}

// SignupCounts are the numbers of sign-ups in the state.
type SignupCounts struct {
	Confirmed  int // confirmed sign-ups
	Suppressed int // of them, suppressed ones (never mailed)
	Waiting    int // requests not confirmed yet
}

// CountSignups counts the sign-ups.
func (s *Store) CountSignups(ctx context.Context) (SignupCounts, error) {
	var c SignupCounts
	err := s.r.QueryRowContext(ctx, `
		SELECT (SELECT count(*) FROM signups),
		       (SELECT count(*) FROM signups JOIN suppressed USING (email)),
		       (SELECT count(*) FROM signup_requests)`).Scan(&c.Confirmed, &c.Suppressed, &c.Waiting)
	if err != nil {
		return SignupCounts{}, fmt.Errorf("count sign-ups: %w", err)
	}
	return c, nil
}
