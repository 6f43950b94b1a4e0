package digest

import "time"

// A Message is one rendered, personalized digest ready for a Transport. The
// Transport turns it into MIME: text part first, then HTML.
type Message struct {
	Edition   string // the edition's ID
	From      string // "Name <addr>" or "addr"
	To        string // the subscriber's address
	ToName    string
	Subject   string
	MessageID string // without angle brackets: "2026-11-29.abc123@example.com"
	Date      time.Time
	Text      string
	HTML      string
	// ListID, ListUnsubscribe (URLs) and OneClick (RFC 8058) fill the list
	// headers; values never carry CR or LF.
	ListID          string
	ListUnsubscribe []string
	OneClick        bool
}
