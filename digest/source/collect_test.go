package source

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/digest-newsletter/digest/digest"
)

// rssFeed returns an RSS 2.0 feed of the given items, each a link path
// (relative to base) and a title.
func rssFeed(base string, items ...string) string {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0"?><rss version="2.0"><channel><title>Test Feed</title><link>` + base + `</link><description>d</description>`)
	for i, it := range items {
		fmt.Fprintf(&b, `<item><title>%s</title><link>%s%s</link><pubDate>Sat, 28 Nov 2026 0%d:00:00 +0000</pubDate><description>Teaser of %s.</description></item>`, it, base, it, i%10, it)
	}
	b.WriteString(`</channel></rss>`)
	return b.String()
}

// articlePage is a web page with a real-looking article in it.
func articlePage(title string) string {
	return `<!doctype html><html><head><title>` + title + ` | Example</title></head><body>
<nav><a href="/">Home</a> <a href="/about">About</a></nav>
<article><h1>` + title + `</h1>
<p>This is the full text of the article called ` + title + `. It has several sentences, so that the extractor
takes it for the main content of the page and not for boilerplate around it.</p>
<p>The second paragraph goes on about the subject at some length, with details that a teaser would
leave out: numbers, names and the places where things happened, which readers of a digest want.</p>
<p>A third paragraph closes the piece with a conclusion and a look at what comes next for the story.</p>
</article><footer>Copyright 2026 Example</footer></body></html>`
}

// testCollector returns a Collector of the given sources with short limits
// and the fixed clock.
func testCollector(cfg Config, specs ...Spec) *Collector {
	if cfg.Timeout == 0 {
		cfg.Timeout = 2 * time.Second
	}
	if cfg.Now == nil {
		cfg.Now = func() time.Time { return fixedNow }
	}
	return NewFromSpecs(cfg, specs)
}

func urlSpec(name, u string) Spec {
	return Spec{Location: u, URL: u, Kind: KindFeed, Name: name}
}

func titles(arts []digest.Article) []string {
	var out []string
	for _, a := range arts {
		out = append(out, a.Title)
	}
	return out
}

func failureOf(col digest.Collection, source string) string {
	for _, f := range col.Failures {
		if f.Source == source {
			return f.Err
		}
	}
	return ""
}

