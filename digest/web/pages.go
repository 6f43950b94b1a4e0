package web

import (
	"bytes"
	"errors"
	"fmt"
	htmltemplate "html/template"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	texttemplate "text/template"
	"time"

	"github.com/digest-newsletter/digest/digest"
	"github.com/digest-newsletter/digest/templates"
)

// SignupPages are the templates of sign-ups: the form, the confirmation
// link's page and the confirmation mail (package templates holds the
// defaults). They are safe for concurrent use.
type SignupPages struct {
	form, confirm, mailHTML *htmltemplate.Template
	mailText                *texttemplate.Template
}

// A FormPage is the data of the sign-up form's template.
type FormPage struct {
	Name  string // the newsletter's name
	Lang  string
	Title string
	// Sent: the submission was taken; say to look for the confirmation
	// mail instead of showing the form.
	Sent           bool
	Email          string // as typed
	SubscriberName string // as typed
	Topics         []Choice
	Cadences       []Choice
	CSRF           string // the hidden csrf field's value
	Error          string // what is wrong with the submission, if anything
	ErrorField     string // email, name, topics or cadence
	MaxName        int    // longest name accepted, in characters
	Expiry         string // how long a confirmation link works, in words
}

// A Choice is one topic or cadence the form offers.
type Choice struct {
	Value, Label string
	Checked      bool
}

// A ConfirmPage is the data of the confirmation page's template.
type ConfirmPage struct {
	Name, Lang, Title, Message string
	Token                      string // set: show the button that confirms
	Retry                      bool   // point to the form for a new link
}

// A ConfirmMail is the data of the confirmation mail's templates.
type ConfirmMail struct {
	Name, Lang     string
	Subject        string // the rendered subject (empty in the subject block itself)
	Email          string
	SubscriberName string
	Cadence        string
	Topics         []string
	ConfirmURL     string
	Expiry         string // how long the link works, in words
}

// LoadSignupPages reads the sign-up templates from dir, each file missing
// there from the defaults, and runs each once on sample data: a template
// that does not parse or fails to run is a *digest.InputError naming its
// file and line.
func LoadSignupPages(dir string) (*SignupPages, error) {
	p := &SignupPages{}
	files := map[string]string{}
	read := func(name string) (string, error) {
		if dir != "" {
			file := filepath.Join(dir, name)
			b, err := os.ReadFile(file)
			if err == nil {
				files[name] = file
				return string(b), nil
			}
			if !errors.Is(err, fs.ErrNotExist) {
				return "", fmt.Errorf("read template: %w", err)
			}
		}
		files[name] = "templates/" + name
		b, err := fs.ReadFile(templates.FS(), name)
		return string(b), err
	}
	funcs := map[string]any{"join": strings.Join}
	for _, t := range []struct {
		name string
		html **htmltemplate.Template
		text **texttemplate.Template
	}{
		{templates.Subscribe, &p.form, nil},
		{templates.Confirm, &p.confirm, nil},
		{templates.ConfirmMailHTML, &p.mailHTML, nil},
		{templates.ConfirmMailText, nil, &p.mailText},
	} {
		src, err := read(t.name)
		if err != nil {
			return nil, err
		}
		if t.html != nil {
			*t.html, err = htmltemplate.New(t.name).Funcs(funcs).Parse(src)
		} else {
			*t.text, err = texttemplate.New(t.name).Funcs(funcs).Parse(src)
		}
		if err != nil {
			return nil, pageError(files, err)
		}
	}
	if p.mailText.Lookup("subject") == nil {
		return nil, &digest.InputError{File: files[templates.ConfirmMailText], Err: errors.New(`no {{define "subject"}} block: the mail's subject line`)}
	}
	sample := SamplePages()
	for _, run := range []func() error{
		func() error { return p.Form(io.Discard, sample.Form) },
		func() error { sample.Form.Sent = true; return p.Form(io.Discard, sample.Form) },
		func() error { return p.Confirm(io.Discard, sample.Confirm) },
		func() error { _, _, _, err := p.Mail(sample.Mail); return err },
	} {
		if err := run(); err != nil {
			return nil, pageError(files, err)
		}
	}
	return p, nil
}

