package digest

import (
	"context"
	"time"
)

// A Store keeps the state between runs: frozen editions, the articles
// already sent, the delivery journal and the suppression list. Addresses are
// compared in lower case.
type Store interface {
	// Edition returns the frozen edition with this ID, or nil, nil if it has
	// not been frozen.
	Edition(ctx context.Context, id string) (*Edition, error)
	// Editions returns the frozen editions of the given cadence created at
	// or after since, oldest first.
	Editions(ctx context.Context, cadence string, since time.Time) ([]*Edition, error)
	// Freeze stores the edition and marks its articles as seen, in one
	// transaction. Freezing an ID that exists is an error.
	Freeze(ctx context.Context, ed *Edition) error
	// Seen reports which of these article IDs are in an earlier edition.
	Seen(ctx context.Context, ids []string) (map[string]bool, error)
	// Deliveries returns the journal rows of one edition and channel for
	// these addresses; an address with no row is absent from the map.
	Deliveries(ctx context.Context, edition, channel string, emails []string) (map[string]Delivery, error)
	// Record inserts or replaces journal rows in one durable transaction.
	Record(ctx context.Context, ds []Delivery) error
	// Suppressed reports which of these addresses are on the suppression
	// list.
	Suppressed(ctx context.Context, emails []string) (map[string]bool, error)
}

// A Claimer is a Store that several runs may deliver from at once. Claim
// reads the journal rows of these addresses, by edition, as Deliveries
// does, and records the rows decide returns, as Record does, in one
// transaction that no other run's writes come between: two runs never both
// find one delivery unclaimed. An error from decide is returned as it is,
// and nothing is written.
type Claimer interface {
	Claim(ctx context.Context, channel string, emails map[string][]string,
		decide func(rows map[string]map[string]Delivery) ([]Delivery, error)) error
}