// TestCollectFailures serves one good feed beside feeds that fail in every
// way a server can, and checks that each failure is reported with its
// reason while the good feed still gives its articles.
func TestCollectFailures(t *testing.T) {
	var hits sync.Map // path → *atomic.Int32
	count := func(p string) int {
		v, _ := hits.LoadOrStore(p, new(atomic.Int32))
		return int(v.(*atomic.Int32).Load())
	}
	mux := http.NewServeMux()
	var srv *httptest.Server
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		v, _ := hits.LoadOrStore(r.URL.Path, new(atomic.Int32))
		v.(*atomic.Int32).Add(1)
		switch r.URL.Path {
		case "/good.xml":
			w.Header().Set("Content-Type", "application/rss+xml")
			fmt.Fprint(w, rssFeed(srv.URL, "/a", "/b"))
		case "/slow.xml":
			select {
			case <-time.After(5 * time.Second):
			case <-r.Context().Done():
			}
		case "/broken.xml":
			w.Header().Set("Content-Type", "application/xml")
			fmt.Fprint(w, `<rss version="2.0"><channel><title>x</title><item><title>unclosed`)
		case "/redirect.xml":
			http.Redirect(w, r, "/good2.xml", http.StatusMovedPermanently)
		case "/good2.xml":
			w.Header().Set("Content-Type", "text/xml; charset=utf-8")
			fmt.Fprint(w, rssFeed(srv.URL, "/c"))
		case "/loop":
			http.Redirect(w, r, "/loop", http.StatusFound)
		case "/huge.xml":
			w.Header().Set("Content-Type", "application/rss+xml")
			fmt.Fprint(w, rssFeed(srv.URL, "/h"))
			w.Write(bytes.Repeat([]byte("<!-- padding -->\n"), 10000))
		case "/html":
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			fmt.Fprint(w, articlePage("Home"))
		case "/site/":
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			fmt.Fprint(w, `<html><head><title>Site</title><link rel="stylesheet" href="/s.css">
<link rel="alternate" type="application/atom+xml" title="Feed" href="../good2.xml?from=site"></head><body><p>Hi</p></body></html>`)
		case "/image.xml":
			w.Header().Set("Content-Type", "image/png")
			w.Write([]byte("\x89PNG\r\n"))
		case "/missing.xml":
			http.NotFound(w, r)
		case "/flaky.xml":
			if count("/flaky.xml") == 1 {
				http.Error(w, "try again", http.StatusServiceUnavailable)
				return
			}
			w.Header().Set("Content-Type", "application/atom+xml")
			fmt.Fprint(w, rssFeed(srv.URL, "/flaky-item"))
		case "/down.xml":
			http.Error(w, "down", http.StatusBadGateway)
		}
	})
	srv = httptest.NewServer(mux)
	defer srv.Close()
	specs := []Spec{
		urlSpec("good", srv.URL+"/good.xml"),
		urlSpec("slow", srv.URL+"/slow.xml"),
		urlSpec("broken", srv.URL+"/broken.xml"),
		urlSpec("redirect", srv.URL+"/redirect.xml"),
		urlSpec("loop", srv.URL+"/loop"),
		urlSpec("huge", srv.URL+"/huge.xml"),
		urlSpec("html", srv.URL+"/html"),
		urlSpec("site", srv.URL+"/site/"),
		urlSpec("image", srv.URL+"/image.xml"),
		urlSpec("missing", srv.URL+"/missing.xml"),
		urlSpec("flaky", srv.URL+"/flaky.xml"),
		urlSpec("down", srv.URL+"/down.xml"),
		urlSpec("unreachable", "http://127.0.0.1:1/feed.xml"),
	}
	c := testCollector(Config{Timeout: 300 * time.Millisecond, MaxBytes: 64 << 10}, specs...)
	col, err := c.Collect(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	// The site's page names good2.xml as its feed: its story is the
	// redirect's, so it counts once.
	if got, want := titles(col.Articles), []string{"/a", "/b", "/c", "/flaky-item"}; !cmp.Equal(got, want) {
		t.Errorf("articles = %q, want %q", got, want)
	}
	tests := []struct{ source, want string }{
		{"broken", "parse feed"},
		{"loop", "too many redirects"},
		{"huge", "too large"},
		{"html", "wrong content type: text/html, a web page that names no feed"},
		{"image", "wrong content type: image/png"},
		{"slow", "timed out after 300ms"},
		{"missing", "HTTP 404"},
		{"down", "HTTP 502"},
		{"unreachable", "connection refused"},
	}
	for _, tt := range tests {
		t.Run(tt.source, func(t *testing.T) {
			got := failureOf(col, tt.source)
			if !strings.Contains(got, tt.want) {
				t.Errorf("failure = %q, want it to say %q", got, tt.want)
			}
		})
	}
	if got, want := len(col.Failures), len(tests); got != want {
		t.Errorf("%d failures, want %d: %v", got, want, col.Failures)
	}
	t.Run("retries", func(t *testing.T) {
		if got, want := count("/flaky.xml"), 2; got != want {
			t.Errorf("flaky feed fetched %d times, want %d (one retry after a 503)", got, want)
		}
		if got, want := count("/down.xml"), 2; got != want {
			t.Errorf("down feed fetched %d times, want %d", got, want)
		}
		if got, want := count("/slow.xml"), 2; got != want {
			t.Errorf("slow feed fetched %d times, want %d (one retry after a timeout)", got, want)
		}
		if got, want := count("/good2.xml"), 2; got != want {
			t.Errorf("good2.xml fetched %d times, want %d (after the redirect, and as the site's feed)", got, want)
		}
		if got, want := count("/missing.xml"), 1; got != want {
			t.Errorf("404 fetched %d times, want %d (no retry)", got, want)
		}
		if got, want := count("/loop"), maxRedirects+1; got != want {
			t.Errorf("redirect loop fetched %d times, want %d", got, want)
		}
	})
}

