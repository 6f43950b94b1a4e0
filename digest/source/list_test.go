package source

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/digest-newsletter/digest/digest"
)

func TestParseList(t *testing.T) {
	list := `# my sources
https://go.dev/blog/feed.atom name="The Go Blog" tags=Go,programming

  feeds/local.xml   fulltext   # teasers only: fetch the pages
page:https://example.org/about name='About us'
https://example.org/news page tags=news
/abs/articles name=Notes
http://10.0.0.5:8080/feed.xml#top allow-internal name="Team #1" #intranet
`
	got, err := ParseList(strings.NewReader(list), "/home/ed/digest/sources.txt")
	if err != nil {
		t.Fatal(err)
	}
	want := []Spec{
		{Location: "https://go.dev/blog/feed.atom", URL: "https://go.dev/blog/feed.atom", Kind: KindFeed, Name: "The Go Blog", Tags: []string{"go", "programming"}, Line: 2},
		{Location: "feeds/local.xml", Path: "/home/ed/digest/feeds/local.xml", Kind: KindFeed, FullText: true, Line: 4},
		{Location: "page:https://example.org/about", URL: "https://example.org/about", Kind: KindPage, Name: "About us", Line: 5},
		{Location: "https://example.org/news", URL: "https://example.org/news", Kind: KindPage, Tags: []string{"news"}, Line: 6},
		{Location: "/abs/articles", Path: "/abs/articles", Kind: KindFeed, Name: "Notes", Line: 7},
		{Location: "http://10.0.0.5:8080/feed.xml#top", URL: "http://10.0.0.5:8080/feed.xml#top", Kind: KindFeed, AllowInternal: true, Name: "Team #1", Line: 8},
	}
	for i := range want {
		want[i].File = "/home/ed/digest/sources.txt"
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ParseList (-want +got):\n%s", diff)
	}
}

func TestParseListErrors(t *testing.T) {
	tests := []struct {
		name, line string
		field      string
		want       string
	}{
		{"unknown option", "https://example.org/feed fultext", "option", `unknown option "fultext"`},
		{"scheme", "ftp://example.org/feed", "location", `scheme "ftp" not supported`},
		{"file scheme", "file:///etc/passwd", "location", `scheme "file" not supported`},
		{"no host", "https:///feed", "location", "no host"},
		{"unterminated quote", `https://example.org/feed name="Go Blog`, "", "unterminated"},
		{"empty name", `https://example.org/feed name=""`, "name", "empty name"},
		{"empty tags", `https://example.org/feed tags=,`, "tags", "empty tags"},
		{"page of a path", "page:articles", "location", "not an http or https URL"},
		{"repeated", "http://www.example.org/feed/?utm_source=x name=again", "location", "repeats line 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseList(strings.NewReader("https://example.org/feed\n"+tt.line+"\n"), "sources.txt")
			var ie *digest.InputError
			if !errors.As(err, &ie) {
				t.Fatalf("err = %v, want an *InputError", err)
			}
			if ie.File != "sources.txt" || ie.Line != 2 || ie.Field != tt.field {
				t.Errorf("error at %s:%d field %q, want sources.txt:2 field %q", ie.File, ie.Line, ie.Field, tt.field)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %q, want it to say %q", err, tt.want)
			}
		})
	}
	t.Run("every bad line", func(t *testing.T) {
		specs, err := ParseList(strings.NewReader("gopher://x/y\nhttps://ok.example/feed\nhttps://x.example/ nope\n"), "l.txt")
		if len(specs) != 1 {
			t.Errorf("%d specs, want the one good line", len(specs))
		}
		var lines []int
		for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
			var ie *digest.InputError
			if errors.As(e, &ie) {
				lines = append(lines, ie.Line)
			}
		}
		if want := []int{1, 3}; !cmp.Equal(lines, want) {
			t.Errorf("bad lines = %v, want %v", lines, want)
		}
	})
}

