package render

import (
	"errors"
	"flag"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
	xhtml "golang.org/x/net/html"

	"github.com/digest-newsletter/digest/digest"
	"github.com/digest-newsletter/digest/templates"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	file := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(file, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("%s differs from golden file (-want +got):\n%s", name, diff)
	}
}

func TestGolden(t *testing.T) {
	r := newTestRenderer(t, "")
	c, err := renderFor(r, testEdition(7), testSubscriber)
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "edition.html", c.HTML)
	golden(t, "edition.txt", c.Text)
	golden(t, "edition.subject", c.Subject+"\n")
}

func TestSubject(t *testing.T) {
	tests := []struct {
		name string
		edit func(*digest.Edition)
		want string
	}{
		{"from the first item", func(*digest.Edition) {},
			"The Digest — 29 November 2026: Story number 1: Go 1.26.9 is released"},
		{"edition subject wins", func(ed *digest.Edition) { ed.Subject = "Fixed subject" },
			"Fixed subject"},
		{"note front matter wins", func(ed *digest.Edition) { ed.Note = "---\nsubject: \"Our 100th issue\"\n---\nThanks!" },
			"Our 100th issue"},
		{"CR LF never reach the header", func(ed *digest.Edition) {
			ed.Items[0].Title = "Hello\r\nBcc: victim@example.com\n\nbody"
		}, "The Digest — 29 November 2026: Hello Bcc: victim@example.com body"},
		{"no items", func(ed *digest.Edition) { ed.Items = nil },
			"The Digest — 29 November 2026"},
	}
	r := newTestRenderer(t, "")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ed := testEdition(3)
			tt.edit(ed)
			c, err := renderFor(r, ed, testSubscriber)
			if err != nil {
				t.Fatal(err)
			}
			if c.Subject != tt.want {
				t.Errorf("subject = %q, want %q", c.Subject, tt.want)
			}
		})
	}
}

// hostile returns an edition whose feed data tries every trick.
func hostile() *digest.Edition {
	ed := testEdition(2)
	ed.Overview = `</div><script>alert("overview")</script>`
	ed.Note = "Note <script>alert(1)</script> <img src=x onerror=alert(2)>\n\n" +
		"[click](javascript:alert(3)) [rel](/relative) <form action=/x><input></form>\n\n" +
		"<a href=\"javascript:alert(4)\" onclick=\"alert(5)\">raw link</a>"
	ed.Items = append(ed.Items,
		digest.Item{Article: digest.Article{ID: "a", Title: `<script>alert("title")</script>`, URL: "javascript:alert(6)", Source: `"><img src=x onerror=alert(7)>`}},
		digest.Item{Article: digest.Article{ID: "b", Title: "Relative link", URL: "/just/a/path", Source: "S"}},
		digest.Item{Article: digest.Article{ID: "c", Title: "Data link", URL: "data:text/html,<script>alert(8)</script>", Source: "S"}},
		digest.Item{Article: digest.Article{ID: "d", Title: "Tab trick", URL: "java\tscript:alert(9)", Source: "S",
			AlsoIn: []string{"<iframe src=x>"}}, Blurb: []string{"<style>body{display:none}</style>", "onmouseover=alert(10)"}},
	)
	return ed
}