// TestCollectDeadline checks that the whole collection ends at its
// deadline even when every request would be answered within its timeout.
func TestCollectDeadline(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-time.After(200 * time.Millisecond):
		case <-r.Context().Done():
			return
		}
		w.Header().Set("Content-Type", "application/rss+xml")
		fmt.Fprint(w, rssFeed("https://example.org", r.URL.Path))
	}))
	defer srv.Close()
	var specs []Spec
	for i := range 10 {
		specs = append(specs, urlSpec(fmt.Sprint(i), fmt.Sprintf("%s/f%d", srv.URL, i)))
	}
	// One request at a time, 200 ms each, within 500 ms: two or three
	// feeds are read, the others fail.
	c := testCollector(Config{Concurrency: 1, Deadline: 500 * time.Millisecond}, specs...)
	start := time.Now()
	col, err := c.Collect(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("collection took %v, want it cut near the 500ms deadline", took)
	}
	if len(col.Articles) == 0 || len(col.Articles) >= 10 {
		t.Errorf("%d articles, want some but not all", len(col.Articles))
	}
	if got, want := len(col.Articles)+len(col.Failures), 10; got != want {
		t.Errorf("%d articles + %d failures, want %d sources accounted for", len(col.Articles), len(col.Failures), want)
	}
}

// TestCollectCanceled checks that a cancelled context is an error, not a
// collection of failures.
func TestCollectCanceled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	c := testCollector(Config{}, urlSpec("x", "http://127.0.0.1:1/x"))
	if _, err := c.Collect(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
}

// TestConditionalGet checks that an unchanged feed costs one 304 on the
// second run and that its items are still collected from the cached body.
func TestConditionalGet(t *testing.T) {
	const etag = `"v1"`
	var full, notModified atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("If-None-Match") == etag && r.Header.Get("If-Modified-Since") != "" {
			notModified.Add(1)
			w.WriteHeader(http.StatusNotModified)
			return
		}
		full.Add(1)
		w.Header().Set("ETag", etag)
		w.Header().Set("Last-Modified", "Sat, 28 Nov 2026 08:00:00 GMT")
		w.Header().Set("Content-Type", "application/rss+xml")
		fmt.Fprint(w, rssFeed("https://example.org", "/one", "/two"))
	}))
	defer srv.Close()
	cache := newMemCache()
	c := testCollector(Config{Cache: cache}, urlSpec("feed", srv.URL+"/feed.xml"))
	for run := 1; run <= 3; run++ {
		col, err := c.Collect(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if got, want := titles(col.Articles), []string{"/one", "/two"}; !cmp.Equal(got, want) {
			t.Errorf("run %d: articles = %q, want %q", run, got, want)
		}
	}
	if got, want := full.Load(), int32(1); got != want {
		t.Errorf("%d full responses, want %d", got, want)
	}
	if got, want := notModified.Load(), int32(2); got != want {
		t.Errorf("%d 304 responses, want %d", got, want)
	}

	t.Run("no validators", func(t *testing.T) {
		// A server that sends neither ETag nor Last-Modified gets plain
		// requests, and its bodies are not kept.
		var conditional atomic.Int32
		plain := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Header.Get("If-None-Match") != "" || r.Header.Get("If-Modified-Since") != "" {
				conditional.Add(1)
			}
			w.Header().Set("Content-Type", "application/rss+xml")
			fmt.Fprint(w, rssFeed("https://example.org", "/plain"))
		}))
		defer plain.Close()
		c := testCollector(Config{Cache: cache}, urlSpec("plain", plain.URL))
		for range 2 {
			if _, err := c.Collect(context.Background()); err != nil {
				t.Fatal(err)
			}
		}
		if got := conditional.Load(); got != 0 {
			t.Errorf("%d conditional requests, want 0", got)
		}
		if _, _, body, _ := cache.LoadFetch(context.Background(), plain.URL); len(body) != 0 {
			t.Errorf("cached %d bytes, want none", len(body))
		}
	})
}