// Samples are made-up data for each sign-up template, for checks and
// previews.
type Samples struct {
	Form    FormPage
	Confirm ConfirmPage
	Mail    ConfirmMail
}

// SamplePages returns sample data for the sign-up templates.
func SamplePages() Samples {
	return Samples{
		Form: FormPage{Name: "The Digest", Lang: "en", Title: "Subscribe to The Digest", Email: "reader@example.com",
			Topics:   []Choice{{Value: "go", Label: "go", Checked: true}, {Value: "science", Label: "science"}},
			Cadences: []Choice{{Value: "daily", Label: "daily", Checked: true}, {Value: "weekly", Label: "weekly"}},
			MaxName:  maxName, Expiry: "2 days", CSRF: "sample"},
		Confirm: ConfirmPage{Name: "The Digest", Lang: "en", Title: "Confirm your subscription",
			Message: "Send The Digest to reader@example.com?", Token: "sample"},
		Mail: ConfirmMail{Name: "The Digest", Lang: "en", Email: "reader@example.com", SubscriberName: "Example Reader",
			Cadence: "daily", Topics: []string{"go"}, ConfirmURL: "https://example.com/confirm?t=sample", Expiry: "2 days"},
	}
}

// Form writes the sign-up form's page.
func (p *SignupPages) Form(w io.Writer, d FormPage) error { return p.form.Execute(w, d) }

// Confirm writes the confirmation page.
func (p *SignupPages) Confirm(w io.Writer, d ConfirmPage) error { return p.confirm.Execute(w, d) }

// Mail renders the confirmation mail: its subject (one line, at most 200
// characters), text part and HTML part.
func (p *SignupPages) Mail(d ConfirmMail) (subject, text, html string, err error) {
	var b bytes.Buffer
	if err := p.mailText.ExecuteTemplate(&b, "subject", d); err != nil {
		return "", "", "", err
	}
	subject = strings.Join(strings.Fields(b.String()), " ")
	if r := []rune(subject); len(r) > 200 {
		subject = string(r[:200])
	}
	d.Subject = subject
	b.Reset()
	if err := p.mailText.Execute(&b, d); err != nil {
		return "", "", "", err
	}
	text = strings.TrimLeft(b.String(), "\n")
	b.Reset()
	if err := p.mailHTML.Execute(&b, d); err != nil {
		return "", "", "", err
	}
	return subject, text, b.String(), nil
}

// pageErr matches the position in a template error.
var pageErr = regexp.MustCompile(`^(?:html/)?template: ?([^:\s]+):(\d+)(?::(\d+))?: (.*)$`)

// pageError turns a template error into a *digest.InputError naming the
// user's file.
func pageError(files map[string]string, err error) error {
	m := pageErr.FindStringSubmatch(err.Error())
	if m == nil {
		return &digest.InputError{File: "templates", Err: err}
	}
	line, _ := strconv.Atoi(m[2])
	col, _ := strconv.Atoi(m[3])
	file := files[m[1]]
	if file == "" {
		file = m[1]
	}
	return &digest.InputError{File: file, Line: line, Column: col, Err: errors.New(m[4])}
}

// inWords says a duration as a reader would: "2 days", "3 hours", "30
// minutes".
func inWords(d time.Duration) string {
	unit := func(n int64, one string) string {
		if n == 1 {
			return "1 " + one
		}
		return strconv.FormatInt(n, 10) + " " + one + "s"
	}
	switch {
	case d >= 24*time.Hour && d%(24*time.Hour) == 0:
		return unit(int64(d/(24*time.Hour)), "day")
	case d >= time.Hour:
		return unit(int64(d/time.Hour), "hour")
	default:
		return unit(int64(max(d/time.Minute, 1)), "minute")
	}
}
