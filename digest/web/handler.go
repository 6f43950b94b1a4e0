package web

import (
	"context"
	"errors"
	"html/template"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/digest-newsletter/digest/digest"
)

// State is what the handler needs of digest's state file. The suppression
// list must be shared with the runs, so that the next run skips an address
// unsubscribed here.
type State interface {
	// Suppress puts the address on the suppression list; an address
	// already on it stays as it was.
	Suppress(ctx context.Context, email, reason string, at time.Time) error
	// Edition returns the frozen edition with this ID, or nil, nil.
	Edition(ctx context.Context, id string) (*digest.Edition, error)
	// Archive returns the n most recently created frozen editions, newest
	// first.
	Archive(ctx context.Context, n int) ([]ArchiveEntry, error)
}

// An ArchiveEntry is one frozen edition as the archive's index lists it.
type ArchiveEntry struct {
	ID      string
	Cadence string
	Subject string // the edition's fixed subject, usually empty
	Created time.Time
}

// Reasons recorded with an address on the suppression list.
const (
	ReasonOneClick = "one-click"        // a mail client's RFC 8058 POST
	ReasonPage     = "unsubscribe page" // the confirm button of the page
)

// An ArchiveRenderer renders an edition for one subscriber, put together
// (render.Renderer is one).
type ArchiveRenderer interface {
	Render(ed *digest.Edition, sub digest.Subscriber, unsubscribe string) (*digest.Compiled, error)
}

// Config configures NewHandler. State and Secret are required.
type Config struct {
	State State
	// Renderer renders archived editions for an anonymous reader (empty
	// address and name, no unsubscribe link). Nil: the archive answers
	// 404.
	Renderer ArchiveRenderer
	// Secret is the key of the unsubscribe tokens. Empty: every token is
	// refused.
	Secret []byte
	// Name is the newsletter's name, shown in the pages' titles.
	Name string
	// ArchiveLen is the number of editions listed on /archive/; default
	// 100.
	ArchiveLen int
	// Now is the clock; default time.Now.
	Now func() time.Time
	// Logger receives one line per unsubscribe and every server error;
	// default: discard.
	Logger *slog.Logger
	// Signup, if set, serves the sign-up form and its confirmation link.
	Signup *Signup
}

// contentSecurityPolicy lets pages use inline styles and https or data:
// images, and nothing else: no scripts, no frames, no forms to elsewhere.
const contentSecurityPolicy = "default-src 'none'; style-src 'unsafe-inline'; img-src https: data:; " +
	"form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// maxForm bounds the body of an unsubscribe POST.
const maxForm = 64 << 10

