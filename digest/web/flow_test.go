package web

import (
	"context"
	"iter"
	"maps"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/digest-newsletter/digest/digest"
)

// recorder is a Transport that keeps the messages it is given.
type recorder struct {
	mu   sync.Mutex
	sent []*digest.Message
}

// recordedFrame is a recorder's frame: the compiled view and letterhead.
type recordedFrame struct {
	body *digest.Compiled
	head digest.Letterhead
}

func (f recordedFrame) Body() *digest.Compiled { return f.body }

func (r *recorder) Frame(c *digest.Compiled, h digest.Letterhead) (digest.Frame, error) {
	return recordedFrame{c, h}, nil
}

func (r *recorder) Channel() string                               { return "outbox" }
func (r *recorder) Open(ctx context.Context) (digest.Conn, error) { return r, nil }
func (r *recorder) Close() error                                  { return nil }
func (r *recorder) Send(ctx context.Context, m *digest.Message) (string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.sent = append(r.sent, m)
	return "250 ok", nil
}

// take returns the messages sent since the last take, by recipient.
func (r *recorder) take() map[string]*digest.Message {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := map[string]*digest.Message{}
	for _, m := range r.sent {
		out[m.To] = m
	}
	r.sent = nil
	return out
}

type subscribers []digest.Subscriber

func (s subscribers) Subscribers(ctx context.Context) iter.Seq2[digest.Subscriber, error] {
	return func(yield func(digest.Subscriber, error) bool) {
		for _, sub := range s {
			if !yield(sub, nil) {
				return
			}
		}
	}
}

// TestNextRunSkipsUnsubscribed follows one address from a message's
// List-Unsubscribe header, through the one-click POST, to the next run.
func TestNextRunSkipsUnsubscribed(t *testing.T) {
	srv, st := newServer(t)
	r := newTestRenderer(t)
	out := &recorder{}
	d := &digest.Dispatcher{
		Store:          st,
		Renderer:       r,
		Transport:      out,
		Subscribers:    subscribers{{Email: "ann@example.com"}, {Email: "bob@example.com"}},
		From:           "Test Digest <digest@example.com>",
		ListID:         "Test Digest <test.example.com>",
		UnsubscribeURL: func(email string) string { return UnsubscribeURL(srv.URL, testSecret, email) },
		Backoff:        func(int) time.Duration { return 0 },
	}
	edition := func(id string) *digest.Edition {
		return &digest.Edition{ID: id, Cadence: digest.CadenceDaily, Created: time.Now(), Items: []digest.Item{
			{Article: digest.Article{ID: "a-" + id, URL: "https://example.com/" + id, Title: "Story " + id, Source: "Feed"}},
		}}
	}

	first := edition("2026-11-28")
	if err := st.Freeze(t.Context(), first); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Deliver(t.Context(), digest.Editions{Daily: first}); err != nil {
		t.Fatal(err)
	}
	got := out.take()
	if want := []string{"ann@example.com", "bob@example.com"}; !sameKeys(got, want) {
		t.Fatalf("first run sent to %v, want %v", keys(got), want)
	}
	ann := got["ann@example.com"]
	if !ann.Frame.(recordedFrame).head.OneClick || len(ann.ListUnsubscribe) == 0 {
		t.Fatalf("ann's message has no one-click unsubscribe: %+v", ann)
	}
	resp, body := post(t, ann.ListUnsubscribe[0], "application/x-www-form-urlencoded", strings.NewReader("List-Unsubscribe=One-Click"))
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("one-click POST to %s: status %d\n%s", ann.ListUnsubscribe[0], resp.StatusCode, body)
	}

	second := edition("2026-11-29")
	if err := st.Freeze(t.Context(), second); err != nil {
		t.Fatal(err)
	}
	rep, err := d.Deliver(t.Context(), digest.Editions{Daily: second})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := keys(out.take()), []string{"bob@example.com"}; !slices.Equal(got, want) {
		t.Errorf("second run sent to %v, want %v", got, want)
	}
	if rep.Skipped != 1 {
		t.Errorf("second run skipped %d, want 1 (ann)", rep.Skipped)
	}
}

func keys(m map[string]*digest.Message) []string { return slices.Sorted(maps.Keys(m)) }

func sameKeys(m map[string]*digest.Message, want []string) bool {
	return slices.Equal(keys(m), want)
}
