package render

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/digest-newsletter/digest/digest"
	"github.com/digest-newsletter/digest/templates"
)

// shapeSubscribers differ in every personal value, and have values that
// are empty, blank, escaped in HTML, folded by oneLine or not ASCII.
var shapeSubscribers = []digest.Subscriber{
	{Email: "ada@example.org", Name: "Ada Lovelace", Attrs: map[string]string{"company": "Analytical Engines"}},
	{Email: "bob+news@example.com", Name: `Bob "The Builder" O'Neil & <Co>`, Attrs: map[string]string{"company": `R&D <Labs> "x" 'y'`}},
	{Email: "c@example.com", Attrs: map[string]string{"company": ""}},
	{Email: "dana@example.com", Name: "Dana", Attrs: map[string]string{"company": "Dana & Co"}},
	{Email: "x@example.com", Name: "ünïcødé € 日本語", Attrs: map[string]string{"company": "Ünï"}},
	{Email: "blank@example.com", Name: " \t ", Attrs: map[string]string{"company": "Blank"}},
	{Email: "nbsp@example.com", Name: "Zoë\u00a0Smith  Jr.\n", Attrs: map[string]string{"company": "  spaced  "}},
	{Email: "eve@example.com", Name: "Eve\r\nBcc: x", Attrs: map[string]string{"company": "Eve"}},
	{Name: "No Address", Attrs: map[string]string{"company": "None"}},
	{Email: "erin@example.com", Name: "Erin", Attrs: map[string]string{"company": "Analytical Engines"}},
}