// NewHandler returns the handler of `digest serve`:
//
//   - GET /unsubscribe?e=ADDR&t=TOKEN shows a page with a confirm button and
//     changes nothing, since link scanners follow links in mail.
//   - POST /unsubscribe with e and t in the query or the form suppresses the
//     address at once and answers 200 with a short page: the one-click POST
//     of RFC 8058 (body List-Unsubscribe=One-Click, form-encoded or
//     multipart) and the page's confirm button alike. The body's content is
//     not required: the token is the proof, and scanners do not POST.
//   - A missing address or token is 400, a token that is not the address's
//     is 403; neither changes the state.
//   - GET /archive/ lists the recent editions, newest first; GET
//     /archive/{id} serves one as the renderer makes it for a reader with no
//     address or name; an unknown ID is 404.
//
// With Config.Signup set, it serves sign-ups with double opt-in too:
//
//   - GET /subscribe shows the form; POST /subscribe takes it (form-encoded,
//     with the csrf field matching the browser's cookie, or JSON from a page
//     of an allowed origin). A good submission is answered 200 (JSON: 202)
//     with the same words whether or not the address is subscribed already,
//     suppressed or mailed lately, and as soon: the request is recorded and
//     its confirmation mail sent after the answer (a failure there is only
//     logged), at most one mail per address per Signup.Interval. A bad address or
//     name, a topic or cadence not offered, is 400 naming the field; a body
//     over 16 KiB is 413; a missing or wrong csrf field, or a browser's
//     POST from another site, is 403; more than Signup.PerIP submissions an
//     hour from one network is 429. A filled-in hidden field (a bot) gets
//     the good answer and nothing else.
//   - GET /confirm?t=TOKEN shows a button and changes nothing; POST /confirm
//     with t confirms. A forged token is 403, an expired one 410; each page
//     says how to try again. Confirming twice changes nothing.
//
// No page redirects anywhere a request names.
//
// Every response carries a strict Content-Security-Policy,
// X-Content-Type-Options nosniff and Referrer-Policy no-referrer.
func NewHandler(cfg Config) *Handler {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.ArchiveLen <= 0 {
		cfg.ArchiveLen = 100
	}
	if cfg.Name == "" {
		cfg.Name = "The Digest"
	}
	h := &handler{cfg: cfg, tmpl: template.Must(template.New("page").Parse(pageHTML))}
	out := &Handler{}
	mux := http.NewServeMux()
	if cfg.Signup != nil {
		newSignup(*cfg.Signup, h, &out.bg).routes(mux)
	}
	mux.HandleFunc("GET /unsubscribe", h.unsubscribePage)
	mux.HandleFunc("POST /unsubscribe", h.unsubscribe)
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "archive/", http.StatusFound)
	})
	mux.HandleFunc("GET /archive", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "archive/", http.StatusMovedPermanently)
	})
	mux.HandleFunc("GET /archive/{$}", h.archive)
	mux.HandleFunc("GET /archive/{id}", h.edition)
	mux.HandleFunc("GET /", func(w http.ResponseWriter, r *http.Request) {
		h.page(w, http.StatusNotFound, page{Title: "Not found", Message: "There is no page here."})
	})
	out.h = secure(mux)
	return out
}

// A Handler is the handler of `digest serve`. Some of its work goes on
// after the answer (the confirmation mails, the welcome editions): Wait
// waits for it.
type Handler struct {
	h  http.Handler
	bg sync.WaitGroup
}

// ServeHTTP serves one request.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.h.ServeHTTP(w, r) }

// Wait waits for the work started by the requests served so far.
func (h *Handler) Wait() { h.bg.Wait() }

// secure sets the security headers of every response.
func secure(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Content-Security-Policy", contentSecurityPolicy)
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("Referrer-Policy", "no-referrer")
		hd.Set("X-Frame-Options", "DENY")
		next.ServeHTTP(w, r)
	})
}

type handler struct {
	cfg  Config
	tmpl *template.Template
}

// unsubscribePage shows the confirm button for a valid link.
func (h *handler) unsubscribePage(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	email, token := strings.TrimSpace(q.Get("e")), q.Get("t")
	if !h.check(w, email, token) {
		return
	}
	h.page(w, http.StatusOK, page{
		Title:   "Unsubscribe",
		Message: "Stop sending " + h.cfg.Name + " to " + email + "?",
		Email:   email,
		Token:   token,
	})
}

// unsubscribe suppresses the address of a valid link.
func (h *handler) unsubscribe(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxForm)
	// ParseMultipartForm hides ParseForm's errors behind ErrNotMultipart.
	err := r.ParseForm()
	if err == nil {
		if err = r.ParseMultipartForm(maxForm); errors.Is(err, http.ErrNotMultipart) {
			err = nil
		}
	}
	if err != nil {
		h.page(w, http.StatusBadRequest, page{Title: "Bad request", Message: "The request could not be read."})
		return
	}
	email, token := strings.TrimSpace(r.FormValue("e")), r.FormValue("t")
	if !h.check(w, email, token) {
		return
	}
	reason := ReasonPage
	if r.PostFormValue("List-Unsubscribe") == "One-Click" {
		reason = ReasonOneClick
	}
	if err := h.cfg.State.Suppress(r.Context(), email, reason, h.cfg.Now()); err != nil {
		h.cfg.Logger.Error("unsubscribe", "err", err)
		h.page(w, http.StatusInternalServerError, page{Title: "Error", Message: "Something went wrong; please try again later."})
		return
	}
	h.cfg.Logger.Info("unsubscribed", "email", email, "reason", reason)
	h.page(w, http.StatusOK, page{
		Title:   "Unsubscribed",
		Message: email + " will get no more of " + h.cfg.Name + ".",
	})
}