func TestParseListOPML(t *testing.T) {
	opml := `<?xml version="1.0" encoding="UTF-8"?>
<opml version="2.0">
  <head><title>Subscriptions</title></head>
  <body>
    <outline text="Tech">
      <outline type="rss" text="The Go Blog" xmlUrl="https://go.dev/blog/feed.atom" htmlUrl="https://go.dev/blog"/>
      <outline type="rss" title="LWN" xmlUrl="https://lwn.net/headlines/rss" category="/linux,/news/kernel"/>
    </outline>
    <outline type="rss" text="Bad" xmlUrl="javascript:alert(1)"/>
    <outline type="rss" text="Cooking" xmlUrl="https://cook.example.org/rss"/>
  </body>
</opml>`
	specs, err := ParseList(strings.NewReader(opml), "subs.xml")
	var got []string
	for _, s := range specs {
		got = append(got, s.Name+" "+s.URL+" "+strings.Join(s.Tags, ","))
	}
	want := []string{
		"The Go Blog https://go.dev/blog/feed.atom tech",
		"LWN https://lwn.net/headlines/rss tech,linux,news,kernel",
		"Cooking https://cook.example.org/rss ",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("OPML sources (-want +got):\n%s", diff)
	}
	var ie *digest.InputError
	if !errors.As(err, &ie) || ie.Line != 9 || ie.Field != "xmlUrl" {
		t.Errorf("err = %v, want an *InputError for line 9, xmlUrl", err)
	}
}

func TestCanonical(t *testing.T) {
	tests := []struct{ in, want string }{
		{"https://example.com/a/b", "https://example.com/a/b"},
		{"http://example.com/a/b", "https://example.com/a/b"},
		{"https://WWW.Example.COM/a/b/", "https://example.com/a/b"},
		{"https://example.com:443/a", "https://example.com/a"},
		{"http://example.com:80/a", "https://example.com/a"},
		{"https://example.com:8443/a", "https://example.com:8443/a"},
		{"https://example.com/a#comments", "https://example.com/a"},
		{"https://example.com/a?utm_source=rss&utm_medium=feed", "https://example.com/a"},
		{"https://example.com/a?id=3&fbclid=xyz&gclid=1&ref=hn", "https://example.com/a?id=3"},
		{"https://example.com/a?b=2&a=1", "https://example.com/a?a=1&b=2"},
		{"https://example.com/", "https://example.com"},
		{"https://example.com", "https://example.com"},
		{"https://example.com/a/./b/../c", "https://example.com/a/c"},
		{"https://example.com/Case/Kept", "https://example.com/Case/Kept"},
		{"https://example.com/caf%C3%A9", "https://example.com/caf%C3%A9"},
		{"https://[2001:db8::1]/x", "https://[2001:db8::1]/x"},
		{"mailto:ed@example.com", ""},
		{"/relative/path", ""},
		{"javascript:alert(1)", ""},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := Canonical(tt.in); got != tt.want {
				t.Errorf("Canonical(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestParseFrontMatter(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Skip("no time zone database:", err)
	}
	tests := []struct {
		name, in string
		want     FrontMatter
		body     string
	}{
		{"none", "# Just Markdown\n\nText.\n", FrontMatter{}, "# Just Markdown\n\nText.\n"},
		{"flow tags", "---\ntitle: A Title\ndate: 2026-11-20T10:00:00+01:00\nurl: https://example.com/a\nauthor: Ann\ntags: [Go, \"web dev\"]\n---\nBody\n",
			FrontMatter{Title: "A Title", Date: time.Date(2026, 11, 20, 10, 0, 0, 0, time.FixedZone("", 3600)), URL: "https://example.com/a", Author: "Ann", Tags: []string{"go", "web dev"}}, "Body\n"},
		{"block tags, quotes, comments", "---\r\ntitle: \"Quoted: with colon\"\r\n# a comment\r\ntags:\r\n  - one\r\n  - 'two'\r\ndraft: false\r\nlayout: post\r\n---\r\nBody",
			FrontMatter{Title: "Quoted: with colon", Tags: []string{"one", "two"}}, "Body"},
		{"comma tags, bare date", "---\ntags: a, b,c\ndate: 2026-11-25\ntitle: It's fine # trailing comment\n---\n",
			FrontMatter{Title: "It's fine", Tags: []string{"a", "b", "c"}, Date: time.Date(2026, 11, 25, 0, 0, 0, 0, ny)}, ""},
		{"date with space", "---\ndate: 2026-11-25 18:30\n---\n", FrontMatter{Date: time.Date(2026, 11, 25, 18, 30, 0, 0, ny)}, ""},
		{"draft", "---\ndraft: true\n---\n", FrontMatter{Draft: true}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fm, body, err := ParseFrontMatter([]byte(tt.in), "a.md", ny)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, fm); diff != "" {
				t.Errorf("front matter (-want +got):\n%s", diff)
			}
			if got := string(body); got != tt.body {
				t.Errorf("body = %q, want %q", got, tt.body)
			}
		})
	}
}