// TestRequestHeaders checks the User-Agent and that gzip responses are
// accepted and decoded.
func TestRequestHeaders(t *testing.T) {
	var ua, ae string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ua, ae = r.Header.Get("User-Agent"), r.Header.Get("Accept-Encoding")
		w.Header().Set("Content-Type", "application/rss+xml")
		w.Header().Set("Content-Encoding", "gzip")
		zw := gzip.NewWriter(w)
		fmt.Fprint(zw, rssFeed("https://example.org", "/zipped"))
		zw.Close()
	}))
	defer srv.Close()
	col, err := testCollector(Config{}, urlSpec("gz", srv.URL)).Collect(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if got, want := titles(col.Articles), []string{"/zipped"}; !cmp.Equal(got, want) {
		t.Errorf("articles = %q, want %q (failures %v)", got, want, col.Failures)
	}
	if want := "digest/1.0 (+https://github.com/digest-newsletter/digest)"; ua != want {
		t.Errorf("User-Agent = %q, want %q", ua, want)
	}
	if !strings.Contains(ae, "gzip") {
		t.Errorf("Accept-Encoding = %q, want gzip", ae)
	}
}

// TestGzipBomb checks that the size cap applies to the decompressed body: a
// small gzip response that inflates past MaxBytes fails as too large.
func TestGzipBomb(t *testing.T) {
	var zipped bytes.Buffer
	zw := gzip.NewWriter(&zipped)
	zw.Write([]byte(rssFeed("https://example.org", "/x")))
	zw.Write(bytes.Repeat([]byte(" "), 8<<20))
	zw.Close()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/rss+xml")
		w.Header().Set("Content-Encoding", "gzip")
		w.Write(zipped.Bytes())
	}))
	defer srv.Close()
	col, err := testCollector(Config{MaxBytes: 1 << 20}, urlSpec("bomb", srv.URL)).Collect(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if got := failureOf(col, "bomb"); !strings.Contains(got, "too large") || zipped.Len() > 64<<10 {
		t.Errorf("failure = %q for %d compressed bytes, want too large", got, zipped.Len())
	}
}

// TestFullText checks that a teaser feed with the fulltext option gets
// each item's page text, and that a second run takes the texts from the
// cache instead of fetching the pages again.
func TestFullText(t *testing.T) {
	var pages atomic.Int32
	mux := http.NewServeMux()
	var srv *httptest.Server
	mux.HandleFunc("/feed.xml", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/rss+xml")
		fmt.Fprint(w, rssFeed(srv.URL, "/posts/alpha", "/posts/beta", "/posts/gone"))
	})
	mux.HandleFunc("/posts/", func(w http.ResponseWriter, r *http.Request) {
		pages.Add(1)
		if r.URL.Path == "/posts/gone" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, articlePage(strings.TrimPrefix(r.URL.Path, "/posts/")))
	})
	srv = httptest.NewServer(mux)
	defer srv.Close()
	spec := urlSpec("teasers", srv.URL+"/feed.xml")
	spec.FullText = true
	cache := newMemCache()
	c := testCollector(Config{Cache: cache}, spec)
	for run := 1; run <= 2; run++ {
		col, err := c.Collect(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if len(col.Articles) != 3 {
			t.Fatalf("run %d: %d articles, want 3", run, len(col.Articles))
		}
		for _, a := range col.Articles[:2] {
			if !strings.Contains(a.Text, "The second paragraph goes on") {
				t.Errorf("run %d: %s: text = %q, want the page's full text", run, a.Title, a.Text)
			}
			if strings.Contains(a.Text, "Copyright") {
				t.Errorf("run %d: %s: text has the page's footer: %q", run, a.Title, a.Text)
			}
		}
		if got, want := col.Articles[2].Text, "Teaser of /posts/gone."; got != want {
			t.Errorf("run %d: failed page: text = %q, want the teaser %q", run, got, want)
		}
	}
	// Run 1 fetches three pages; run 2 only the one that failed.
	if got, want := pages.Load(), int32(4); got != want {
		t.Errorf("%d page fetches, want %d", got, want)
	}
}

