package digest

import "time"

// A DeliveryStatus is where one (edition, subscriber) row of the journal
// stands.
type DeliveryStatus string

// The journal's statuses. A row goes pending → sending → sent | failed |
// deferred. A row left in sending by a crash is unknown: the message may or
// may not have reached the server, so it is not resent unless asked.
const (
	Pending  DeliveryStatus = "pending"
	Sending  DeliveryStatus = "sending"
	Sent     DeliveryStatus = "sent"
	Failed   DeliveryStatus = "failed"
	Deferred DeliveryStatus = "deferred"
)

// A Delivery is one row of the journal.
type Delivery struct {
	Edition   string
	Channel   string // "smtp" or "outbox": each keeps its own journal
	Email     string
	Status    DeliveryStatus
	MessageID string
	Reply     string // the server's last reply, or the error
	Attempts  int
	Updated   time.Time
	// Run identifies the run that last wrote the row. A row the current
	// run has claimed already means the address is in the list twice.
	Run string
}
