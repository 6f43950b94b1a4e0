package render

import (
	"fmt"
	"net/url"
	"testing"
	"time"

	"github.com/digest-newsletter/digest/digest"
)

// clock is the fixed time of every test rendering.
var clock = time.Date(2026, 11, 29, 7, 0, 0, 0, time.UTC)

// testEdition returns a fixed edition of n items from three sources, with an
// editor's note.
func testEdition(n int) *digest.Edition {
	sources := []string{"Go Blog", "LWN.net", "Hacker News"}
	blurbs := [][]string{
		{"The Go team released a new minor version with fixes to the compiler and the runtime.", "Upgrading is recommended for everyone running services in production."},
		{"A long look at how the kernel's memory allocator handles fragmentation under load.", "Benchmarks show a 12% improvement on database workloads & fewer stalls."},
		{"Someone rebuilt a 1980s home computer from scratch, including the video chip.", "The write-up covers timing diagrams, <blink> tags and the joy of soldering."},
	}
	ed := &digest.Edition{
		ID:       "2026-11-29",
		Cadence:  digest.CadenceDaily,
		Overview: fmt.Sprintf("%d stories today: Go releases, kernel allocators and retro hardware.", n),
		Created:  clock,
		Note: "---\nsubject:\n---\nHello from the editor! This week we read **a lot** about allocators. " +
			"See [our archive](https://digest.example/archive) and <b>raw</b> HTML.\n",
	}
	for i := range n {
		src := i % len(sources)
		ed.Items = append(ed.Items, digest.Item{
			Article: digest.Article{
				ID:        fmt.Sprintf("https://example.com/%d", i+1),
				URL:       fmt.Sprintf("https://example.com/%s/story-%d", url.PathEscape(sources[src]), i+1),
				Title:     fmt.Sprintf("Story number %d: %s", i+1, []string{"Go 1.26.9 is released", "Fragmentation in the page allocator", "Building a home computer from scratch"}[src]),
				Source:    sources[src],
				SourceURL: "https://example.com/feed.xml",
				Published: clock.Add(-time.Duration(i) * time.Hour),
				AlsoIn:    map[bool][]string{true: {"Lobsters", "Reddit"}}[i%4 == 0],
			},
			Blurb: blurbs[src],
		})
	}
	return ed
}

// testSubscriber is the subscriber of the golden files.
var testSubscriber = digest.Subscriber{
	Email: "ada@example.org",
	Name:  "Ada Lovelace",
	Attrs: map[string]string{"plan": "free"},
}

// newTestRenderer returns a renderer with the default templates, a fixed
// clock and the given templates folder.
func newTestRenderer(t testing.TB, dir string) *Renderer {
	t.Helper()
	r, err := New(Options{
		Dir:     dir,
		Name:    "The Digest",
		BaseURL: "https://digest.example/",
		Now:     func() time.Time { return clock },
	})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return r
}

// testUnsubscribe is the unsubscribe URL the tests give each address.
func testUnsubscribe(email string) string {
	return "https://digest.example/unsubscribe?e=" + url.QueryEscape(email)
}

// renderFor renders ed for sub, with testUnsubscribe's link, put together.
func renderFor(r *Renderer, ed *digest.Edition, sub digest.Subscriber) (shown, error) {
	return renderWith(r, ed, sub, testUnsubscribe(sub.Email))
}

// renderWith renders ed for sub with the unsubscribe URL u, put together.
func renderWith(r *Renderer, ed *digest.Edition, sub digest.Subscriber, u string) (shown, error) {
	c, err := r.Render(ed, sub, u)
	if err != nil {
		return shown{}, err
	}
	return shown{c.Subject.String(), c.Text.String(), c.HTML.String()}, nil
}
