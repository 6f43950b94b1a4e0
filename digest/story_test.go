package digest_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/digest-newsletter/digest/digest"
	"github.com/digest-newsletter/digest/digest/source"
	"github.com/digest-newsletter/digest/digest/store"
	"github.com/digest-newsletter/digest/digest/summary"
)

// The state store records a collection's first-seen times in one
// transaction.
var _ source.FirstSeenMany = (*store.Store)(nil)

// goBlogText is the text both the Go Blog and the copier carry.
const goBlogText = `Today the Go team is happy to release Go 1.26. You can get it from the download page.
Go 1.26 brings a new garbage collector that is on by default, a faster cgo, and improvements to the
standard library: the new crypto/hpke package, SIMD intrinsics behind an experiment, and many more.
Thank you to everyone who contributed to this release by writing code, filing bugs, sharing feedback
and testing the release candidates.`

// atomFeed serves an Atom feed with one entry.
func atomFeed(t *testing.T, feedTitle, entryTitle, link, updated, text string) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/atom+xml; charset=utf-8")
		fmt.Fprintf(w, `<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <title>%s</title>
  <id>tag:%s,2013:/blog/</id>
  <updated>%s</updated>
  <entry>
    <title>%s</title>
    <id>tag:%s,2013:/blog/go1.26</id>
    <link rel="alternate" href="%s"></link>
    <published>%s</published>
    <updated>%s</updated>
    <author><name>The Go Team</name></author>
    <summary type="html">%s</summary>
  </entry>
</feed>`, feedTitle, r.Host, updated, entryTitle, r.Host, link, updated, updated, text)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// storyEditor is an Editor over real feeds, with the real state store as
// the collector's cache and the real similarity.
func storyEditor(t *testing.T, st *store.Store, now *time.Time, specs ...source.Spec) *digest.Editor {
	t.Helper()
	clock := func() time.Time { return *now }
	col := source.NewFromSpecs(source.Config{Cache: st, Now: clock, Timeout: 5 * time.Second}, specs)
	return &digest.Editor{
		Collector:  col,
		Summarizer: summary.New(summary.Options{}),
		Store:      st,
		Now:        clock,
		Select:     digest.Selection{MaxItems: 20, Similarity: summary.Similarity, SameStory: summary.SameStory},
	}
}

func openStore(t *testing.T) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "digest.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func feedSpec(name, u string) source.Spec {
	return source.Spec{Location: u, URL: u, Kind: source.KindFeed, Name: name}
}