func TestParseFrontMatterErrors(t *testing.T) {
	tests := []struct {
		name, in string
		line     int
		field    string
	}{
		{"not closed", "---\ntitle: x\n", 1, ""},
		{"no colon", "---\ntitle: x\njust words\n---\n", 3, ""},
		{"bad date", "---\ndate: last tuesday\n---\n", 2, "date"},
		{"bad url", "---\nurl: example.com/x\n---\n", 2, "url"},
		{"repeated key", "---\ntitle: a\ntitle: b\n---\n", 3, "title"},
		{"unclosed flow", "---\ntags: [a, b\n---\n", 2, "tags"},
		{"bad quote", "---\ntitle: \"open\n---\n", 2, "title"},
		{"stray item", "---\n- a\n---\n", 2, ""},
		{"bad draft", "---\ndraft: maybe\n---\n", 2, "draft"},
		{"empty list", "---\ntitle: x\ntags:\n---\n", 3, "tags"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := ParseFrontMatter([]byte(tt.in), "post.md", time.UTC)
			var ie *digest.InputError
			if !errors.As(err, &ie) {
				t.Fatalf("err = %v, want an *InputError", err)
			}
			if ie.File != "post.md" || ie.Line != tt.line || ie.Field != tt.field {
				t.Errorf("error %q at line %d field %q, want line %d field %q", err, ie.Line, ie.Field, tt.line, tt.field)
			}
		})
	}
}

