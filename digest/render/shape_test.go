package render

import (
	"net/url"
	"os"
	"path/filepath"
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