// checkSafeHTML parses doc and reports scripts, forms, frames, event
// handlers and links that are not absolute http(s) or mailto.
func checkSafeHTML(t *testing.T, doc string) {
	t.Helper()
	root, err := xhtml.Parse(strings.NewReader(doc))
	if err != nil {
		t.Fatal(err)
	}
	var walk func(n *xhtml.Node)
	walk = func(n *xhtml.Node) {
		if n.Type == xhtml.ElementNode {
			switch n.Data {
			case "script", "form", "input", "iframe", "object", "embed", "button":
				t.Errorf("found <%s> element", n.Data)
			}
			for _, a := range n.Attr {
				if strings.HasPrefix(strings.ToLower(a.Key), "on") {
					t.Errorf("found event handler %s=%q on <%s>", a.Key, a.Val, n.Data)
				}
				if a.Key == "href" || a.Key == "src" || a.Key == "action" {
					v := strings.ToLower(a.Val)
					if !strings.HasPrefix(v, "https://") && !strings.HasPrefix(v, "http://") && !strings.HasPrefix(v, "mailto:") {
						t.Errorf("<%s %s=%q>: not an absolute http(s) link", n.Data, a.Key, a.Val)
					}
				}
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(root)
}

func TestHostileFeedData(t *testing.T) {
	for _, unsafe := range []bool{false} {
		r := newTestRenderer(t, "")
		r.opts.NoteUnsafeHTML = unsafe
		c, err := renderFor(r, hostile(), testSubscriber)
		if err != nil {
			t.Fatal(err)
		}
		checkSafeHTML(t, c.HTML)
		for _, bad := range []string{"<script", "<img src=x"} {
			if strings.Contains(strings.ToLower(c.HTML), bad) {
				t.Errorf("HTML contains %q", bad)
			}
		}
		// The hostile text is still shown, as text.
		for _, want := range []string{"&lt;script&gt;alert(&#34;title&#34;)&lt;/script&gt;", "Relative link</b></div>", "Data link</b></div>", "&lt;iframe src=x&gt;"} {
			if !strings.Contains(c.HTML, want) {
				t.Errorf("HTML lacks %q", want)
			}
		}
	}
}

func TestSanitizeFunction(t *testing.T) {
	dir := t.TempDir()
	page := `<html><body>{{ range .Items }}<div>{{ sanitize .Text }}</div>{{ end }}</body></html>`
	if err := os.WriteFile(filepath.Join(dir, templates.HTML), []byte(page), 0o644); err != nil {
		t.Fatal(err)
	}
	r := newTestRenderer(t, dir)
	ed := testEdition(1)
	ed.Items[0].Text = `<p>Good <em>text</em> <a href="https://ok.example/">link</a></p>` +
		`<script>alert(1)</script><img src=x onerror=alert(2)><a href="javascript:alert(3)">js</a>` +
		`<a href="/relative">rel</a><form action="https://evil.example/"><input name=p></form><iframe src="https://evil.example/"></iframe>`
	c, err := renderFor(r, ed, testSubscriber)
	if err != nil {
		t.Fatal(err)
	}
	checkSafeHTML(t, c.HTML)
	if !strings.Contains(c.HTML, `Good <em>text</em> <a href="https://ok.example/"`) {
		t.Errorf("sanitize dropped harmless markup:\n%s", c.HTML)
	}
}

func TestNoteUnsafeHTML(t *testing.T) {
	r, err := New(Options{Name: "N", NoteUnsafeHTML: true})
	if err != nil {
		t.Fatal(err)
	}
	ed := testEdition(1)
	ed.Note = "Hello <b class=\"x\">bold</b>\n\n<table><tr><td>cell</td></tr></table>"
	c, err := renderFor(r, ed, testSubscriber)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`<b class="x">bold</b>`, "cell</td>"} {
		if !strings.Contains(c.HTML, want) {
			t.Errorf("with NoteUnsafeHTML the HTML lacks %q", want)
		}
	}
	safe := newTestRenderer(t, "")
	c, err = renderFor(safe, ed, testSubscriber)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(c.HTML, "&lt;b class=&#34;x&#34;&gt;bold&lt;/b&gt;") {
		t.Errorf("without NoteUnsafeHTML raw HTML should show escaped; HTML:\n%s", c.HTML)
	}
}

func TestTextPart(t *testing.T) {
	r := newTestRenderer(t, "")
	ed := hostile()
	ed.Items[0].Title = "Tom & Jerry <3 \"quotes\" it's " + strings.Repeat("long ", 30)
	c, err := renderFor(r, ed, testSubscriber)
	if err != nil {
		t.Fatal(err)
	}
	for _, ent := range []string{"&amp;", "&lt;", "&gt;", "&#", "&quot;"} {
		if strings.Contains(c.Text, ent) {
			t.Errorf("text part contains the HTML entity %q", ent)
		}
	}
	if !strings.Contains(c.Text, "Tom & Jerry <3 \"quotes\" it's") {
		t.Errorf("text part lacks the title as plain text")
	}
	for i, line := range strings.Split(c.Text, "\n") {
		if n := utf8.RuneCountInString(line); n > 72 && strings.Contains(strings.TrimSpace(line), " ") {
			t.Errorf("line %d is %d columns: %q", i+1, n, line)
		}
	}
	// Every link reference has its URL listed, and the numbers run on.
	// The hostile items' links are dropped: only the two good ones count.
	for i := 1; i <= 3; i++ {
		ref := fmt.Sprintf("[%d]", i)
		want := map[bool]int{true: 2, false: 0}[i <= 2]
		if got := strings.Count(c.Text, ref); got != want {
			t.Errorf("reference %s appears %d times, want %d", ref, got, want)
		}
	}
	if strings.Contains(c.Text, "javascript:") {
		t.Errorf("text part lists a javascript: link")
	}
}

func TestHTMLSize(t *testing.T) {
	r := newTestRenderer(t, "")
	ed := testEdition(30)
	c, err := renderFor(r, ed, testSubscriber)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(c.HTML); n > 100*1024 {
		t.Errorf("HTML of 30 items is %d bytes, want under 100 KB (Gmail clips at 102 KB)", n)
	}
	t.Logf("HTML of a 30-item edition: %d bytes", len(c.HTML))
}

// TestPersonalParts checks that a compiled message with the subscriber's
// values put in equals running and inlining the templates for that
// subscriber alone, for templates that use the personal values in every
// way; and which templates allow sharing a compiled message at all.
func TestPersonalParts(t *testing.T) {
	subs := []digest.Subscriber{
		testSubscriber,
		{Email: "bob+news@example.com", Name: "Bob \"The Builder\" O'Neil & <Co>"},
		{Email: "c@example.com"},
		{Email: "dana@example.com", Name: "Dana", Attrs: map[string]string{"plan": "pro"}},
		{Email: "eve@example.com", Name: "Eve\r\nBcc: x"},
		{Email: "evil@example.com", Name: "Spaced   out\tname"},
		{Email: "x@example.com", Name: "ünïcødé €"},
	}
	head := `<!DOCTYPE html><html><head><title>{{ .Subject }}</title><style>p { color: red; } a { color: blue; }</style></head><body>`
	tests := []struct {
		name    string
		subject string // subject.txt.tmpl, "" for the default
		html    string // message.html.tmpl, "" for the default
		text    string // message.txt.tmpl, "" for the default
		shared  bool   // one compiled message serves many subscribers
	}{
		{name: "default templates", shared: true},
		{
			name: "text template computes with the name",
			text: `{{ wrap 72 (print "Dear " .Subscriber.Name) }} {{ .Subscriber.Email }}`,
		},
		{
			name:   "text template prints and tests",
			text:   `{{ with .Subscriber.Name }}Dear {{ . }}{{ else }}Hello{{ end }} {{ .Subscriber.Email }} {{ .UnsubscribeURL }} {{ .Subject }}`,
			shared: true,
		},
		{
			name:    "printed and tested only",
			subject: `Hi {{ .Subscriber.Name }}, {{ .Date }}`,
			html: head + `{{ define "who" }}<b>{{ .Email }}</b>{{ end }}
<p>Hi {{ with .Subscriber.Name }}{{ . }}{{ else }}there{{ end }}!</p>
{{ with .Subscriber }}<p title="{{ .Name }}">{{ .Name }}</p>{{ end }}
{{ if $.UnsubscribeURL }}<a href="{{ .UnsubscribeURL }}">Unsubscribe</a>{{ end }}
<p>{{ template "who" .Subscriber }}</p>{{ range .Items }}<p>{{ .Title }}</p>{{ end }}</body></html>`,
			shared: true,
		},
		{
			name: "compared, computed, put in a query",
			html: head + `<p>{{ if eq .Subscriber.Name "Dana" }}Hello Dana, specially.{{ end }} {{ len .Subscriber.Email }} {{ .Subscriber.Name | upper }}</p>
<p><a href="https://digest.example/u?e={{ .Subscriber.Email }}">query</a> <a href="mailto:{{ .Subscriber.Email }}">mail</a></p>
{{ range .Items }}<p>{{ .Title }}</p>{{ end }}</body></html>`,
		},
		{
			name: "sliced and formatted",
			html: head + `<p>{{ if .Subscriber.Name }}{{ slice .Subscriber.Name 0 2 }}{{ end }}</p><p>{{ printf "%.3s" .Subscriber.Email }}</p></body></html>`,
		},
		{
			name: "one value escaped two ways",
			html: head + `<p>{{ .Subscriber.Email }}</p><a href="{{ .Subscriber.Email }}">x</a></body></html>`,
		},
	}
	unsubscribe := func(email string) string {
		if strings.HasPrefix(email, "evil") {
			return "javascript:alert(1)"
		}
		return "https://digest.example/u?e=" + url.QueryEscape(email) + "&x='\"<>"
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := shapeRenderer(t, tt.subject, tt.html, tt.text)
			if r.shared != tt.shared {
				t.Errorf("shared = %v, want %v", r.shared, tt.shared)
			}
			checkCompiledWith(t, r, testEdition(4), subs, unsubscribe)
		})
	}
}

