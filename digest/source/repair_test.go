package source

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// serveFeeds serves each body at its path with the feed's content type.
func serveFeeds(t *testing.T, bodies map[string][]byte) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, ok := bodies[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		if bytes.Contains(body[:min(len(body), 300)], []byte("<feed")) {
			w.Header().Set("Content-Type", "application/atom+xml")
		} else {
			w.Header().Set("Content-Type", "application/rss+xml")
		}
		w.Write(body)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// TestLooseFeed checks that one bad byte does not lose a feed: a feed with
// bytes that are not UTF-8, a &#0;, bare & and <, and a truncated end is
// read as far as it goes, every good item kept, with one warning for the
// feed; and that titles made of an entity, a media:title or an <object>
// come through whole.
func TestLooseFeed(t *testing.T) {
	loose, err := os.ReadFile("testdata/feeds/rss2-loose.xml")
	if err != nil {
		t.Fatal(err)
	}
	atom := []byte(`<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <title>Night Shift Notes</title>
  <link href="https://nightshift.example/"/>
  <id>https://nightshift.example/</id>
  <updated>2026-11-28T22:00:00Z</updated>
  <entry>
    <title>Rebuilding the build farm</title>
    <link href="https://nightshift.example/2026/build-farm?page=2&lang=en"/>
    <id>https://nightshift.example/2026/build-farm</id>
    <updated>2026-11-28T22:00:00Z</updated>
    <summary>We moved forty machines in one night and nothing caught fire.</summary>
  </entry>
  <entry>
    <title>Postmortem: the cache that forgot</title>
    <link href="https://nightshift.example/2026/cache"/>
    <id>https://nightshift.example/2026/cache</id>
    <updated>2026-11-27T22:00:00Z</updated>
    <summary>A cache eviction bug, and the fix.</summary>
  </entry>
  <entry>
    <title>Half an entr`)
	srv := serveFeeds(t, map[string][]byte{"/loose.xml": loose, "/atom.xml": atom})
	var logs bytes.Buffer
	c := testCollector(Config{Logger: slog.New(slog.NewTextHandler(&logs, nil))},
		urlSpec("", srv.URL+"/loose.xml"), urlSpec("", srv.URL+"/atom.xml"))
	col, err := c.Collect(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(col.Failures) > 0 {
		t.Errorf("failures %v, want none: the good items of a broken feed are kept", col.Failures)
	}
	type item struct{ Source, Title, URL, Author string }
	var got []item
	for _, a := range col.Articles {
		got = append(got, item{a.Source, a.Title, a.URL, a.Author})
	}
	want := []item{
		{"Alpine Radio – News", "Snow closes the pass road", "https://alpine-radio.example/news/pass-closed?from=rss&utm=feed", ""},
		{"Alpine Radio – News", "Grüße aus München: the Christmas market opens", "https://alpine-radio.example/news/markt", "Jürg Müller"},
		{"Alpine Radio – News", "&", "https://alpine-radio.example/news/ampersand", ""},
		{"Alpine Radio – News", "Avalanche warning raised to level 3", "https://alpine-radio.example/news/avalanche", ""},
		{"Alpine Radio – News", "Why the <object> tag still matters for our live stream player", "https://alpine-radio.example/blog/player", ""},
		{"Alpine Radio – News", "Ski lifts open on Saturday", "https://alpine-radio.example/news/lifts", ""},
		{"Night Shift Notes", "Rebuilding the build farm", "https://nightshift.example/2026/build-farm?page=2&lang=en", ""},
		{"Night Shift Notes", "Postmortem: the cache that forgot", "https://nightshift.example/2026/cache", ""},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("articles (-want +got):\n%s", diff)
	}
	for _, a := range col.Articles {
		if strings.ContainsRune(a.Text, 0) || strings.ContainsRune(a.Text, '\uFFFD') {
			t.Errorf("%s: text %q keeps a NUL or a replacement character", a.URL, a.Text)
		}
	}
	for _, feed := range []string{"/loose.xml", "/atom.xml"} {
		if n := strings.Count(logs.String(), `msg="feed repaired" source=`+srv.URL+feed); n != 1 {
			t.Errorf("%s: %d warnings, want 1; logs:\n%s", feed, n, logs.String())
		}
	}
}

// TestRepairXML checks each repair on its own.
func TestRepairXML(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"well-formed", `<rss><channel><item><title>A &amp; B</title></item></channel></rss>`,
			`<rss><channel><item><title>A &amp; B</title></item></channel></rss>`},
		{"not UTF-8", "<t>M\xfcller \xe2\x82\xac</t>", "<t>Müller €</t>"},
		{"NUL reference and raw", "<t>a&#0;b&#x0;c\x00d&#65;</t>", "<t>abcd&#65;</t>"},
		{"bare ampersand", `<t>Q&A &amp; AT&T&#38;</t><link href="/x?a=1&b=2"/>`, `<t>Q&amp;A &amp; AT&amp;T&#38;</t><link href="/x?a=1&amp;b=2"/>`},
		{"bare less-than", `<t>3 < 4 <3</t>`, `<t>3 &lt; 4 &lt;3</t>`},
		{"CDATA untouched", `<t><![CDATA[a & b < c]]></t>`, `<t><![CDATA[a & b < c]]></t>`},
		{"element left open", `<item><title>Go <b>1.26</title><link>/x</link></item>`, `<item><title>Go <b>1.26</b></title><link>/x</link></item>`},
		{"stray end tag", `<item><title>Go</i> 1.26</title></item>`, `<item><title>Go 1.26</title></item>`},
		{"less-than in an attribute", `<link href="/x?a<b" rel='alt<'/>`, `<link href="/x?a&lt;b" rel='alt&lt;'/>`},
		{"truncated end tag", `<rss><channel><item><title>A</title></item></channel></rss`, `<rss><channel><item><title>A</title></item></channel></rss>`},
		{"truncated in an item", `<rss><channel><item><title>A</title></item><item><title>Hal`, `<rss><channel><item><title>A</title></item></channel></rss>`},
		{"truncated in an entry", `<feed><entry><title>A</title></entry><entry><title>B</title></entry><entry><t`, `<feed><entry><title>A</title></entry><entry><title>B</title></entry></feed>`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, _, _ := repairXML([]byte(tt.in))
			if string(got) != tt.want {
				t.Errorf("repairXML(%q)\n got %q\nwant %q", tt.in, got, tt.want)
			}
		})
	}
}

