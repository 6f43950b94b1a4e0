package subscriber

import (
	"context"
	"errors"
	"hash/maphash"
	"iter"
	"strings"

	"github.com/digest-newsletter/digest/digest"
)

// WithSignups is the list a run mails: the subscriber list, then the
// confirmed sign-ups whose address the list does not have. An address in
// both is yielded once, as the list's row, whatever that row says (its
// status, topics and cadence win). The list is streamed as it is, its bad
// rows and duplicates included (the caller deals with those).
//
// It holds no set of the list's addresses: it reads the sign-ups twice,
// first keeping a 64-bit hash of each address, then, while the list
// streams, keeps the list's addresses whose hash is a sign-up's (about as
// many as the sign-ups the list also has), and skips those sign-ups on the
// second read. Memory grows with the sign-ups (8 to 16 bytes each), not
// with the list. A sign-up confirmed between the two reads is left for the
// next run. A sign-up gets every attribute column of the list, empty, so
// that templates naming a column work for it too.
type WithSignups struct {
	List    digest.SubscriberList
	Signups digest.SubscriberList
}

var _ digest.SubscriberList = WithSignups{}

// Subscribers streams the list, then the sign-ups it does not have.
func (w WithSignups) Subscribers(ctx context.Context) iter.Seq2[digest.Subscriber, error] {
	return func(yield func(digest.Subscriber, error) bool) {
		seed := maphash.MakeSeed()
		hash := func(email string) uint64 { return maphash.String(seed, strings.ToLower(email)) }
		signups := map[uint64]struct{}{}
		for sub, err := range w.Signups.Subscribers(ctx) {
			if err != nil {
				yield(digest.Subscriber{}, err)
				return
			}
			signups[hash(sub.Email)] = struct{}{}
		}
		listed := map[string]bool{} // list addresses with a sign-up's hash
		var attrs []string
		attrsKnown := false
		for sub, err := range w.List.Subscribers(ctx) {
			if err == nil {
				if !attrsKnown {
					for k := range sub.Attrs {
						attrs = append(attrs, k)
					}
					attrsKnown = true
				}
				if _, ok := signups[hash(sub.Email)]; ok {
					listed[strings.ToLower(sub.Email)] = true
				}
			}
			if !yield(sub, err) {
				return
			}
			var ie *digest.InputError
			if err != nil && !errors.As(err, &ie) {
				return // the list's final error ends the stream
			}
		}
		if len(signups) == 0 {
			return
		}
		for sub, err := range w.Signups.Subscribers(ctx) {
			if err != nil {
				yield(digest.Subscriber{}, err)
				return
			}
			if _, ok := signups[hash(sub.Email)]; !ok || listed[strings.ToLower(sub.Email)] {
				continue
			}
			if len(attrs) > 0 {
				sub.Attrs = make(map[string]string, len(attrs))
				for _, k := range attrs {
					sub.Attrs[k] = ""
				}
			}
			if !yield(sub, nil) {
				return
			}
		}
	}
}