// TestStoryHijack checks that a feed copying another's story and dating it
// in the future does not take the story over: the merged item links to the
// source that had it first (earliest first seen, then the sources list
// order) and names the copier only in "also in".
func TestStoryHijack(t *testing.T) {
	goBlog := atomFeed(t, "The Go Blog", "Go 1.26 is released", "https://go.dev/blog/go1.26", "2026-11-28T17:00:00Z", goBlogText)
	copier := atomFeed(t, "Gopher News Daily", "Go 1.26 is released", "https://gopher-news.example/go-1-26", "2035-01-01T00:00:00Z", goBlogText)

	t.Run("same run, sources list order", func(t *testing.T) {
		now := testNow
		ed := storyEditor(t, openStore(t), &now, feedSpec("The Go Blog", goBlog.URL), feedSpec("Gopher News Daily", copier.URL))
		p, err := ed.Daily(context.Background(), "2026-11-29", false)
		if err != nil {
			t.Fatal(err)
		}
		if len(p.Edition.Items) != 1 {
			t.Fatalf("%d items, want the story once: %+v", len(p.Edition.Items), p.Edition.Items)
		}
		it := p.Edition.Items[0]
		if it.URL != "https://go.dev/blog/go1.26" || it.Source != "The Go Blog" || !slices.Equal(it.AlsoIn, []string{"Gopher News Daily"}) {
			t.Errorf("item links to %s from %q, also in %q; want https://go.dev/blog/go1.26 from \"The Go Blog\", also in [Gopher News Daily]", it.URL, it.Source, it.AlsoIn)
		}
		if !it.Published.Equal(time.Date(2026, 11, 28, 17, 0, 0, 0, time.UTC)) {
			t.Errorf("item dated %v, want the Go Blog's date", it.Published)
		}
	})

	t.Run("first seen wins over list order", func(t *testing.T) {
		// The copier is listed first, but digest saw the Go Blog's post
		// the day before (a preview, which sends nothing and freezes
		// nothing) and the copy only today.
		st := openStore(t)
		now := testNow.Add(-24 * time.Hour)
		day1 := storyEditor(t, st, &now, feedSpec("The Go Blog", goBlog.URL))
		if _, err := day1.Daily(context.Background(), "2026-11-28", true); err != nil {
			t.Fatal(err)
		}
		now = testNow
		day2 := storyEditor(t, st, &now, feedSpec("Gopher News Daily", copier.URL), feedSpec("The Go Blog", goBlog.URL))
		p, err := day2.Daily(context.Background(), "2026-11-29", false)
		if err != nil {
			t.Fatal(err)
		}
		if len(p.Edition.Items) != 1 {
			t.Fatalf("%d items, want the story once", len(p.Edition.Items))
		}
		if it := p.Edition.Items[0]; it.URL != "https://go.dev/blog/go1.26" || !slices.Equal(it.AlsoIn, []string{"Gopher News Daily"}) {
			t.Errorf("item links to %s, also in %q; want the Go Blog's link, also in [Gopher News Daily]", it.URL, it.AlsoIn)
		}
	})

	t.Run("same title, other text", func(t *testing.T) {
		other := atomFeed(t, "Spam Weekly", "Go 1.26 is released", "https://spam.example/offer", "2026-11-28T18:00:00Z",
			"Buy cheap watches and sunglasses today, free shipping on every order over ten dollars, limited offer.")
		now := testNow
		ed := storyEditor(t, openStore(t), &now, feedSpec("Spam Weekly", other.URL), feedSpec("The Go Blog", goBlog.URL))
		p, err := ed.Daily(context.Background(), "2026-11-29", true)
		if err != nil {
			t.Fatal(err)
		}
		var urls []string
		for _, it := range p.Edition.Items {
			urls = append(urls, it.URL)
			if len(it.AlsoIn) > 0 {
				t.Errorf("%s is \"also in\" %q: a title alike is not the same story when the texts differ", it.URL, it.AlsoIn)
			}
		}
		slices.Sort(urls)
		if want := []string{"https://go.dev/blog/go1.26", "https://spam.example/offer"}; !slices.Equal(urls, want) {
			t.Errorf("items %q, want both, unmerged: %q", urls, want)
		}
	})
}

// TestFutureDateDoesNotRankFirst checks that an item dated in the future is
// not put above items that are really newer.
func TestFutureDateDoesNotRankFirst(t *testing.T) {
	st := openStore(t)
	future := atomFeed(t, "Clockless", "From the future", "https://clockless.example/a", "2035-01-01T00:00:00Z",
		"A post whose clock is wrong by some years, about tomatoes and the weather in spring.")
	recent := atomFeed(t, "Recent", "Released an hour ago", "https://recent.example/b", "2026-11-30T06:00:00Z",
		"A post about the new version of a compiler for the Oberon language, published this morning.")
	now := testNow // 2026-11-29 07:00: the Clockless post is first seen
	day1 := storyEditor(t, st, &now, feedSpec("Clockless", future.URL))
	if _, err := day1.Daily(context.Background(), "2026-11-29", true); err != nil {
		t.Fatal(err)
	}
	now = testNow.Add(24 * time.Hour)
	day2 := storyEditor(t, st, &now, feedSpec("Clockless", future.URL), feedSpec("Recent", recent.URL))
	p, err := day2.Daily(context.Background(), "2026-11-30", true)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, it := range p.Edition.Items {
		got = append(got, it.URL)
	}
	if want := []string{"https://recent.example/b", "https://clockless.example/a"}; !slices.Equal(got, want) {
		t.Errorf("items %q, want %q: a date in the future counts as the day it was first seen", got, want)
	}
}
