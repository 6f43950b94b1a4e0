package digest

import "time"

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
