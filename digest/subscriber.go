package digest

// Subscriber statuses understood in the subscriber list.
const (
	StatusActive       = "active"
	StatusUnsubscribed = "unsubscribed"
	StatusBounced      = "bounced"
)

// Cadences a subscriber can choose.
const (
	CadenceDaily  = "daily"
	CadenceWeekly = "weekly"
)

// A Subscriber is one row of the subscriber list.
type Subscriber struct {
	Email    string
	Name     string
	Status   string   // active (or empty), unsubscribed, bounced
	Topics   []string // when set, only items with one of these tags
	Cadence  string   // daily (or empty), weekly
	Timezone string
	// Attrs holds every other column of the row, by header name, for
	// templates.
	Attrs map[string]string
	// Line is the row's line number in the file, for reports.
	Line int
}

// Mailable reports whether the subscriber's status allows mailing.
func (s Subscriber) Mailable() bool {
	return s.Status == "" || s.Status == StatusActive
}
