package source_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/digest-newsletter/digest/digest/source"
	"github.com/digest-newsletter/digest/digest/store"
)

// The SQLite state store is the Cache the CLI passes in.
var _ source.Cache = (*store.Store)(nil)

// TestSQLiteCache runs three collections against the real state store: the
// feed is fetched in full once and then costs a 304, its undated item keeps
// its first-seen time, and the full text of its item is fetched once.
func TestSQLiteCache(t *testing.T) {
	ctx := context.Background()
	var full, notModified, pages atomic.Int32
	mux := http.NewServeMux()
	var srv *httptest.Server
	mux.HandleFunc("/feed.xml", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("If-None-Match") == `"abc"` {
			notModified.Add(1)
			w.WriteHeader(http.StatusNotModified)
			return
		}
		full.Add(1)
		w.Header().Set("ETag", `"abc"`)
		w.Header().Set("Content-Type", "application/rss+xml")
		fmt.Fprintf(w, `<rss version="2.0"><channel><title>Store test</title><link>%s/</link><description>d</description>
<item><title>Undated story</title><link>%s/story</link><description>Teaser.</description></item></channel></rss>`, srv.URL, srv.URL)
	})
	mux.HandleFunc("/story", func(w http.ResponseWriter, r *http.Request) {
		pages.Add(1)
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprint(w, `<html><head><title>Story</title></head><body><article><h1>Story</h1>
<p>The full story is longer than its teaser and has several sentences in it. It goes on for a while.</p>
<p>Its second paragraph adds the details that make it worth reading to the end, as full texts do.</p>
</article></body></html>`)
	})
	srv = httptest.NewServer(mux)
	defer srv.Close()

	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	first := time.Date(2026, 11, 27, 7, 0, 0, 0, time.UTC)
	for day := range 3 {
		now := first.Add(time.Duration(day) * 24 * time.Hour)
		spec := source.Spec{Location: srv.URL + "/feed.xml", URL: srv.URL + "/feed.xml", Kind: source.KindFeed, FullText: true}
		c := source.NewFromSpecs(source.Config{Cache: st, Now: func() time.Time { return now }}, []source.Spec{spec})
		col, err := c.Collect(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(col.Articles) != 1 {
			t.Fatalf("day %d: %d articles, failures %v; want 1", day, len(col.Articles), col.Failures)
		}
		a := col.Articles[0]
		if !a.Published.Equal(first) {
			t.Errorf("day %d: published = %v, want first seen %v", day, a.Published, first)
		}
		if a.Text == "Teaser." {
			t.Errorf("day %d: text is the teaser, want the full text", day)
		}
	}
	if got := [3]int32{full.Load(), notModified.Load(), pages.Load()}; got != [3]int32{1, 2, 1} {
		t.Errorf("full fetches, 304s, page fetches = %v, want [1 2 1]", got)
	}
}