// TestOneCompileServesAVariant checks the point of compiling: with the
// default templates a hundred subscribers with names share one compiled
// message, each filled with their own values; a template that reaches the
// attributes by range shares nothing and still shows each their own.
func TestOneCompileServesAVariant(t *testing.T) {
	subs := make([]digest.Subscriber, 100)
	for i := range subs {
		subs[i] = digest.Subscriber{Email: fmt.Sprintf("r%d@example.org", i), Name: fmt.Sprintf("R%d", i),
			Attrs: map[string]string{"plan": []string{"free", "pro"}[i%2], "company": fmt.Sprint("C", i)}}
	}
	hidden := t.TempDir()
	page := `<html><head><style>p{color:red}</style></head><body><p>{{ range $k, $v := .Subscriber.Attrs }}{{ $k }}={{ $v }} {{ end }}</p></body></html>`
	if err := os.WriteFile(filepath.Join(hidden, templates.HTML), []byte(page), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		dir      string
		variants int // distinct shared variants; 0: none shared
	}{
		{"default templates", "", 1},
		{"attributes reached by range", hidden, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newTestRenderer(t, tt.dir)
			ed := testEdition(5)
			variants := map[string]*digest.Compiled{}
			for _, sub := range subs {
				u := testUnsubscribe(sub.Email)
				v, shared := r.Variant(sub, u)
				c := variants[v]
				if !shared || c == nil {
					var err error
					if c, err = r.Compile(ed, sub, u); err != nil {
						t.Fatal(err)
					}
				}
				if shared {
					variants[v] = c
				}
				html := c.HTML.Fill(c.Values(sub, u))
				want := sub.Email
				if tt.dir != "" {
					want = "company=" + sub.Attrs["company"] + " "
				}
				if !strings.Contains(html, want) {
					t.Fatalf("%s: HTML lacks %q", sub.Email, want)
				}
			}
			if len(variants) != tt.variants {
				t.Errorf("%d shared variants for %d subscribers, want %d", len(variants), len(subs), tt.variants)
			}
		})
	}
}

