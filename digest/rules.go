package digest

import (
	"errors"
	"time"
)

// The delivery rules: what a journal row means for this run (transition)
// and what a send's error means for the row (classify). Both are pure;
// claim and deliver call them and do the I/O. They hold the promises of the
// README's "never twice, never lost":
//
//   - a row sent or failed is never sent again;
//   - a row left in sending (unknown) is not resent unless asked;
//   - a deferred row is retried until the edition is DeferMaxAge old, then
//     failed;
//   - an address the run has claimed already is listed twice: skipped;
//   - a message that may have reached the server is unknown, never retried;
//   - a failure of the settings stops the run with the row still pending.

// A policy is what the settings say about journal rows.
type policy struct {
	run           string        // the ID of this run
	created       time.Time     // when the edition was made
	deferMaxAge   time.Duration // deferred rows older than this are failed
	resendUnknown bool          // unknown rows are sent again
	messageID     string        // the delivery's Message-ID, for a claimed row
}

// A step is what a journal row means for this run.
type step int

const (
	stepSend       step = iota // no row or pending: claim it and send
	stepRetry                  // deferred, or unknown and asked to resend: claim it and send again
	stepSkipSent               // sent by an earlier run
	stepSkipFailed             // refused for good by an earlier run
	stepUnknown                // left in sending by a crash: report it, do not send
	stepExpire                 // deferred for longer than the policy allows: record it failed
	stepTwice                  // this run has claimed it already: the address is listed twice
)

// transition returns what row (Status "" when the journal has none) means
// for this run at now, and the row to write for the steps that write one:
// sending for stepSend and stepRetry, failed for stepExpire.
func transition(row Delivery, now time.Time, p policy) (step, Delivery) {
	if row.Run != "" && row.Run == p.run {
		return stepTwice, row
	}
	s := stepSend
	switch row.Status {
	case "", Pending:
		row.Status = Pending
	case Sent:
		return stepSkipSent, row
	case Failed:
		return stepSkipFailed, row
	case Sending:
		if !p.resendUnknown {
			return stepUnknown, row
		}
		s = stepRetry
	case Deferred:
		if now.Sub(p.created) > p.deferMaxAge {
			row.Status, row.Updated = Failed, now
			row.Reply = "gave up: still deferred when the edition was " + p.deferMaxAge.String() + " old; last reply: " + row.Reply
			return stepExpire, row
		}
		s = stepRetry
	default: // a status this binary does not know: never guess it was not sent
		return stepUnknown, row
	}
	row.Status, row.MessageID, row.Updated, row.Run = Sending, p.messageID, now, p.run
	return s, row
}

// An outcome is what a send's result means for its delivery.
type outcome int

const (
	outcomeSent     outcome = iota // accepted by the server
	outcomeDeferred                // refused for now or the connection broke: try again, deferred when the attempts run out
	outcomeFailed                  // refused for good
	outcomeUnknown                 // the message may have reached the server: never retried
	outcomeStop                    // the settings are wrong: stop the run, leave the delivery pending
)

// classify returns what err, from opening a connection or sending a
// message over it, means for the delivery, and whether the connection must
// be closed (and dialled again for the next attempt).
func classify(err error) (o outcome, drop bool) {
	var se *SendError
	var set *SettingsError
	switch {
	case err == nil:
		return outcomeSent, false
	case errors.As(err, &set):
		return outcomeStop, true
	case errors.Is(err, ErrMaybeDelivered):
		return outcomeUnknown, true
	case errors.As(err, &se) && se.Permanent:
		return outcomeFailed, false
	case errors.As(err, &se):
		return outcomeDeferred, se.Code == 421 // 421: the server is closing the connection
	default: // a dial error or a broken connection: redial
		return outcomeDeferred, true
	}
}