// shapeRenderer returns a renderer with the given templates ("" for the
// default one) and an unsubscribe link for every address.
func shapeRenderer(t *testing.T, subject, html, text string) *Renderer {
	t.Helper()
	dir := t.TempDir()
	for name, src := range map[string]string{templates.Subject: subject, templates.HTML: html, templates.Text: text} {
		if src != "" {
			if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	r, err := New(Options{Dir: dir, Name: "The Digest", BaseURL: "https://digest.example",
		UnsubscribeURL: func(email string) string {
			return "https://digest.example/u?e=" + url.QueryEscape(email) + "&x='\"<>"
		},
		Now: func() time.Time { return clock }})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// plainRender renders ed for sub the plain way, each template run for this
// one message and its HTML inlined on its own: what Render must give.
func plainRender(t *testing.T, r *Renderer, ed *digest.Edition, sub digest.Subscriber) digest.Content {
	t.Helper()
	ev, err := r.edition(ed)
	if err != nil {
		t.Fatal(err)
	}
	d := r.data(ev, sub)
	subject := ev.note.subject
	if subject == "" {
		s, err := r.exec(r.subject, d)
		if err != nil {
			t.Fatal(err)
		}
		subject = oneLine(s)
	}
	d.Subject = subject
	text, err := r.exec(r.text, d)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := r.exec(r.html, d)
	if err != nil {
		t.Fatal(err)
	}
	html, err := inline(doc)
	if err != nil {
		t.Fatal(err)
	}
	return digest.Content{Subject: subject, Text: text, HTML: html}
}

// checkShapes renders ed for every subscriber of subs, twice over (the
// second time from a warm cache), and compares each message with its
// plain rendering. It returns the distinct subjects.
func checkShapes(t *testing.T, r *Renderer, ed *digest.Edition, subs []digest.Subscriber) map[string]bool {
	t.Helper()
	subjects := map[string]bool{}
	for pass := range 2 {
		for _, sub := range subs {
			got, err := r.Render(ed, sub)
			if err != nil {
				t.Fatalf("pass %d, %q: %v", pass, sub.Name, err)
			}
			want := plainRender(t, r, ed, sub)
			if got.Subject != want.Subject {
				t.Errorf("pass %d, %q: subject = %q, want %q", pass, sub.Name, got.Subject, want.Subject)
			}
			if diff := cmp.Diff(want.Text, got.Text); diff != "" {
				t.Errorf("pass %d, %q: text differs from the plain rendering (-want +got):\n%s", pass, sub.Name, diff)
			}
			if diff := cmp.Diff(want.HTML, got.HTML); diff != "" {
				t.Errorf("pass %d, %q: HTML differs from the plain rendering (-want +got):\n%s", pass, sub.Name, diff)
			}
			subjects[got.Subject] = true
			// The same as Fillings, put together, is the same message.
			filled, err := r.RenderFilling(ed, sub)
			if err != nil {
				t.Fatalf("pass %d, %q: RenderFilling: %v", pass, sub.Name, err)
			}
			m := digest.Message{Text: filled.Text, HTML: filled.HTML, TextFill: filled.TextFill, HTMLFill: filled.HTMLFill}
			if filled.Subject != got.Subject || m.TextPart() != got.Text || m.HTMLPart() != got.HTML {
				t.Errorf("pass %d, %q: RenderFilling's parts differ from Render's", pass, sub.Name)
			}
		}
	}
	return subjects
}

// TestShapesSeeEveryPersonalUse checks templates that reach personal
// values in ways the shape cache once missed: it must either see them
// (run the template per message) or key the shapes by them.
func TestShapesSeeEveryPersonalUse(t *testing.T) {
	const page = `<!DOCTYPE html><html><head><style>p { color: red; }</style></head><body>`
	tests := []struct {
		name     string
		html     string
		text     string
		fast     bool // the HTML template is not run per message
		textFast bool
	}{
		{
			name:     "text part names an attribute",
			text:     `{{ .Subscriber.Name }} at {{ .Subscriber.Attrs.company }}`,
			fast:     true,
			textFast: true,
		},
		{
			name:     "attributes passed to a template",
			html:     page + `{{ define "co" }}<p>{{ .company }}</p>{{ end }}{{ template "co" .Subscriber.Attrs }}</body></html>`,
			text:     `{{ define "co" }}{{ .company }}{{ end }}{{ template "co" .Subscriber.Attrs }}`,
			fast:     false,
			textFast: false,
		},
		{
			name:     "$ in a template called with the subscriber",
			html:     page + `{{ define "who" }}<p>{{ $.Name }} {{ upper $.Email }} {{ $.Attrs.company }}</p>{{ end }}{{ template "who" .Subscriber }}</body></html>`,
			text:     `{{ define "who" }}{{ upper $.Name }} {{ $.Attrs.company }}{{ end }}{{ template "who" .Subscriber }}`,
			fast:     false,
			textFast: false,
		},
		{
			name:     "$ printed plainly in a called template",
			html:     page + `{{ define "who" }}<p>{{ $.Name }}</p>{{ end }}{{ template "who" .Subscriber }}</body></html>`,
			text:     `{{ define "who" }}{{ $.Name }}{{ end }}{{ template "who" .Subscriber }}`,
			fast:     true,
			textFast: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := shapeRenderer(t, "", tt.html, tt.text)
			if got := r.personal != nil; got != tt.fast {
				t.Errorf("HTML fast path = %v, want %v", got, tt.fast)
			}
			if r.textFast != tt.textFast {
				t.Errorf("text fast path = %v, want %v", r.textFast, tt.textFast)
			}
			checkShapes(t, r, testEdition(3), shapeSubscribers)
		})
	}
}

// TestSubjectShapes checks that a subject from the cache is, byte for byte,
// the subject template's own output for that message on one line, and that
// the HTML and text parts see it as they would see that output: empty or
// not, whatever the subscriber's values.
func TestSubjectShapes(t *testing.T) {
	// html shows the subject and branches on it being empty.
	const html = `<!DOCTYPE html><html><head><title>{{ .Subject }}</title><style>p { color: red; }</style></head><body>
{{ if .Subject }}<h1>{{ .Subject }}</h1>{{ else }}<h1>No subject</h1>{{ end }}
<p>{{ .Subscriber.Name }} {{ .Subscriber.Email }}</p>{{ range .Items }}<p>{{ .Title }}</p>{{ end }}</body></html>`
	const text = `{{ with .Subject }}Subject: {{ . }}{{ else }}No subject{{ end }}
{{ .Subscriber.Name }} {{ .UnsubscribeURL }}`
	tests := []struct {
		name     string
		subject  string
		fast     bool // the subject is filled in from a shape
		personal bool // the subject differs from one subscriber to another
	}{
		{name: "default", fast: true},
		{name: "name", subject: `Hi {{ .Subscriber.Name }}, {{ .Date }}`, fast: true, personal: true},
		{name: "name alone", subject: `{{ .Subscriber.Name }}`, fast: true, personal: true},
		{name: "if name", subject: `{{ if .Subscriber.Name }}{{ .Subscriber.Name }}, your{{ else }}Your{{ end }} digest for {{ .Subscriber.Email }}`, fast: true, personal: true},
		{name: "with name, unsubscribe link", subject: `{{ with .Subscriber.Name }}Dear {{ . }} {{ end }}{{ .UnsubscribeURL }}`, fast: true, personal: true},
		{name: "attribute", subject: `{{ .Subscriber.Attrs.company }} news for {{ .Subscriber.Name }}`, fast: true, personal: true},
		{name: "attribute under with", subject: `{{ with .Subscriber }}{{ .Name }} at {{ .Attrs.company }}{{ end }}`, fast: true, personal: true},
		{name: "if attribute", subject: `{{ if .Subscriber.Attrs.company }}{{ .Subscriber.Attrs.company }}{{ else }}Nobody{{ end }}`, fast: true, personal: true},
		{name: "called template", subject: `{{ define "who" }}{{ .Name }} <{{ .Email }}>{{ end }}{{ template "who" .Subscriber }}: {{ .Name }}`, fast: true, personal: true},
		{name: "subject in the subject", subject: `[{{ .Subject }}]{{ if .Subject }}never{{ end }} {{ .Subscriber.Name }}`, fast: true, personal: true},
		{name: "white space to fold", subject: "  {{ .Subscriber.Name }}  \n\t{{ .Name }}\u00a0 {{ .Subscriber.Email }}  ", fast: true, personal: true},
		{name: "printf", subject: `{{ printf "%s!" .Subscriber.Name }}`, personal: true},
		{name: "len", subject: `{{ len .Subscriber.Name }} letters`, personal: true},
		{name: "compared", subject: `{{ if eq .Subscriber.Name "Dana" }}Hello Dana{{ else }}Hello {{ .Subscriber.Name }}{{ end }}`, personal: true},
		{name: "piped", subject: `{{ .Subscriber.Name | upper }} {{ .Subscriber.Email | printf "%q" }}`, personal: true},
		{name: "in a variable", subject: `{{ $n := .Subscriber.Name }}{{ $n }}{{ $n }}`, personal: true},
		{name: "$ in a called template", subject: `{{ define "who" }}{{ lower $.Name }}{{ end }}{{ template "who" .Subscriber }}`, personal: true},
		{name: "range over attributes", subject: `{{ range $k, $v := .Subscriber.Attrs }}{{ $k }}={{ $v }}{{ end }}`, personal: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := shapeRenderer(t, tt.subject, html, text)
			if r.subjectFast != tt.fast {
				t.Errorf("subject fast path = %v, want %v", r.subjectFast, tt.fast)
			}
			ed := testEdition(3)
			subjects := checkShapes(t, r, ed, shapeSubscribers)
			// Not a vacuous comparison: the subjects do differ.
			if got := len(subjects) > 1; got != tt.personal {
				t.Errorf("%d distinct subjects, want personal %v: %v", len(subjects), tt.personal, subjects)
			}
			// The fast path runs the template per shape, not per message.
			runs := r.subjectRuns.Load()
			for _, sub := range shapeSubscribers {
				if _, err := r.Render(ed, sub); err != nil {
					t.Fatal(err)
				}
			}
			want := int64(len(shapeSubscribers))
			if tt.fast {
				want = 0
			}
			if got := r.subjectRuns.Load() - runs; got != want {
				t.Errorf("%d subject template runs for %d more messages, want %d", got, len(shapeSubscribers), want)
			}
		})
	}
}

// TestSubjectShapesNote checks that a subject from the note's front matter
// still wins over the subject template's.
func TestSubjectShapesNote(t *testing.T) {
	r := shapeRenderer(t, `Hi {{ .Subscriber.Name }}`, "", "")
	ed := testEdition(2)
	ed.Note = "---\nsubject: \"Our 100th issue\"\n---\nThanks!"
	for _, sub := range shapeSubscribers[:3] {
		c, err := r.Render(ed, sub)
		if err != nil {
			t.Fatal(err)
		}
		if c.Subject != "Our 100th issue" {
			t.Errorf("%q: subject = %q, want the note's", sub.Name, c.Subject)
		}
	}
	checkShapes(t, r, ed, shapeSubscribers)
}

// TestSubjectShapeErrors checks that a subject template that fails for a
// message fails as the plain rendering does, from the cache or not.
func TestSubjectShapeErrors(t *testing.T) {
	r := shapeRenderer(t, `{{ .Subscriber.Name }} at {{ .Subscriber.Attrs.company }}`, "", "")
	if !r.subjectFast {
		t.Fatal("subject fast path off")
	}
	ed := testEdition(2)
	for range 2 {
		if _, err := r.Render(ed, shapeSubscribers[0]); err != nil {
			t.Fatal(err)
		}
		_, err := r.Render(ed, digest.Subscriber{Email: "a@example.org", Name: "A"})
		var ie *digest.InputError
		if !errors.As(err, &ie) || !strings.Contains(ie.Err.Error(), `map has no entry for key "company"`) || ie.Line != 1 {
			t.Errorf("error = %v, want a *digest.InputError at line 1 about the missing company", err)
		}
	}
}

// TestOneLine checks that oneLine's shortcut for values on one line
// already gives what folding them would.
func TestOneLine(t *testing.T) {
	for _, s := range []string{
		"", " ", "a", "a b", "a  b", " a", "a ", "a\tb", "a\nb", "a\r\nb", "a\vb", "a\fb",
		"a\u0085b", "a\u00a0b", "a\u2003b", "a\u3000b", "ünï cødé", "日本 語", "a\xffb", "\xff", "a\x00b",
		"The Digest — 29 November 2026: Story number 1", "x \u00a0",
	} {
		checkOneLine(t, s)
	}
}

// FuzzOneLine compares oneLine with strings.Fields joined by spaces.
func FuzzOneLine(f *testing.F) {
	f.Add("a b")
	f.Add(" a\u00a0b\t")
	f.Fuzz(checkOneLine)
}

// checkOneLine compares oneLine and isOneLine on s with strings.Fields
// joined by spaces.
func checkOneLine(t *testing.T, s string) {
	want := strings.Join(strings.Fields(s), " ")
	if got := oneLine(s); got != want {
		t.Errorf("oneLine(%q) = %q, want %q", s, got, want)
	}
	if got := isOneLine(s); got != (s == want) {
		t.Errorf("isOneLine(%q) = %v, want %v", s, got, s == want)
	}
}

// TestSubjectShapesConcurrent renders personal subjects from many
// goroutines at once, the caches cold, each message checked against its
// plain rendering.
func TestSubjectShapesConcurrent(t *testing.T) {
	r := shapeRenderer(t, `{{ with .Subscriber.Name }}{{ . }}, your{{ else }}Your{{ end }} digest ({{ .Subscriber.Email }})`, "", "")
	ed := testEdition(3)
	want := map[int]digest.Content{}
	for i, sub := range shapeSubscribers {
		want[i] = plainRender(t, r, ed, sub)
	}
	r = shapeRenderer(t, `{{ with .Subscriber.Name }}{{ . }}, your{{ else }}Your{{ end }} digest ({{ .Subscriber.Email }})`, "", "")
	var wg sync.WaitGroup
	errs := make(chan string, 8*len(shapeSubscribers))
	for g := range 8 {
		wg.Go(func() {
			for j := range shapeSubscribers {
				i := (g + j) % len(shapeSubscribers)
				c, err := r.Render(ed, shapeSubscribers[i])
				if err != nil {
					errs <- err.Error()
					return
				}
				if c != want[i] {
					errs <- fmt.Sprintf("%q: got subject %q, want %q (or another part differs)", shapeSubscribers[i].Name, c.Subject, want[i].Subject)
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}

// With the built-in templates, RenderFilling gives both parts as
// Fillings of their cached shapes: the text common to every subscriber is
// not copied for each.
func TestRenderFillingUsesTheShape(t *testing.T) {
	r := newTestRenderer(t, "")
	ed := testEdition(3)
	var lits []string
	for _, email := range []string{"ada@example.com", "grace@example.org"} {
		c, err := r.RenderFilling(ed, digest.Subscriber{Email: email, Name: "Ada"})
		if err != nil {
			t.Fatal(err)
		}
		if c.TextFill == nil || c.HTMLFill == nil || c.Text != "" || c.HTML != "" {
			t.Fatalf("%s: parts as strings, want Fillings", email)
		}
		if len(c.HTMLFill.Vals) == 0 || !slices.Contains(c.HTMLFill.Vals, "Ada") {
			t.Errorf("%s: HTML values %q, want the name among them", email, c.HTMLFill.Vals)
		}
		if lits != nil && &lits[0] != &c.HTMLFill.Lits[0] {
			t.Errorf("%s: the HTML's literals are a copy, want the shape's own", email)
		}
		lits = c.HTMLFill.Lits
	}
}