// TestNoSubscriber renders for the web archive: no address, no name.
func TestNoSubscriber(t *testing.T) {
	r, err := New(Options{Name: "The Digest", BaseURL: "https://digest.example", Now: func() time.Time { return clock }})
	if err != nil {
		t.Fatal(err)
	}
	c, err := renderWith(r, testEdition(2), digest.Subscriber{}, "")
	if err != nil {
		t.Fatal(err)
	}
	for part, s := range map[string]string{"HTML": c.HTML, "text": c.Text} {
		if strings.Contains(s, " at .") || strings.Contains(s, "Unsubscribe") {
			t.Errorf("%s part speaks to a subscriber:\n%s", part, s)
		}
		if !strings.Contains(s, "The Digest, 29 November 2026.") {
			t.Errorf("%s part lacks the footer line for no subscriber", part)
		}
	}
}

func TestFilteredEditionsShowTheirOwnItems(t *testing.T) {
	r := newTestRenderer(t, "")
	full := testEdition(6)
	few := testEdition(6)
	few.Items = few.Items[:2] // same ID, fewer items: a topic filter
	a, err := renderFor(r, full, testSubscriber)
	if err != nil {
		t.Fatal(err)
	}
	b, err := renderFor(r, few, testSubscriber)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(b.HTML, "Story number 6") || !strings.Contains(a.HTML, "Story number 6") {
		t.Errorf("filtered edition shows items of the full one (or the reverse)")
	}
}

