package render

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
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

// shapeUnsubscribe is the unsubscribe link of every address, with bytes
// each escaping treats its own way.
func shapeUnsubscribe(email string) string {
	return "https://digest.example/u?e=" + url.QueryEscape(email) + "&x='\"<>"
}

// shapeRenderer returns a renderer with the given templates ("" for the
// default one).
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
	r, err := New(Options{Dir: dir, Name: "The Digest", BaseURL: "https://digest.example", Now: func() time.Time { return clock }})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// checkCompiled compiles ed once per variant of subs (as the dispatcher
// does), fills it for every subscriber of that variant, and compares each
// message with the templates run for that subscriber alone. It returns the
// distinct subjects.
func checkCompiled(t *testing.T, r *Renderer, ed *digest.Edition, subs []digest.Subscriber) map[string]bool {
	t.Helper()
	return checkCompiledWith(t, r, ed, subs, shapeUnsubscribe)
}

func checkCompiledWith(t *testing.T, r *Renderer, ed *digest.Edition, subs []digest.Subscriber, unsubscribe func(string) string) map[string]bool {
	t.Helper()
	subjects := map[string]bool{}
	compiled := map[string]*digest.Compiled{}
	for _, sub := range subs {
		u := unsubscribe(sub.Email)
		want, werr := r.compileAlone(ed, sub, u)
		v, shared := r.Variant(sub, u)
		c, err := compiled[v], error(nil)
		if !shared || c == nil {
			c, err = r.Compile(ed, sub, u)
		}
		if shared && err == nil {
			compiled[v] = c
		}
		if (err != nil) != (werr != nil) {
			t.Fatalf("%q: compiled error %v, alone %v", sub.Name, err, werr)
		}
		if err != nil {
			if err.Error() != werr.Error() {
				t.Errorf("%q: compiled error %v, alone %v", sub.Name, err, werr)
			}
			continue
		}
		got := c.For(sub, u)
		if g, w := got.Subject.String(), want.Subject.String(); g != w {
			t.Errorf("%q: subject = %q, want %q", sub.Name, g, w)
		}
		if diff := cmp.Diff(want.Text.String(), got.Text.String()); diff != "" {
			t.Errorf("%q: text differs from running the templates alone (-want +got):\n%s", sub.Name, diff)
		}
		if diff := cmp.Diff(want.HTML.String(), got.HTML.String()); diff != "" {
			t.Errorf("%q: HTML differs from running the templates alone (-want +got):\n%s", sub.Name, diff)
		}
		subjects[got.Subject.String()] = true
	}
	return subjects
}

// TestCompileSeesEveryPersonalUse checks templates that reach personal
// values in ways the renderer's old shape cache once missed: the compiled
// message must either have a slot for them or not be shared.
func TestCompileSeesEveryPersonalUse(t *testing.T) {
	const page = `<!DOCTYPE html><html><head><style>p { color: red; }</style></head><body>`
	tests := []struct {
		name     string
		html     string
		text     string
		shared   bool // one compiled message serves many
		textFast bool // unused
	}{
		{
			name:     "text part names an attribute",
			text:     `{{ .Subscriber.Name }} at {{ .Subscriber.Attrs.company }}`,
			shared:   true,
			textFast: true,
		},
		{
			name:     "attributes passed to a template",
			html:     page + `{{ define "co" }}<p>{{ .company }}</p>{{ end }}{{ template "co" .Subscriber.Attrs }}</body></html>`,
			text:     `{{ define "co" }}{{ .company }}{{ end }}{{ template "co" .Subscriber.Attrs }}`,
			shared:   true,
			textFast: false,
		},
		{
			name:     "$ in a template called with the subscriber",
			html:     page + `{{ define "who" }}<p>{{ $.Name }} {{ upper $.Email }} {{ $.Attrs.company }}</p>{{ end }}{{ template "who" .Subscriber }}</body></html>`,
			text:     `{{ define "who" }}{{ upper $.Name }} {{ $.Attrs.company }}{{ end }}{{ template "who" .Subscriber }}`,
			shared:   false,
			textFast: false,
		},
		{
			name:     "$ printed plainly in a called template",
			html:     page + `{{ define "who" }}<p>{{ $.Name }}</p>{{ end }}{{ template "who" .Subscriber }}</body></html>`,
			text:     `{{ define "who" }}{{ $.Name }}{{ end }}{{ template "who" .Subscriber }}`,
			shared:   true,
			textFast: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := shapeRenderer(t, "", tt.html, tt.text)
			if r.shared != tt.shared {
				t.Errorf("shared = %v, want %v", r.shared, tt.shared)
			}
			checkCompiled(t, r, testEdition(3), shapeSubscribers)
		})
	}
}