// TestFullTextLimits checks that a long teaser feed gets full text for its
// newest items only, with a few page requests in flight at most.
func TestFullTextLimits(t *testing.T) {
	var inFlight, most, pages atomic.Int32
	var srv *httptest.Server
	mux := http.NewServeMux()
	mux.HandleFunc("/feed.xml", func(w http.ResponseWriter, r *http.Request) {
		var b strings.Builder
		b.WriteString(`<rss version="2.0"><channel><title>Long</title><link>` + srv.URL + `</link><description>d</description>`)
		for i := range 40 {
			// Item i is i hours old: items 0-24 are the newest.
			fmt.Fprintf(&b, `<item><title>item %d</title><link>%s/p/%d</link><pubDate>%s</pubDate><description>Teaser.</description></item>`,
				i, srv.URL, i, fixedNow.Add(-time.Duration(i)*time.Hour).Format(time.RFC1123Z))
		}
		b.WriteString(`</channel></rss>`)
		w.Header().Set("Content-Type", "application/rss+xml")
		fmt.Fprint(w, b.String())
	})
	mux.HandleFunc("/p/", func(w http.ResponseWriter, r *http.Request) {
		pages.Add(1)
		n := inFlight.Add(1)
		defer inFlight.Add(-1)
		for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
		}
		time.Sleep(20 * time.Millisecond)
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprint(w, articlePage(r.URL.Path))
	})
	srv = httptest.NewServer(mux)
	defer srv.Close()
	spec := urlSpec("long", srv.URL+"/feed.xml")
	spec.FullText = true
	col, err := testCollector(Config{Concurrency: 16}, spec).Collect(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if got, want := pages.Load(), int32(fullTextItems); got != want {
		t.Errorf("%d pages fetched, want %d", got, want)
	}
	if got := most.Load(); got > fullTextPerSource {
		t.Errorf("%d page requests at once, want at most %d", got, fullTextPerSource)
	}
	for i, a := range col.Articles {
		if full := a.Text != "Teaser."; full != (i < fullTextItems) {
			t.Errorf("%s: full text %v, want %v", a.Title, full, i < fullTextItems)
		}
	}
}

func TestIsInternal(t *testing.T) {
	tests := []struct {
		ip   string
		want bool
	}{
		{"127.0.0.1", true}, {"10.1.2.3", true}, {"172.16.0.1", true}, {"192.168.1.1", true},
		{"169.254.169.254", true}, {"0.0.0.0", true}, {"100.64.0.1", true}, {"::1", true},
		{"fe80::1", true}, {"fc00::1", true}, {"::ffff:127.0.0.1", true}, {"224.0.0.1", true},
		{"::127.0.0.1", true}, {"::ffff:0:7f00:1", true}, {"64:ff9b:1::7f00:1", true}, {"2002:7f00:1::1", true},
		{"2001:0:4136:e378:8000:63bf:3fff:fdd2", true}, {"fec0::1", true}, {"100::1", true}, {"192.88.99.1", true},
		{"ff02::1", true}, {"::", true}, {"100.127.255.255", true}, {"100.128.0.1", false},
		{"93.184.216.34", false}, {"8.8.8.8", false}, {"2606:4700::1111", false},
	}
	for _, tt := range tests {
		t.Run(tt.ip, func(t *testing.T) {
			if got := isInternal(mustAddr(t, tt.ip)); got != tt.want {
				t.Errorf("isInternal(%s) = %v, want %v", tt.ip, got, tt.want)
			}
		})
	}
}