// TestMarkdownFolder collects a folder with good, draft, untitled, hidden
// and bad files.
func TestMarkdownFolder(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"good.md":          "---\ntitle: Good\nurl: https://example.com/good?utm_source=x\ntags: [a]\ndate: 2026-11-20T10:00:00Z\n---\nSome **bold** text and <script>alert(1)</script> raw HTML.\n",
		"sub/untitled.md":  "Intro line.\n\n# The Heading\n\nText under it.\n",
		"sub/nameonly.md":  "Only a paragraph, no heading.\n",
		"sub/kestrels.md":  "# Kestrels Return to the *Silo*\nFor the fourth year running, a pair of kestrels has raised a brood.\n",
		"draft.md":         "---\ndraft: true\ntitle: Draft\n---\nNot yet.\n",
		".hidden/x.md":     "---\ntitle: Hidden\n---\n",
		"notes.txt":        "not markdown",
		"bad.md":           "---\ntitle: Bad\ndate: someday\n---\nBody.\n",
		"_drafts/later.md": "---\ntitle: Later\n---\n",
	}
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	spec := Spec{Location: "notes", Path: dir, Kind: KindMarkdown, Tags: []string{"local"}}
	col, err := testCollector(Config{Cache: newMemCache()}, spec).Collect(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]digest.Article{}
	for _, a := range col.Articles {
		got[a.Title] = a
	}
	if want := []string{"Good", "The Heading", "nameonly", "Kestrels Return to the Silo"}; len(got) != len(want) {
		t.Errorf("titles = %q, want %q", titles(col.Articles), want)
	}
	good := got["Good"]
	if want := "https://example.com/good"; good.ID != want || good.URL != want {
		t.Errorf("good: ID %q URL %q, want both %q", good.ID, good.URL, want)
	}
	// Raw HTML tags are left out by goldmark; text between them stays text.
	if want := "Some bold text and alert(1) raw HTML."; good.Text != want {
		t.Errorf("good: text = %q, want %q (raw HTML tags left out)", good.Text, want)
	}
	if want := []string{"a", "local"}; !cmp.Equal(good.Tags, want) {
		t.Errorf("good: tags = %q, want %q", good.Tags, want)
	}
	if good.Source != "notes" || good.SourceURL != "notes" {
		t.Errorf("good: source %q %q, want the folder", good.Source, good.SourceURL)
	}
	// A heading at the top of a file without front matter is its title,
	// not the start of its text.
	if k, want := got["Kestrels Return to the Silo"], "For the fourth year running, a pair of kestrels has raised a brood."; k.Text != want {
		t.Errorf("heading on top: text = %q, want %q", k.Text, want)
	}
	h := got["The Heading"]
	if !strings.HasPrefix(h.ID, "urn:digest:") || h.URL != "" {
		t.Errorf("untitled: ID %q URL %q, want a local ID and no URL", h.ID, h.URL)
	}
	if !h.Published.Equal(fixedNow) {
		t.Errorf("untitled: published %v, want first seen %v", h.Published, fixedNow)
	}
	// The same file gives the same ID on the next run.
	again, _ := testCollector(Config{}, spec).Collect(context.Background())
	for _, a := range again.Articles {
		if a.Title == "The Heading" && a.ID != h.ID {
			t.Errorf("ID changed between runs: %q then %q", h.ID, a.ID)
		}
	}
	if len(col.Failures) != 1 || !strings.Contains(col.Failures[0].Err, "bad.md:3: date:") {
		t.Errorf("failures = %v, want bad.md:3: date", col.Failures)
	}
}

// TestNew reads a list file with a missing path, and the examples shipped
// with the project.
func TestNew(t *testing.T) {
	dir := t.TempDir()
	list := filepath.Join(dir, "sources.txt")
	os.Mkdir(filepath.Join(dir, "posts"), 0o755)
	os.WriteFile(list, []byte("missing-folder\nhttps://example.org/feed bogus\nposts fulltext allow-internal\n"), 0o644)
	_, err := New(Config{List: list})
	var lines []string
	for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
		lines = append(lines, e.Error())
	}
	want := []string{
		list + ":2: option: unknown option \"bogus\" (want fulltext, page, allow-internal, name=\"...\" or tags=a,b)",
		list + ":1: location: missing-folder: no such file or directory",
		list + ":3: fulltext: posts is Markdown: fulltext applies to feeds only",
		list + ":3: allow-internal: posts is Markdown: allow-internal applies to feeds and pages only",
	}
	if diff := cmp.Diff(want, lines); diff != "" {
		t.Errorf("New errors (-want +got):\n%s", diff)
	}

	t.Run("examples", func(t *testing.T) {
		c, err := New(Config{List: "../../examples/sources.txt", Now: func() time.Time { return fixedNow }})
		if err != nil {
			t.Fatal(err)
		}
		if got := len(c.Sources()); got != 2 {
			t.Errorf("%d sources, want 2", got)
		}
		col, err := c.Collect(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if len(col.Failures) != 0 || len(col.Articles) < 11 {
			t.Errorf("%d articles, failures %v; want at least 11 and none", len(col.Articles), col.Failures)
		}
		for _, a := range col.Articles {
			if a.Title == "" || a.URL == "" || a.Text == "" || a.Published.IsZero() || len(a.Tags) == 0 {
				t.Errorf("incomplete example article: %+v", a)
			}
		}
	})
}
