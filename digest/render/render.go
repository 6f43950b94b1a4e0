// Package render turns an edition into one subscriber's message: a subject
// line, an HTML part and a plain-text part, from three templates the user
// may edit (package templates holds the defaults; Options.Dir overrides
// them file by file).
//
// Feed text reaches the HTML only escaped by html/template; links are kept
// only when absolute http(s). The editor's note is Markdown rendered by
// goldmark with raw HTML escaped, then sanitized by bluemonday. The HTML
// template's <style> block is inlined into style attributes by
// go-premailer.
//
// Compile renders a view of an edition once for every subscriber who gets
// the same message but for their own values (a digest.Compiled): the
// templates run on data that holds no subscriber's values, only a marker
// for each personal field they read (address, name, status, cadence, time
// zone, each named attribute, the unsubscribe link), and the output, its
// HTML inlined once, is cut at the markers into shared literals and slots.
// Which fields are read is found in the templates when they are parsed.
// This holds when the templates only print those values or test them for
// emptiness; a template that compares, transforms or ranges over them is
// run (and, for the HTML, inlined) for each subscriber alone. The renderer
// keeps nothing between calls: the dispatcher keeps the compiled views of
// a run.
//
// The package neither sends mail nor builds MIME; see package mailer.
package render

import (
	"bytes"
	"crypto/rand"
	"errors"
	"fmt"
	htmltemplate "html/template"
	"io"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"text/template"
	"time"
	"unicode/utf8"

	"github.com/microcosm-cc/bluemonday"
	"github.com/yuin/goldmark"
	xhtml "golang.org/x/net/html"

	"github.com/digest-newsletter/digest/digest"
	"github.com/digest-newsletter/digest/templates"
)

// Options configure a Renderer. Only Name is needed; the rest have
// defaults.
type Options struct {
	// Dir is a folder of templates overriding the defaults file by file
	// (subject.txt.tmpl, message.html.tmpl, message.txt.tmpl). A file
	// missing from Dir falls back to the default one. Empty: defaults only.
	Dir string
	// Name is the newsletter's name, as shown in the message.
	Name string
	// Lang is the language of the message, for <html lang>; default "en".
	Lang string
	// BaseURL is where the web archive lives; the "view in browser" link is
	// BaseURL + "/archive/" + edition ID. Empty: no link.
	BaseURL string
	// LogoURL is an image shown above the name; it must be an absolute
	// http(s) URL. Empty: no image.
	LogoURL string
	// GroupBy groups the items: "source" (default), "topic" (first tag) or
	// "none".
	GroupBy string
	// Accent is the colour of links and titles, as CSS "#rgb" or
	// "#rrggbb". Empty: the default blue, #0b57d0. Dark mode
	// keeps its own light link colour, which reads on a dark background.
	Accent string
	// SubjectPrefix is put before every subject line, as it is: a test
	// send's "[TEST] ", say. Empty: none.
	SubjectPrefix string
	// NoteUnsafeHTML lets raw HTML of the editor's note through unchanged
	// and unsanitized. Leave it off unless the note's authors are trusted.
	NoteUnsafeHTML bool
	// Now is the clock; default time.Now.
	Now func() time.Time
}

// A Renderer renders editions with one set of templates. It is safe for
// concurrent use and keeps nothing from one call to the next: a compiled
// message is its caller's to keep (the dispatcher keeps one per view and
// variant for a run).
type Renderer struct {
	opts    Options
	subject *template.Template
	html    *htmltemplate.Template
	text    *template.Template
	files   map[string]string // template name → file name as the user sees it
	policy  *bluemonday.Policy
	md      goldmark.Markdown
	token   string // a random word, the stem of the slots' markers
	// fields are the personal fields the templates read, sorted; a
	// marker is token, the field's index in fields, and "q".
	fields []string
	// subjectFields are the fields the subject template reads.
	subjectFields map[string]bool
	// chains are how the HTML part escapes each field where it prints it.
	chains map[string]string
	html0  *personalUse
	// shared is set when every template uses the personal values only in
	// ways slots reproduce (see personalUse); else each subscriber's
	// message is compiled on its own.
	shared bool
}

var _ digest.Renderer = (*Renderer)(nil)