// TestCompiledSubjects checks that a compiled subject is, byte for byte,
// the subject template's own output for that message on one line, and that
// the HTML and text parts see it as they would see that output: empty or
// not, whatever the subscriber's values.
func TestCompiledSubjects(t *testing.T) {
	// html shows the subject and branches on it being empty.
	const html = `<!DOCTYPE html><html><head><title>{{ .Subject }}</title><style>p { color: red; }</style></head><body>
{{ if .Subject }}<h1>{{ .Subject }}</h1>{{ else }}<h1>No subject</h1>{{ end }}
<p>{{ .Subscriber.Name }} {{ .Subscriber.Email }}</p>{{ range .Items }}<p>{{ .Title }}</p>{{ end }}</body></html>`
	const text = `{{ with .Subject }}Subject: {{ . }}{{ else }}No subject{{ end }}
{{ .Subscriber.Name }} {{ .UnsubscribeURL }}`
	tests := []struct {
		name     string
		subject  string
		fast     bool // the subject is compiled with slots
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
			if r.shared != tt.fast {
				t.Errorf("shared = %v, want %v", r.shared, tt.fast)
			}
			ed := testEdition(3)
			subjects := checkCompiled(t, r, ed, shapeSubscribers)
			// Not a vacuous comparison: the subjects do differ.
			if got := len(subjects) > 1; got != tt.personal {
				t.Errorf("%d distinct subjects, want personal %v: %v", len(subjects), tt.personal, subjects)
			}
		})
	}
}

// TestCompiledSubjectNote checks that a subject from the note's front matter
// still wins over the subject template's.
func TestCompiledSubjectNote(t *testing.T) {
	r := shapeRenderer(t, `Hi {{ .Subscriber.Name }}`, "", "")
	ed := testEdition(2)
	ed.Note = "---\nsubject: \"Our 100th issue\"\n---\nThanks!"
	for _, sub := range shapeSubscribers[:3] {
		c, err := renderFor(r, ed, sub)
		if err != nil {
			t.Fatal(err)
		}
		if c.Subject != "Our 100th issue" {
			t.Errorf("%q: subject = %q, want the note's", sub.Name, c.Subject)
		}
	}
	checkCompiled(t, r, ed, shapeSubscribers)
}

// TestCompiledSubjectErrors checks that a subject template that fails for
// a message fails as running it alone does, compiled with slots or not.
func TestCompiledSubjectErrors(t *testing.T) {
	r := shapeRenderer(t, `{{ .Subscriber.Name }} at {{ .Subscriber.Attrs.company }}`, "", "")
	if !r.shared {
		t.Fatal("not shared")
	}
	ed := testEdition(2)
	for range 2 {
		if _, err := renderFor(r, ed, shapeSubscribers[0]); err != nil {
			t.Fatal(err)
		}
		_, err := renderFor(r, ed, digest.Subscriber{Email: "a@example.org", Name: "A"})
		var ie *digest.InputError
		if !errors.As(err, &ie) || !strings.Contains(ie.Err.Error(), `map has no entry for key "company"`) || ie.Line != 1 {
			t.Errorf("error = %v, want a *digest.InputError at line 1 about the missing company", err)
		}
	}
}

// TestCompileConcurrent compiles and fills personal subjects from many
// goroutines at once, each message checked against running the templates
// for it alone.
func TestCompileConcurrent(t *testing.T) {
	r := shapeRenderer(t, `{{ with .Subscriber.Name }}{{ . }}, your{{ else }}Your{{ end }} digest ({{ .Subscriber.Email }})`, "", "")
	ed := testEdition(3)
	want := map[int]*digest.Compiled{}
	for i, sub := range shapeSubscribers {
		c, err := r.compileAlone(ed, sub, shapeUnsubscribe(sub.Email))
		if err != nil {
			t.Fatal(err)
		}
		want[i] = c
	}
	var wg sync.WaitGroup
	errs := make(chan string, 8*len(shapeSubscribers))
	for g := range 8 {
		wg.Go(func() {
			for j := range shapeSubscribers {
				i := (g + j) % len(shapeSubscribers)
				sub := shapeSubscribers[i]
				c, err := r.Render(ed, sub, shapeUnsubscribe(sub.Email))
				if err != nil {
					errs <- err.Error()
					return
				}
				if !reflect.DeepEqual(c, want[i]) {
					errs <- fmt.Sprintf("%q: got subject %q, want %q (or another part differs)", sub.Name, c.Subject.String(), want[i].Subject.String())
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

// A message never passes Gmail's clipping limit: an edition whose HTML
// would be larger loses its last items, in both parts, and the compiled
// message still matches the templates run alone for each subscriber.
func TestHTMLStaysUnderGmailsClipping(t *testing.T) {
	ed := testEdition(200)
	for i := range ed.Items {
		ed.Items[i].Blurb = []string{strings.Repeat("A sentence of a long blurb, with words. ", 12)}
	}
	r := newTestRenderer(t, "")
	subs := shapeSubscribers[:4]
	checkCompiled(t, r, ed, subs)
	for _, sub := range subs {
		c, err := renderFor(r, ed, sub)
		if err != nil {
			t.Fatal(err)
		}
		if len(c.HTML) > MaxHTML+4000 {
			t.Errorf("%s: HTML of %d bytes, want at most %d", sub.Email, len(c.HTML), MaxHTML+4000)
		}
		if !strings.Contains(c.HTML, "Story number 1:") || strings.Contains(c.HTML, "Story number 200:") {
			t.Errorf("%s: want the first items kept and the last dropped", sub.Email)
		}
		if strings.Contains(c.Text, "Story number 200:") {
			t.Errorf("%s: the text part has an item the HTML dropped", sub.Email)
		}
		if !strings.Contains(c.HTML, "unsubscribe") {
			t.Errorf("%s: the unsubscribe link is gone", sub.Email)
		}
	}
}