func TestConcurrentRender(t *testing.T) {
	r := newTestRenderer(t, "")
	ed := testEdition(5)
	want, err := renderFor(r, ed, testSubscriber)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Go(func() {
			for range 5 {
				got, err := renderFor(r, ed, testSubscriber)
				if err != nil {
					errs <- err
					return
				}
				if got != want {
					errs <- errors.New("concurrent rendering gave different content")
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestTemplateErrors(t *testing.T) {
	tests := []struct {
		name      string
		file      string
		src       string
		atNew     bool // the error shows at New, not only at Check
		line, col int
		reason    string
	}{
		{"parse error", templates.HTML, "<p>\n{{ .Name }\n</p>", true, 2, 0, "unexpected"},
		{"unknown function", templates.Text, "a\nb {{ nope .Name }}", true, 2, 0, `function "nope" not defined`},
		{"unknown field", templates.Text, "a\n\n  {{ .Nope }}", false, 3, 5, "can't evaluate field Nope"},
		{"missing attr key", templates.Subject, "{{ .Subscriber.Attrs.company }}", false, 1, 14, `map has no entry for key "company"`},
		{"unsafe HTML context", templates.HTML, "<a href=\"{{ .Name }}\n<p>", true, 0, 0, "ends in a non-text context"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			file := filepath.Join(dir, tt.file)
			if err := os.WriteFile(file, []byte(tt.src), 0o644); err != nil {
				t.Fatal(err)
			}
			r, err := New(Options{Dir: dir, Name: "N"})
			if !tt.atNew {
				if err != nil {
					t.Fatalf("New: %v", err)
				}
				err = r.Check(testEdition(2), testSubscriber, testUnsubscribe(testSubscriber.Email))
				if _, rerr := renderFor(r, testEdition(2), testSubscriber); rerr == nil {
					t.Errorf("Render succeeded, want an error like Check's")
				}
			}
			var ie *digest.InputError
			if !errors.As(err, &ie) {
				t.Fatalf("error = %v (%T), want a *digest.InputError", err, err)
			}
			if ie.File != file {
				t.Errorf("File = %q, want %q", ie.File, file)
			}
			if ie.Line != tt.line || (tt.col != 0 && ie.Column != tt.col) {
				t.Errorf("position = %d:%d, want %d:%d", ie.Line, ie.Column, tt.line, tt.col)
			}
			if !strings.Contains(ie.Err.Error(), tt.reason) {
				t.Errorf("reason = %q, want it to contain %q", ie.Err, tt.reason)
			}
			t.Log(err)
		})
	}
}

func TestDirFallsBackFileByFile(t *testing.T) {
	dir := t.TempDir()
	subject := filepath.Join(dir, templates.Subject)
	if err := os.WriteFile(subject, []byte("{{ .Name }} for {{ .Subscriber.Name }}"), 0o644); err != nil {
		t.Fatal(err)
	}
	r := newTestRenderer(t, dir)
	want := []string{subject, "templates/" + templates.HTML, "templates/" + templates.Text}
	if diff := cmp.Diff(want, r.Files()); diff != "" {
		t.Errorf("Files (-want +got):\n%s", diff)
	}
	c, err := renderFor(r, testEdition(2), testSubscriber)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := c.Subject, "The Digest for Ada Lovelace"; got != want {
		t.Errorf("subject = %q, want %q", got, want)
	}
	if !strings.Contains(c.HTML, "Story number 2") {
		t.Errorf("HTML from the default template lacks the items")
	}
}

func TestBadOptions(t *testing.T) {
	tests := []struct {
		name string
		opts Options
		want string
	}{
		{"javascript logo", Options{LogoURL: "javascript:alert(1)"}, "logo URL"},
		{"relative base URL", Options{BaseURL: "/news"}, "base URL"},
		{"unknown grouping", Options{GroupBy: "author"}, "group by"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.opts)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("New: error %v, want one about the %s", err, tt.want)
			}
		})
	}
}

func TestGroupBy(t *testing.T) {
	ed := testEdition(3)
	ed.Items[0].Tags = []string{"go"}
	ed.Items[2].Tags = []string{"go", "retro"}
	tests := []struct {
		by   string
		want []string
	}{
		{"", []string{"Go Blog", "LWN.net", "Hacker News"}},
		{"topic", []string{"go", "More"}},
		{"none", []string{""}},
	}
	for _, tt := range tests {
		t.Run(tt.by, func(t *testing.T) {
			r, err := New(Options{Name: "N", GroupBy: tt.by})
			if err != nil {
				t.Fatal(err)
			}
			ev, err := r.edition(ed)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, g := range ev.groups {
				got = append(got, g.Name)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("groups (-want +got):\n%s", diff)
			}
		})
	}
}

func BenchmarkRender(b *testing.B) {
	benchmarkRender(b, "")
}

// BenchmarkRenderPersonalSubject is BenchmarkRender with a subject line
// that greets each subscriber by name.
func BenchmarkRenderPersonalSubject(b *testing.B) {
	dir := b.TempDir()
	subject := `{{ with .Subscriber.Name }}{{ . }}, today{{ else }}Today{{ end }} in {{ .Name }}: {{ with .Items }}{{ (index . 0).Title }}{{ end }}`
	if err := os.WriteFile(filepath.Join(dir, templates.Subject), []byte(subject), 0o644); err != nil {
		b.Fatal(err)
	}
	benchmarkRender(b, dir)
}

// benchmarkRender renders a 20-item edition for a thousand subscribers in
// turn, with the templates in dir.
func benchmarkRender(b *testing.B, dir string) {
	r := newTestRenderer(b, dir)
	ed := testEdition(20)
	subs := make([]digest.Subscriber, 1000)
	for i := range subs {
		subs[i] = digest.Subscriber{Email: fmt.Sprintf("reader%d@example.org", i), Name: fmt.Sprintf("Reader %d", i)}
	}
	if _, err := renderFor(r, ed, subs[0]); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if _, err := renderFor(r, ed, subs[i%len(subs)]); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

// BenchmarkRenderUncached inlines every message: the cost the cache saves.
func BenchmarkRenderUncached(b *testing.B) {
	r := newTestRenderer(b, "")
	ed := testEdition(20)
	b.ReportAllocs()
	for b.Loop() {
		if err := r.Check(ed, testSubscriber, testUnsubscribe(testSubscriber.Email)); err != nil {
			b.Fatal(err)
		}
	}
}
