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
// Rendering is cached per edition and item set: the templates run once with
// placeholders for the subscriber's address and name, the unsubscribe link
// and the subject, the HTML is inlined once, and each message is that
// result with its own values put in. This holds when the templates only
// print those values or test them for emptiness; a template that compares
// or transforms them is run (and, for the HTML, inlined) per message, with
// the same output. RenderFilling gives a cached part as its shape and the
// subscriber's values, not put together (a digest.Filling), so that the
// mailer encodes the shape once.
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
	"sync"
	"sync/atomic"
	"text/template"
	"text/template/parse"
	"time"
	"unicode/utf8"

	"github.com/microcosm-cc/bluemonday"
	"github.com/yuin/goldmark"

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
	// UnsubscribeURL returns a subscriber's unsubscribe link. Nil: no link.
	UnsubscribeURL func(email string) string
	// GroupBy groups the items: "source" (default), "topic" (first tag) or
	// "none".
	GroupBy string
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
// concurrent use. An edition must not be changed in place once rendered: a
// changed edition is a new value (a filtered copy, say), not the same one
// edited.
type Renderer struct {
	opts    Options
	subject *template.Template
	html    *htmltemplate.Template
	text    *template.Template
	files   map[string]string // template name → file name as the user sees it
	policy  *bluemonday.Policy
	md      goldmark.Markdown
	token   string            // a random word, the stem of placeholder values
	toks    [numLeaves]string // the placeholders: token, the leaf's letter, "q"
	attrs   map[string]bool   // subscriber attributes the templates name
	// attrList is attrs sorted, for shape keys.
	attrList []string
	// personal is how the HTML template uses the personal values, or nil
	// if each message must run it (see renderHTML).
	personal *personalUse
	// textFast is set when the text template only prints or tests the
	// personal values: a message's text is then its shape's, values put in.
	textFast bool
	// subjectFast is set when the subject template only prints or tests
	// the personal values: a message's subject is then its shape's,
	// values put in (see cachedSubject).
	subjectFast bool

	inlines     atomic.Int64 // CSS inlinings done, for tests
	subjectRuns atomic.Int64 // subject template runs, for tests

	mu       sync.Mutex
	seq      int // numbers editionViews
	editions map[string]*editionView
	byPtr    map[*digest.Edition]seenEdition
	shapes   map[string]*shape // see renderHTML
	subjects map[string]*subjectShape
}

var _ digest.Renderer = (*Renderer)(nil)