// TestLooseFeedNothingToSave checks that a repair that saves no item is
// still a failure with the reader's own error.
func TestLooseFeedNothingToSave(t *testing.T) {
	_, entries, repaired, err := parseFeed([]byte("<?xml version=\"1.0\"?>\n<rss version=\"2.0\"><channel><title>Broken</title>\n<item><title>Unclosed"), nil)
	if err == nil || !strings.Contains(err.Error(), "parse feed") || len(entries) != 0 || repaired != "" {
		t.Errorf("got %d entries, repaired %q, err %v; want a parse error", len(entries), repaired, err)
	}
}

// TestLongLink checks that a link longer than MaxLink is dropped, the item
// kept: every message carries every link.
func TestLongLink(t *testing.T) {
	long := "https://example.org/" + strings.Repeat("a", MaxLink)
	doc := `<rss version="2.0"><channel><title>T</title><link>https://example.org/</link><description>d</description>
<item><title>Long link</title><link>` + long + `</link><description>Text.</description></item>
<item><title>Short link</title><link>https://example.org/short</link><description>Text.</description></item></channel></rss>`
	_, entries, _, err := parseFeed([]byte(doc), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 2 || entries[0].URL != "" || entries[1].URL != "https://example.org/short" {
		t.Errorf("entries %+v, want the long link dropped and the short one kept", entries)
	}
}

// TestStrayByteInUndeclaredUTF8 checks that a feed with no XML declaration,
// in UTF-8 but for one stray Latin-1 byte, keeps its UTF-8 text: only the
// stray byte is read as Windows-1252, not the whole document.
func TestStrayByteInUndeclaredUTF8(t *testing.T) {
	doc := "<rss version=\"2.0\"><channel><title>Café News</title><link>https://e.org/</link><description>d</description>" +
		"<item><title>München and J\xfcrgen</title><link>https://e.org/1</link></item></channel></rss>"
	title, entries, repaired, err := parseFeed([]byte(doc), nil)
	if err != nil || len(entries) != 1 {
		t.Fatalf("%d entries, err %v", len(entries), err)
	}
	if title != "Café News" || entries[0].Title != "München and Jürgen" {
		t.Errorf("feed %q, item %q; want \"Café News\", \"München and Jürgen\"", title, entries[0].Title)
	}
	if !strings.Contains(repaired, "1 byte(s) not UTF-8") {
		t.Errorf("repaired %q, want it to say one byte was read as Windows-1252", repaired)
	}
}

// TestMisnestedFeed checks that a tag left open inside a title, or an end
// tag without a start, does not lose the feed.
func TestMisnestedFeed(t *testing.T) {
	doc := `<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Release Notes</title><link>https://releases.example/</link><description>d</description>
<item><title>Go <b>1.26</title><link>https://releases.example/go1.26</link><description>The new release.</description></item>
<item><title>Toolchain</i> updates</title><link>https://releases.example/toolchain</link><description>More.</description></item>
<item><title>Last one</title><link>https://releases.example/last</link><description>Done.</description></item>
</channel></rss>`
	_, entries, repaired, err := parseFeed([]byte(doc), nil)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range entries {
		got = append(got, e.Title)
	}
	if want := []string{"Go 1.26", "Toolchain updates", "Last one"}; !cmp.Equal(got, want) {
		t.Errorf("titles %q, want %q (repaired: %s)", got, want, repaired)
	}
}