// New parses the templates and returns a Renderer. A template that does not
// parse is reported as a *digest.InputError naming its file and line.
func New(opts Options) (*Renderer, error) {
	if opts.Lang == "" {
		opts.Lang = "en"
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	switch opts.GroupBy {
	case "", "source", "topic", "none":
	default:
		return nil, fmt.Errorf("render: group by %q: want source, topic or none", opts.GroupBy)
	}
	opts.BaseURL = strings.TrimRight(opts.BaseURL, "/")
	if opts.Accent == "" {
		opts.Accent = DefaultAccent
	}
	if !IsColor(opts.Accent) {
		return nil, fmt.Errorf("render: accent colour %q: want #rgb or #rrggbb", opts.Accent)
	}
	for _, u := range []struct{ name, url string }{{"base URL", opts.BaseURL}, {"logo URL", opts.LogoURL}} {
		if u.url != "" && safeURL(u.url) == "" {
			return nil, fmt.Errorf("render: %s %q: want an absolute http(s) URL", u.name, u.url)
		}
	}
	var tok [8]byte
	if _, err := rand.Read(tok[:]); err != nil {
		return nil, fmt.Errorf("render: %w", err)
	}
	r := &Renderer{
		opts:   opts,
		files:  map[string]string{},
		policy: newPolicy(),
		md:     newMarkdown(opts.NoteUnsafeHTML),
		token:  fmt.Sprintf("zq%xq", tok),
	}
	src := map[string]string{}
	for _, name := range templates.Names() {
		b, file, err := readTemplate(opts.Dir, name)
		if err != nil {
			return nil, err
		}
		src[name], r.files[name] = string(b), file
	}
	var err error
	if r.subject, err = template.New(templates.Subject).Option("missingkey=error").Funcs(funcs()).Parse(src[templates.Subject]); err != nil {
		return nil, r.inputError(err)
	}
	if r.html, err = htmltemplate.New(templates.HTML).Option("missingkey=error").Funcs(htmlFuncs(r.policy)).Parse(src[templates.HTML]); err != nil {
		return nil, r.inputError(err)
	}
	// html/template checks a template's contexts on its first run: run it
	// once on empty data to find a broken one now. Errors of the run itself
	// (empty data) are for Check.
	var he *htmltemplate.Error
	if err := r.html.Execute(io.Discard, Data{Refs: &Refs{}}); errors.As(err, &he) {
		return nil, r.inputError(err)
	}
	if r.text, err = template.New(templates.Text).Option("missingkey=error").Funcs(funcs()).Parse(src[templates.Text]); err != nil {
		return nil, r.inputError(err)
	}
	r.analyze()
	return r, nil
}

// analyze finds the personal fields the templates read and how, and
// whether slots can stand for them.
func (r *Renderer) analyze() {
	subj, text, html := analyzeText(r.subject), analyzeText(r.text), analyzeHTML(r.html)
	r.html0 = html
	r.shared = subj.ok && text.ok && html.ok
	r.subjectFields = subj.fields
	all := map[string]bool{}
	for _, u := range []*personalUse{subj, text, html} {
		for f := range u.fields {
			if f != subjectField {
				all[f] = true
			}
		}
	}
	if !subj.fields[subjectField] {
		delete(subj.fields, subjectField) // .Subject is empty in the subject template
	}
	r.fields = slices.Sorted(maps.Keys(all))
	// A value in the subject reaches the HTML as the subject is printed.
	r.chains = maps.Clone(html.chains)
	if c := html.chains[subjectField]; c != "" {
		for f := range subj.fields {
			if prev := r.chains[f]; prev != "" && prev != c {
				r.shared = false
			}
			r.chains[f] = c
		}
	}
}

// readTemplate reads name from dir, or from the defaults when dir lacks it.
// It returns the file name as the user sees it.
func readTemplate(dir, name string) ([]byte, string, error) {
	if dir != "" {
		file := filepath.Join(dir, name)
		b, err := os.ReadFile(file)
		if err == nil {
			return b, file, nil
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return nil, file, fmt.Errorf("read template: %w", err)
		}
	}
	b, err := fs.ReadFile(templates.FS(), name)
	if err != nil {
		return nil, "", fmt.Errorf("read default template: %w", err)
	}
	return b, "templates/" + name, nil
}

// templateErr matches the position in text/template and html/template
// errors: "template: NAME:LINE:COL: ..." or "html/template:NAME:LINE:COL: ...".
var templateErr = regexp.MustCompile(`^(?:html/)?template: ?([^:\s]+):(\d+)(?::(\d+))?: (?:executing "[^"]*" at (<[^>]*>): )?(.*)$`)

// inputError turns a template error into a *digest.InputError with the
// file, line and column it names.
func (r *Renderer) inputError(err error) error {
	msg := err.Error()
	m := templateErr.FindStringSubmatch(msg)
	if m == nil {
		return &digest.InputError{File: r.fileOf(msg), Err: err}
	}
	line, _ := strconv.Atoi(m[2])
	col, _ := strconv.Atoi(m[3])
	reason := m[5]
	if m[4] != "" {
		reason = m[4] + ": " + reason
	}
	file := r.fileOf(m[1])
	if col == 0 && line > 0 {
		col = guessColumn(file, r.opts.Dir, line, reason)
	}
	return &digest.InputError{File: file, Line: line, Column: col, Err: errors.New(reason)}
}

// quoted finds the first quoted name in a parse error's reason, such as
// function "nosuchfunc" not defined.
var quoted = regexp.MustCompile(`"([^"]+)"`)

// guessColumn places a parse error, which Go's template parser reports by
// line only, in its line: at the name the reason quotes if the line holds
// it, else at the line's first action. Zero if neither is found.
func guessColumn(file, dir string, line int, reason string) int {
	src, err := os.ReadFile(file)
	if err != nil {
		b, _, rerr := readTemplate(dir, filepath.Base(file))
		if rerr != nil {
			return 0
		}
		src = b
	}
	lines := strings.Split(string(src), "\n")
	if line > len(lines) {
		return 0
	}
	text := lines[line-1]
	if q := quoted.FindStringSubmatch(reason); q != nil {
		if i := strings.Index(text, q[1]); i >= 0 {
			return utf8.RuneCountInString(text[:i]) + 1
		}
	}
	if i := strings.Index(text, "{{"); i >= 0 {
		return utf8.RuneCountInString(text[:i]) + 1
	}
	return 0
}

// fileOf returns the user's file name of the template named in s.
func (r *Renderer) fileOf(s string) string {
	for name, file := range r.files {
		if strings.Contains(s, name) {
			return file
		}
	}
	return "templates"
}

// Files returns the template files in use, as the user sees them: paths in
// Options.Dir, or "templates/NAME" for a default.
func (r *Renderer) Files() []string {
	var fs []string
	for _, name := range templates.Names() {
		fs = append(fs, r.files[name])
	}
	return fs
}

// Check renders ed for sub with every template, as the run does (alone
// and, when the templates allow, compiled with slots), and returns the
// first error: a *digest.InputError naming the template file, line and
// column. Run it before sending the first message.
func (r *Renderer) Check(ed *digest.Edition, sub digest.Subscriber, unsubscribe string) error {
	if _, err := r.compileAlone(ed, sub, unsubscribe); err != nil {
		return err
	}
	_, err := r.Compile(ed, sub, unsubscribe)
	return err
}

// Render renders ed for sub: their message put together, a
// digest.Compiled with no slots, as preview and the web archive show it.
// Errors from templates are *digest.InputError.
func (r *Renderer) Render(ed *digest.Edition, sub digest.Subscriber, unsubscribe string) (*digest.Compiled, error) {
	c, err := r.Compile(ed, sub, unsubscribe)
	if err != nil {
		return nil, err
	}
	return c.For(sub, unsubscribe), nil
}

// Variant returns which compiled message of an edition view sub gets (see
// digest.Renderer): which of the personal fields the templates read sub
// has empty or missing. A value with a line break or NUL, or, in the
// subject, white space that the subject line would fold, is not shared:
// folding it is not the same as folding the subject around a slot.
func (r *Renderer) Variant(sub digest.Subscriber, unsubscribe string) (string, bool) {
	if !r.shared {
		return "", false
	}
	b := make([]byte, len(r.fields))
	for i, f := range r.fields {
		v, ok := digest.FieldValue(f, sub, unsubscribe)
		switch {
		case !ok:
			b[i] = '-'
		case v == "":
			b[i] = '0'
		case strings.ContainsAny(v, "\r\n\x00"), r.subjectFields[f] && v != digest.CleanText(v):
			return "", false
		default:
			if c := r.chains[f]; c == chainURL {
				if _, ok := r.html0.escape(c, v); !ok {
					return "", false
				}
			}
			b[i] = '1'
		}
	}
	return string(b), true
}

// Compile renders ed for the subscribers of sub's variant (see Variant):
// the templates run on data that holds no subscriber's values, only a
// marker for each personal field sub has not empty, and the output is cut
// at the markers into literals and slots. Nothing of sub's can reach the
// literals, so no subscriber's message can carry another's values. When
// sub's variant is not shared, it renders sub's message alone.
func (r *Renderer) Compile(ed *digest.Edition, sub digest.Subscriber, unsubscribe string) (*digest.Compiled, error) {
	if _, ok := r.Variant(sub, unsubscribe); !ok {
		return r.compileAlone(ed, sub, unsubscribe)
	}
	ev, err := r.edition(ed)
	if err != nil {
		return nil, err
	}
	var m digest.Subscriber
	var mUnsubscribe string
	for i, f := range r.fields {
		v, ok := digest.FieldValue(f, sub, unsubscribe)
		if !ok {
			continue // an attribute missing from sub's row: missing here too
		}
		if v != "" {
			v = r.marker(i)
		}
		switch f {
		case "Email":
			m.Email = v
		case "Name":
			m.Name = v
		case "Status":
			m.Status = v
		case "Cadence":
			m.Cadence = v
		case "Timezone":
			m.Timezone = v
		case "UnsubscribeURL":
			mUnsubscribe = v
		default:
			if m.Attrs == nil {
				m.Attrs = map[string]string{}
			}
			m.Attrs[strings.TrimPrefix(f, "Attrs.")] = v
		}
	}
	subject, text, html, err := r.runFitting(ev, func(ev *editionView) Data { return r.data(ev, m, mUnsubscribe) })
	if err != nil {
		return nil, err
	}
	c := &digest.Compiled{}
	slots := map[string]int{}
	parts := []struct {
		doc  string
		html bool
		dst  *digest.Part
	}{{subject, false, &c.Subject}, {text, false, &c.Text}, {html, true, &c.HTML}}
	for _, p := range parts {
		part, ok := r.cut(p.doc, p.html, c, slots)
		if !ok {
			// A marker where the analysis saw none: trust the data, not
			// the analysis.
			return r.compileAlone(ed, sub, unsubscribe)
		}
		*p.dst = part
	}
	return c, nil
}

// compileAlone renders sub's message alone: the templates run on sub's
// own data. The result has no slots.
func (r *Renderer) compileAlone(ed *digest.Edition, sub digest.Subscriber, unsubscribe string) (*digest.Compiled, error) {
	ev, err := r.edition(ed)
	if err != nil {
		return nil, err
	}
	subject, text, html, err := r.runFitting(ev, func(ev *editionView) Data { return r.data(ev, sub, unsubscribe) })
	if err != nil {
		return nil, err
	}
	return &digest.Compiled{Subject: digest.Plain(subject), Text: digest.Plain(text), HTML: digest.Plain(html)}, nil
}

// MaxHTML is the most bytes of HTML a message may have. Gmail clips a
// message whose HTML passes about 102 KB and hides the rest, the
// unsubscribe link with it, behind "View entire message"; 4 KB are left
// for the subscriber's own values. An edition whose HTML would pass it
// loses its last (lowest ranked) items, in both parts, until it fits.
const MaxHTML = 100_000

// runFitting runs the templates on data(ev), with fewer of ev's items while
// the HTML is larger than MaxHTML.
func (r *Renderer) runFitting(ev *editionView, data func(*editionView) Data) (subject, text, html string, err error) {
	for {
		subject, text, html, err = r.run(ev, data(ev))
		n := len(ev.Edition.Items)
		if err != nil || len(html) <= MaxHTML || n <= 1 {
			return subject, text, html, err
		}
		// Cut in proportion to the excess, at least one item.
		keep := min(n-1, n*MaxHTML/len(html))
		fewer := *ev
		fewer.Edition.Items = ev.Edition.Items[:max(keep, 1)]
		fewer.groups = group(fewer.Edition.Items, r.opts.GroupBy)
		ev = &fewer
	}
}

// run runs the templates on d: the subject line (the note's front matter
// subject if any, else the subject template's output on one line), the
// text part and the HTML part with its CSS inlined.
func (r *Renderer) run(ev *editionView, d Data) (subject, text, html string, err error) {
	subject = ev.note.subject
	if subject == "" {
		s, err := r.exec(r.subject, d)
		if err != nil {
			return "", "", "", err
		}
		subject = digest.CleanText(s)
	}
	subject = r.opts.SubjectPrefix + subject
	d.Subject = subject
	if text, err = r.exec(r.text, d); err != nil {
		return "", "", "", err
	}
	doc, err := r.exec(r.html, d)
	if err != nil {
		return "", "", "", err
	}
	if html, err = inline(doc); err != nil {
		return "", "", "", fmt.Errorf("inline css: %w", err)
	}
	return subject, text, html, nil
}

// marker returns the marker of r.fields[i].
func (r *Renderer) marker(i int) string {
	return r.token + strconv.Itoa(i) + "q"
}

// cut cuts doc at the markers into a Part, adding to c.Slots a slot for
// each field and escaping (raw, or as the HTML part prints the field) not
// in slots yet. It reports false for a marker of a field the HTML part is
// not known to print.
func (r *Renderer) cut(doc string, html bool, c *digest.Compiled, slots map[string]int) (digest.Part, bool) {
	var p digest.Part
	for {
		i := strings.Index(doc, r.token)
		if i < 0 {
			break
		}
		rest := doc[i+len(r.token):]
		n := strings.IndexByte(rest, 'q')
		f, err := strconv.Atoi(rest[:max(n, 0)])
		if n <= 0 || err != nil || f < 0 || f >= len(r.fields) {
			return p, false
		}
		field := r.fields[f]
		key := field
		var escape func(string) string
		if html {
			chain := r.chains[field]
			if chain == "" {
				return p, false
			}
			key += "\x00html"
			escape = func(v string) string {
				w, _ := r.html0.escape(chain, v) // Variant checked it escapes
				return xhtml.EscapeString(unescape(w))
			}
		}
		slot, ok := slots[key]
		if !ok {
			slot = len(c.Slots)
			slots[key] = slot
			c.Slots = append(c.Slots, digest.Slot{Field: field, Escape: escape})
		}
		p.Lits = append(p.Lits, doc[:i])
		p.Slots = append(p.Slots, slot)
		doc = rest[n+1:]
	}
	p.Lits = append(p.Lits, doc)
	return p, true
}

// exec runs t on d. Every run gets its own Refs.
func (r *Renderer) exec(t any, d Data) (string, error) {
	d.Refs = &Refs{n: d.Refs.n}
	var buf bytes.Buffer
	var err error
	switch t := t.(type) {
	case *template.Template:
		err = t.Execute(&buf, d)
	case *htmltemplate.Template:
		err = t.Execute(&buf, d)
	}
	if err != nil {
		return "", r.inputError(err)
	}
	return buf.String(), nil
}

// data returns the templates' data for one subscriber.
func (r *Renderer) data(ev *editionView, sub digest.Subscriber, unsubscribe string) Data {
	sub.Line = 0 // not the templates' business
	return Data{
		Edition:        ev.Edition,
		Items:          ev.Edition.Items,
		Groups:         ev.groups,
		Subscriber:     sub,
		Name:           r.opts.Name,
		Lang:           r.opts.Lang,
		Date:           ev.date,
		UnsubscribeURL: unsubscribe,
		ArchiveURL:     ev.archiveURL,
		LogoURL:        safeURL(r.opts.LogoURL),
		Accent:         r.opts.Accent,
		NoteHTML:       ev.note.html,
		NoteText:       ev.note.text,
		Refs:           &Refs{n: ev.note.links},
	}
}

// An editionView is the part of the data common to every subscriber of an
// edition with one set of items.
type editionView struct {
	Edition    Edition
	groups     []Group
	note       note
	date       string
	archiveURL string
}

// edition returns the templates' view of ed.
func (r *Renderer) edition(ed *digest.Edition) (*editionView, error) {
	if ed == nil {
		return nil, errors.New("render: no edition")
	}
	n, err := renderNote(r.md, r.policy, r.opts.NoteUnsafeHTML, ed.Note, 72)
	if err != nil {
		return nil, err
	}
	ev := &editionView{
		Edition: Edition{
			ID:       ed.ID,
			Cadence:  ed.Cadence,
			Subject:  digest.CleanText(ed.Subject),
			Overview: digest.CleanText(ed.Overview),
			Created:  ed.Created,
			Items:    make([]Item, len(ed.Items)),
		},
		note: n,
	}
	for i, it := range ed.Items {
		ev.Edition.Items[i] = newItem(it)
	}
	ev.groups = group(ev.Edition.Items, r.opts.GroupBy)
	ev.date = editionDate(ed, r.opts.Now)
	if r.opts.BaseURL != "" && ed.ID != "" {
		ev.archiveURL = safeURL(r.opts.BaseURL + "/archive/" + ed.ID)
	}
	return ev, nil
}