// check answers 400 or 403 and returns false unless token is email's.
func (h *handler) check(w http.ResponseWriter, email, token string) bool {
	switch {
	case email == "" || token == "":
		h.page(w, http.StatusBadRequest, page{Title: "Bad link", Message: "This unsubscribe link is incomplete. Please use the whole link from the message."})
		return false
	case !Valid(h.cfg.Secret, email, token):
		h.page(w, http.StatusForbidden, page{Title: "Bad link", Message: "This unsubscribe link is not valid. Please use the link from the message."})
		return false
	}
	return true
}

// archive lists the recent editions.
func (h *handler) archive(w http.ResponseWriter, r *http.Request) {
	if h.cfg.Renderer == nil {
		h.notFound(w)
		return
	}
	entries, err := h.cfg.State.Archive(r.Context(), h.cfg.ArchiveLen)
	if err != nil {
		h.cfg.Logger.Error("archive", "err", err)
		h.page(w, http.StatusInternalServerError, page{Title: "Error", Message: "Something went wrong; please try again later."})
		return
	}
	p := page{Title: h.cfg.Name + " — archive", Archive: make([]link, len(entries))}
	for i, e := range entries {
		text := e.ID
		if e.Subject != "" {
			text += ": " + e.Subject
		}
		p.Archive[i] = link{Href: "./" + url.PathEscape(e.ID), Text: text}
	}
	if len(entries) == 0 {
		p.Message = "No edition has been sent yet."
	}
	h.page(w, http.StatusOK, p)
}

// edition serves one archived edition's HTML.
func (h *handler) edition(w http.ResponseWriter, r *http.Request) {
	if h.cfg.Renderer == nil {
		h.notFound(w)
		return
	}
	ed, err := h.cfg.State.Edition(r.Context(), r.PathValue("id"))
	if err != nil {
		h.cfg.Logger.Error("archive", "edition", r.PathValue("id"), "err", err)
		h.page(w, http.StatusInternalServerError, page{Title: "Error", Message: "Something went wrong; please try again later."})
		return
	}
	if ed == nil {
		h.notFound(w)
		return
	}
	c, err := h.cfg.Renderer.Render(ed, digest.Subscriber{}, "")
	if err != nil {
		h.cfg.Logger.Error("archive", "edition", ed.ID, "err", err)
		h.page(w, http.StatusInternalServerError, page{Title: "Error", Message: "This edition could not be shown."})
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=300")
	w.WriteHeader(http.StatusOK)
	w.Write([]byte(c.HTML.String()))
}

func (h *handler) notFound(w http.ResponseWriter) {
	h.page(w, http.StatusNotFound, page{Title: "Not found", Message: "There is no such edition."})
}

// page is the data of the pages' template.
type page struct {
	Name, Title, Message string
	Email, Token         string // set: show the confirm form
	Archive              []link
}

type link struct{ Href, Text string }

// page writes a page with the status.
func (h *handler) page(w http.ResponseWriter, status int, p page) {
	p.Name = h.cfg.Name
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	if err := h.tmpl.Execute(w, p); err != nil {
		h.cfg.Logger.Error("page", "err", err)
	}
}

// pageHTML is the template of every page but the editions.
const pageHTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>{{ .Title }}</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:36em;margin:3em auto;padding:0 1em;color:#222}button{font:inherit;padding:.4em 1.2em}li{margin:.3em 0}</style>
</head>
<body>
<h1>{{ .Title }}</h1>
{{- with .Message }}
<p>{{ . }}</p>
{{- end }}
{{- if .Token }}
<form method="post" action="unsubscribe">
<input type="hidden" name="e" value="{{ .Email }}">
<input type="hidden" name="t" value="{{ .Token }}">
<button type="submit">Unsubscribe</button>
</form>
{{- end }}
{{- with .Archive }}
<ul>
{{- range . }}
<li><a href="{{ .Href }}">{{ .Text }}</a></li>
{{- end }}
</ul>
{{- end }}
</body>
</html>
`
