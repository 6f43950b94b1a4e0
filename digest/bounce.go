package digest

import (
	"context"
	"regexp"
	"time"
)

// A BounceKind says what a returned message or a refusal means for an
// address.
type BounceKind string

// The kinds of bounce. A hard bounce (the mailbox does not exist or is
// disabled) and a complaint suppress the address at once; soft bounces
// (a full mailbox, a server down, a policy or content refusal) suppress it
// only after BouncePolicy.SoftLimit of them on distinct editions.
const (
	HardBounce BounceKind = "hard"
	SoftBounce BounceKind = "soft"
	Complaint  BounceKind = "complaint"
)

// The reasons of the suppression list that bounces and complaints write.
const (
	ReasonBounced     = "bounced"      // a hard bounce
	ReasonSoftBounced = "soft-bounced" // SoftLimit soft bounces
	ReasonComplained  = "complained"   // a spam complaint
)

// A Bounce is one address's bounce or complaint: from a delivery status
// notification, a feedback report, a plain-text bounce, or the mail
// server's refusal during the SMTP dialogue.
type Bounce struct {
	Email      string
	Edition    string // the edition whose message bounced
	Kind       BounceKind
	Status     string // the enhanced status code (5.1.1), if any
	Diagnostic string // the server's words, capped
	At         time.Time
}

// A BouncePolicy says when soft bounces suppress an address: after
// SoftLimit of them on distinct editions within Window, counted since the
// last edition delivered to the address that did not bounce.
type BouncePolicy struct {
	SoftLimit int           // default 3
	Window    time.Duration // default 30 days
}

// A BounceOutcome is what recording one Bounce did.
type BounceOutcome struct {
	Bounce
	// Suppressed is true when this bounce put the address on the
	// suppression list; Reason is then its reason.
	Suppressed bool
	Reason     string
	// WasSuppressed is true when the address was on the list before.
	WasSuppressed bool
	// SoftCount is the number of distinct editions that soft-bounced and
	// count toward the limit, this one included (soft bounces only).
	SoftCount int
}

// A BounceRecorder records bounces and applies the policy; the Store of a
// Dispatcher that is one gets the permanent refusals of each batch.
type BounceRecorder interface {
	RecordBounces(ctx context.Context, report string, bs []Bounce, p BouncePolicy) ([]BounceOutcome, bool, error)
}

// refusedReply matches a failed row's reply from an SMTP refusal: the
// code, and the enhanced status code if the server gave one.
var refusedReply = regexp.MustCompile(`^smtp (5\d\d): (?:(5\.\d{1,3}\.\d{1,3})\b)?`)

// refusal returns the bounce a journal row means when the mail server
// refused its message for good during the SMTP dialogue: a hard bounce
// when the enhanced status says the mailbox does not exist or is disabled
// (5.1.1, 5.1.10, 5.2.1), else a soft one (a policy or content refusal such
// as 5.7.1, or a 5xx with no enhanced status), so that one spam-filter
// refusal does not drop a reader. ok is false for any other row.
func refusal(row Delivery) (b Bounce, ok bool) {
	if row.Status != Failed {
		return Bounce{}, false
	}
	m := refusedReply.FindStringSubmatch(row.Reply)
	if m == nil {
		return Bounce{}, false
	}
	b = Bounce{Email: row.Email, Edition: row.Edition, Kind: SoftBounce, Status: m[2], Diagnostic: row.Reply, At: row.Updated}
	switch m[2] {
	case "5.1.1", "5.1.10", "5.2.1":
		b.Kind = HardBounce
	}
	return b, true
}