// TestDuplicatesAcrossSources checks that one story carried by two
// sources, with different tracking parameters, is collected once, from the
// first source in list order.
func TestDuplicatesAcrossSources(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/rss+xml")
		switch r.URL.Path {
		case "/one":
			fmt.Fprint(w, rssFeed("https://www.example.org", "/story?utm_source=one", "/only-one"))
		case "/two":
			fmt.Fprint(w, rssFeed("http://example.org", "/story/?fbclid=abc#top", "/only-two"))
		}
	}))
	defer srv.Close()
	c := testCollector(Config{}, urlSpec("One", srv.URL+"/one"), urlSpec("Two", srv.URL+"/two"))
	col, err := c.Collect(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, a := range col.Articles {
		got = append(got, a.Source+" "+a.ID)
	}
	want := []string{
		"One https://example.org/story",
		"One https://example.org/only-one",
		"Two https://example.org/only-two",
	}
	if !cmp.Equal(got, want) {
		t.Errorf("articles = %q, want %q", got, want)
	}
}

// TestFirstSeen checks that an undated item keeps the time it was first
// seen across runs.
func TestFirstSeen(t *testing.T) {
	file := filepath.Join(t.TempDir(), "feed.xml")
	feed := `<rss version="2.0"><channel><title>t</title><link>https://example.org/</link><description>d</description>
<item><title>Undated</title><link>https://example.org/undated</link><description>No date here.</description></item></channel></rss>`
	if err := os.WriteFile(file, []byte(feed), 0o644); err != nil {
		t.Fatal(err)
	}
	cache := newMemCache()
	spec := Spec{Location: "feed.xml", Path: file, Kind: KindFeed}
	for i, now := range []time.Time{fixedNow, fixedNow.Add(24 * time.Hour)} {
		c := testCollector(Config{Cache: cache, Now: func() time.Time { return now }}, spec)
		col, err := c.Collect(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if got := col.Articles[0].Published; !got.Equal(fixedNow) {
			t.Errorf("run %d: published = %v, want first seen %v", i+1, got, fixedNow)
		}
	}
}

// TestPageSource checks a single web page source.
func TestPageSource(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/image" {
			w.Header().Set("Content-Type", "image/png")
			w.Write([]byte("\x89PNG\r\n"))
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, articlePage("Announcement"))
	}))
	defer srv.Close()
	specs, err := ParseList(strings.NewReader("page:"+srv.URL+"/news?utm_source=x tags=news\n"+srv.URL+"/image page\n"), "list.txt")
	if err != nil {
		t.Fatal(err)
	}
	col, err := testCollector(Config{}, specs...).Collect(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(col.Articles) != 1 {
		t.Fatalf("%d articles, want 1 (failures %v)", len(col.Articles), col.Failures)
	}
	a := col.Articles[0]
	if got, want := a.Title, "Announcement"; !strings.Contains(got, want) {
		t.Errorf("title = %q, want it to contain %q", got, want)
	}
	if got, want := a.URL, srv.URL+"/news"; got != want {
		t.Errorf("URL = %q, want %q", got, want)
	}
	if !strings.Contains(a.Text, "The second paragraph goes on") || strings.Contains(a.Text, "Copyright") {
		t.Errorf("text = %q, want the main text only", a.Text)
	}
	if got, want := a.Tags, []string{"news"}; !cmp.Equal(got, want) {
		t.Errorf("tags = %q, want %q", got, want)
	}
	if got := col.Failures; len(got) != 1 || !strings.Contains(got[0].Err, "wrong content type: image/png") {
		t.Errorf("failures = %v, want the image refused", got)
	}
}
