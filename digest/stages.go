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

// A Renderer compiles an edition for its subscribers. It must be safe for
// concurrent use; it keeps nothing from one call to the next.
type Renderer interface {
	// Variant returns which compiled message of an edition sub gets, with
	// unsubscribe as their unsubscribe URL: subscribers of one view of the
	// edition with the same variant get the same message but for their
	// own values. shared is false when sub's message cannot be shared (the
	// templates use their values in ways a slot does not stand for).
	Variant(sub Subscriber, unsubscribe string) (variant string, shared bool)
	// Compile renders ed for the subscribers of sub's variant: the
	// templates run with a slot for every value of theirs they read, so
	// the result holds nothing of sub's. When sub's variant is not shared
	// it renders sub's message alone, with no slots.
	Compile(ed *Edition, sub Subscriber, unsubscribe string) (*Compiled, error)
}

// A Transport carries messages away: an SMTP server or the outbox folder.
type Transport interface {
	// Channel names the journal the transport's deliveries are kept in:
	// "smtp" or "outbox". A rehearsal into the outbox does not count as
	// delivery to the SMTP server.
	Channel() string
	// Frame builds, once, what every message made from c with the
	// letterhead h shares; a refusal (a From that does not parse, say) is
	// the settings' fault.
	Frame(c *Compiled, h Letterhead) (Frame, error)
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
// the message after it will have. A connection may then write that
// envelope right behind the message, so each message costs one round trip
// instead of two. The announcement holds for the next Send
// only; a Send of another message than announced just costs the
// connection. Announcing sends no message content: a connection lost with
// an announced envelope open delivers nothing.
type Announcer interface {
	Announce(sender, to string)
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
