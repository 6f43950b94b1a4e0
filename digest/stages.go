package digest

import (
	"context"
	"iter"
)

// A Collector gathers articles from every configured source. A failing
// source is reported in the Collection, not returned as an error; an error
// means collection as a whole could not run.
type Collector interface {
	Collect(ctx context.Context) (Collection, error)
}

// A Summarizer writes an article's blurb, one sentence an element.
type Summarizer interface {
	Summarize(ctx context.Context, a Article) ([]string, error)
}

// Content is an edition rendered for one subscriber.
type Content struct {
	Subject string
	Text    string
	HTML    string
	// TextFill and HTMLFill, when set, are the parts instead of Text and
	// HTML (see FillingRenderer).
	TextFill, HTMLFill *Filling
}

// A FillingRenderer can render a message's parts as Fillings rather than
// strings, so that the parts common to every subscriber need not be copied
// and read again for each message. A part it cannot give as a Filling
// comes as a string.
type FillingRenderer interface {
	RenderFilling(ed *Edition, sub Subscriber) (Content, error)
}

// A Renderer renders an edition for one subscriber. It must be safe for
// concurrent use. Parts common to every subscriber may be cached per edition.
type Renderer interface {
	Render(ed *Edition, sub Subscriber) (Content, error)
}

// A Transport carries messages away: an SMTP server or the outbox folder.
type Transport interface {
	// Channel names the journal the transport's deliveries are kept in:
	// "smtp" or "outbox". A rehearsal into the outbox does not count as
	// delivery to the SMTP server.
	Channel() string
	// Open returns a connection for one worker. Each worker opens its own.
	Open(ctx context.Context) (Conn, error)
}

// A Conn sends messages one after another. Send returns the server's reply
// on success. On failure it returns a *SendError for a refusal; any other
// error means the connection is broken and must be closed and reopened.
type Conn interface {
	Send(ctx context.Context, m *Message) (reply string, err error)
	Close() error
}

// An Announcer is a Conn that can be told, before a Send, which envelope
// the message after it will have. An SMTP connection then writes that
// envelope right behind the message's final dot (RFC 2920 pipelining), so
// each message costs one round trip instead of two. The announcement holds
// for the next Send only; a Send of another message than announced just
// costs the connection. Announcing sends no message content: a connection
// lost with an announced envelope open delivers nothing.
type Announcer interface {
	Announce(from, to string)
}

// A SubscriberList streams the subscribers. A bad row is yielded as an error
// (an *InputError) and skipped; the stream goes on. Other errors end it.
type SubscriberList interface {
	Subscribers(ctx context.Context) iter.Seq2[Subscriber, error]
}

// A Limiter spaces out sends; golang.org/x/time/rate.Limiter is one.
type Limiter interface {
	Wait(ctx context.Context) error
}

// A FlightLog notes each delivery's progress between the journal's batched
// commits, cheaply enough to write per message: the claims, each attempt
// as it starts, and each result. After a crash it tells the journal which
// claimed deliveries were never attempted (pending again) and which
// finished (recorded), so only messages truly in flight stay unknown.
type FlightLog interface {
	Claimed(ds []Delivery) error
	Attempting(d Delivery) error
	Finished(d Delivery) error
	// Recorded tells the log these rows are committed to the journal.
	Recorded(ds []Delivery) error
	// Close ends the log once every result is in the journal.
	Close() error
}