// maxCached bounds each cache; when full it is emptied.
const maxCached = 64

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
		opts:     opts,
		files:    map[string]string{},
		policy:   newPolicy(),
		md:       newMarkdown(opts.NoteUnsafeHTML),
		token:    fmt.Sprintf("zq%xq", tok),
		editions: map[string]*editionView{},
		byPtr:    map[*digest.Edition]seenEdition{},
		shapes:   map[string]*shape{},
		subjects: map[string]*subjectShape{},
	}
	for i := range r.toks {
		r.toks[i] = r.token + string(rune('a'+i)) + "q"
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
	r.personal = analyzePersonal(r.html)
	if r.text, err = template.New(templates.Text).Option("missingkey=error").Funcs(funcs()).Parse(src[templates.Text]); err != nil {
		return nil, r.inputError(err)
	}
	r.textFast = textPersonal(r.text)
	// The text part is cached per shape too (r.textFast): the attributes
	// it names belong in the key as much as the HTML's do.
	var trees []*parse.Tree
	for _, t := range r.subject.Templates() {
		trees = append(trees, t.Tree)
	}
	for _, t := range r.html.Templates() {
		trees = append(trees, t.Tree)
	}
	for _, t := range r.text.Templates() {
		trees = append(trees, t.Tree)
	}
	r.attrs = attrNames(trees...)
	r.attrList = slices.Sorted(maps.Keys(r.attrs))
	r.subjectFast = textPersonal(r.subject)
	return r, nil
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

// Check renders ed for sub with every template, without caching, and
// returns the first error: a *digest.InputError naming the template file,
// line and column. Run it before sending the first message.
func (r *Renderer) Check(ed *digest.Edition, sub digest.Subscriber) error {
	ev, err := r.edition(ed)
	if err != nil {
		return err
	}
	d := r.data(ev, sub)
	if d.Subject, err = r.renderSubject(ev, d); err != nil {
		return err
	}
	if _, err := r.exec(r.text, d); err != nil {
		return err
	}
	h, err := r.exec(r.html, d)
	if err != nil {
		return err
	}
	if _, err := inline(h); err != nil {
		return fmt.Errorf("inline css: %w", err)
	}
	return nil
}

// Render renders ed for sub. Errors from templates are *digest.InputError.
func (r *Renderer) Render(ed *digest.Edition, sub digest.Subscriber) (digest.Content, error) {
	return r.render(ed, sub, false)
}

// RenderFilling renders ed for sub as Render does, but gives the parts
// that come from a cached shape as Fillings: the shape's text and this
// subscriber's values, not copied into one string.
func (r *Renderer) RenderFilling(ed *digest.Edition, sub digest.Subscriber) (digest.Content, error) {
	return r.render(ed, sub, true)
}

var _ digest.FillingRenderer = (*Renderer)(nil)

func (r *Renderer) render(ed *digest.Edition, sub digest.Subscriber, filling bool) (digest.Content, error) {
	ev, err := r.edition(ed)
	if err != nil {
		return digest.Content{}, err
	}
	d := r.data(ev, sub)
	var buf [256]byte
	key := r.shapeKey(buf[:0], ev, d)
	if d.Subject, err = r.cachedSubject(ev, d, key); err != nil {
		return digest.Content{}, err
	}
	d.Subject = r.opts.SubjectPrefix + d.Subject
	p, err := r.renderHTML(d, key, filling)
	if err != nil {
		return digest.Content{}, err
	}
	return digest.Content{Subject: d.Subject, Text: p.text, HTML: p.html, TextFill: p.textFill, HTMLFill: p.htmlFill}, nil
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

// renderSubject renders the subject line: the note's front matter subject
// if any, else the subject template's output, on one line.
func (r *Renderer) renderSubject(ev *editionView, d Data) (string, error) {
	if ev.note.subject != "" {
		return ev.note.subject, nil
	}
	r.subjectRuns.Add(1)
	s, err := r.exec(r.subject, d)
	if err != nil {
		return "", err
	}
	return oneLine(s), nil
}

// A subjectShape is the subject template's output for the messages of one
// shape key, with placeholders for the address, name and unsubscribe link.
type subjectShape struct {
	out  holes
	line string // the subject, when out has no placeholders
}

// cachedSubject renders the subject line as renderSubject does, but when
// the subject template only prints the address, name and unsubscribe link
// or tests them for emptiness (r.subjectFast), the template runs once per
// shape key (see shapeKey), with placeholders for the values that are not
// empty, and a message's subject is that output with its own values put
// in, then put on one line. The subject is no placeholder of its own:
// .Subject is empty in the subject template, in the shape as in the
// message. Should the placeholders fail to render, the message's own run
// decides.
func (r *Renderer) cachedSubject(ev *editionView, d Data, key []byte) (string, error) {
	if ev.note.subject != "" || !r.subjectFast {
		return r.renderSubject(ev, d)
	}
	r.mu.Lock()
	ss, ok := r.subjects[string(key)]
	r.mu.Unlock()
	if !ok {
		td := d
		for i, v := range []*string{&td.Subscriber.Email, &td.Subscriber.Name, &td.UnsubscribeURL} {
			if *v != "" {
				*v = r.toks[i]
			}
		}
		td.Subject = ""
		r.subjectRuns.Add(1)
		out, err := r.exec(r.subject, td)
		if err != nil {
			return r.renderSubject(ev, d)
		}
		ss = &subjectShape{out: cut(out, r.token)}
		if len(ss.out.leaves) == 0 {
			ss.line = oneLine(out)
		}
		r.mu.Lock()
		if old, ok := r.subjects[string(key)]; ok {
			ss = old // another goroutine was first
		} else {
			if len(r.subjects) >= maxCached {
				clear(r.subjects)
			}
			r.subjects[string(key)] = ss
		}
		r.mu.Unlock()
	}
	if len(ss.out.leaves) == 0 {
		return ss.line, nil
	}
	vals := [numLeaves]string{leafEmail: d.Subscriber.Email, leafName: d.Subscriber.Name, leafUnsubscribe: d.UnsubscribeURL}
	return oneLine(ss.out.fill(&vals)), nil
}

// shapeKey appends to b what a message's shapes are cached by: everything
// in d that placeholders do not stand for, and which of the address, name
// and unsubscribe link are empty (an empty value stays empty in a shape, so
// that {{if}} and {{with}} take the branch the value would). The HTML and
// text shapes add whether the subject is empty. Each string goes in after
// its length, so no two keys read alike.
//
// Of the subscriber's attributes only those the templates name are part of
// the key: a list where each subscriber has a company of their own would
// otherwise get a shape, and an inlining, per message. The key only decides
// what is cached; renderHTML checks every message against its shape, so an
// HTML template that shows attributes without naming them (range
// .Subscriber.Attrs) is still right, only slow, and the analysis of the
// text and subject templates turns such a use down.
func (r *Renderer) shapeKey(b []byte, ev *editionView, d Data) []byte {
	sub := d.Subscriber
	b = strconv.AppendInt(b, int64(ev.seq), 10)
	b = append(b, ':', present(sub.Email), present(sub.Name), present(d.UnsubscribeURL))
	b = appendString(b, sub.Status)
	b = appendString(b, sub.Cadence)
	b = appendString(b, sub.Timezone)
	b = strconv.AppendInt(b, int64(len(sub.Topics)), 10)
	b = append(b, '#')
	for _, t := range sub.Topics {
		b = appendString(b, t)
	}
	for _, k := range r.attrList {
		if v, ok := sub.Attrs[k]; ok {
			b = appendString(b, v)
		} else {
			b = append(b, '-')
		}
	}
	return b
}

// present is '1' for a value that is not empty, else '0'.
func present(s string) byte {
	if s == "" {
		return '0'
	}
	return '1'
}

// appendString appends s after its length and a colon.
func appendString(b []byte, s string) []byte {
	b = strconv.AppendInt(b, int64(len(s)), 10)
	b = append(b, ':')
	return append(b, s...)
}

// data returns the templates' data for one subscriber.
func (r *Renderer) data(ev *editionView, sub digest.Subscriber) Data {
	sub.Line = 0 // not the templates' business, and it would defeat the cache
	d := Data{
		Edition:    ev.Edition,
		Items:      ev.Edition.Items,
		Groups:     ev.groups,
		Subscriber: sub,
		Name:       r.opts.Name,
		Lang:       r.opts.Lang,
		Date:       ev.date,
		ArchiveURL: ev.archiveURL,
		LogoURL:    safeURL(r.opts.LogoURL),
		NoteHTML:   ev.note.html,
		NoteText:   ev.note.text,
		Refs:       &Refs{n: ev.note.links},
	}
	if r.opts.UnsubscribeURL != nil {
		d.UnsubscribeURL = r.opts.UnsubscribeURL(sub.Email)
	}
	return d
}

// An editionView is the part of the data common to every subscriber of an
// edition with one set of items.
type editionView struct {
	seq        int // unique within the Renderer
	Edition    Edition
	groups     []Group
	note       note
	date       string
	archiveURL string
}

// edition returns the view of ed, cached by its ID and content: a
// filtered copy of an edition (fewer items) has a view of its own.
func (r *Renderer) edition(ed *digest.Edition) (*editionView, error) {
	if ed == nil {
		return nil, errors.New("render: no edition")
	}
	r.mu.Lock()
	seen, ok := r.byPtr[ed]
	r.mu.Unlock()
	if ok && seen.same(ed) {
		return seen.ev, nil
	}
	var key strings.Builder
	for _, s := range []string{ed.ID, ed.Cadence, ed.Subject, ed.Overview, ed.Created.String(), ed.Note} {
		key.WriteString(s)
		key.WriteByte(0)
	}
	for _, it := range ed.Items {
		for _, s := range []string{it.ID, it.URL, it.Title, it.Source, it.SourceURL, it.Author, it.Published.String(), strconv.Itoa(len(it.Text))} {
			key.WriteString(s)
			key.WriteByte(0)
		}
		for _, ss := range [][]string{it.Blurb, it.AlsoIn, it.Tags} {
			for _, s := range ss {
				key.WriteString(s)
				key.WriteByte(1)
			}
			key.WriteByte(0)
		}
	}
	k := key.String()
	r.mu.Lock()
	ev, ok := r.editions[k]
	r.mu.Unlock()
	if ok {
		r.remember(ed, ev)
		return ev, nil
	}
	n, err := renderNote(r.md, r.policy, r.opts.NoteUnsafeHTML, ed.Note, 72)
	if err != nil {
		return nil, err
	}
	ev = &editionView{
		Edition: Edition{
			ID:       ed.ID,
			Cadence:  ed.Cadence,
			Subject:  oneLine(ed.Subject),
			Overview: oneLine(ed.Overview),
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
	r.mu.Lock()
	if len(r.editions) >= maxCached {
		clear(r.editions)
	}
	r.seq++
	ev.seq = r.seq
	r.editions[k] = ev
	r.mu.Unlock()
	r.remember(ed, ev)
	return ev, nil
}

// A seenEdition is an edition pointer rendered before, with what it held
// then: the same pointer holding the same slice of items skips building the
// cache key. Items must not be changed in place while they are rendered.
type seenEdition struct {
	ed digest.Edition // a shallow copy
	ev *editionView
}

func (s seenEdition) same(ed *digest.Edition) bool {
	a, b := s.ed, *ed
	return a.ID == b.ID && a.Cadence == b.Cadence && a.Subject == b.Subject && a.Overview == b.Overview &&
		a.Note == b.Note && a.Created.Equal(b.Created) && len(a.Items) == len(b.Items) &&
		(len(a.Items) == 0 || &a.Items[0] == &b.Items[0])
}

// remember notes that ed renders as ev.
func (r *Renderer) remember(ed *digest.Edition, ev *editionView) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.byPtr) >= maxCached {
		clear(r.byPtr)
	}
	r.byPtr[ed] = seenEdition{ed: *ed, ev: ev}
}
