package web

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/digest-newsletter/digest/digest"
	"github.com/digest-newsletter/digest/digest/subscriber"
)

// SignupState is what the sign-up pages need of digest's state file.
type SignupState interface {
	// RequestSignup records a request waiting for its confirmation and
	// returns the nonce of its link, with mail true; with mail false
	// nothing changed and no mail may go out: the address had one less
	// than interval ago, or is suppressed for a reason a sign-up does not
	// lift.
	RequestSignup(ctx context.Context, r SignupRequest, interval time.Duration) (nonce string, mail bool, err error)
	// SignupMailFailed lets the address ask again at once: the mail of the
	// request with this nonce could not be sent.
	SignupMailFailed(ctx context.Context, email, nonce string) error
	// ConfirmSignup confirms the request of email with this nonce, with
	// the evidence of the confirmation, and returns the subscriber it
	// adds.
	ConfirmSignup(ctx context.Context, email, nonce string, c Evidence) (digest.Subscriber, ConfirmOutcome, error)
}

// A SignupRequest is a submission of the form.
type SignupRequest struct {
	Subscriber digest.Subscriber // Email, Name, Topics, Cadence
	Evidence
}

// Evidence is the consent evidence of a request or a confirmation.
type Evidence struct {
	At    time.Time
	IP    string
	Agent string // the User-Agent header, at most 512 bytes
}

// A ConfirmOutcome is what a confirmation did.
type ConfirmOutcome int

// Outcomes of SignupState.ConfirmSignup.
const (
	Confirmed        ConfirmOutcome = iota // added now
	AlreadyConfirmed                       // added before; nothing changed
	ConfirmStale                           // replaced by a newer link, or used before an unsubscribe
	ConfirmRefused                         // suppressed for good (a complaint, a bounce)
)

// Signup configures the sign-up pages of NewHandler.
type Signup struct {
	State SignupState
	// Transport carries the confirmation mails, one connection a mail.
	Transport digest.Transport
	// From is the sender of the confirmation mails.
	From string
	// BaseURL is the public URL of digest serve; the confirmation link is
	// BaseURL + "/confirm?t=TOKEN". Required.
	BaseURL string
	// Pages are the templates of the form, the confirmation page and the
	// mail. Nil: the built-in ones.
	Pages *SignupPages
	// Lang is the pages' language; default "en".
	Lang string
	// Topics are the topics a reader may choose; none: the form offers
	// no choice and every item is sent.
	Topics []string
	// Cadences are the cadences a reader may choose, the first the
	// default; default daily only.
	Cadences []string
	// Origins are the web origins ("https://example.com") whose pages may
	// POST JSON to /subscribe from a browser (CORS).
	Origins []string
	// Interval is the least time between two confirmation mails to one
	// address; default 10 minutes.
	Interval time.Duration
	// PerIP is the most submissions an hour taken from one IP address (an
	// IPv6 /64); default 20.
	PerIP int
	// Expiry is how long a confirmation link works; default 48 hours.
	Expiry time.Duration
	// ClientIP returns a request's client address; default: the host of
	// RemoteAddr. Behind a proxy, read the proxy's header here.
	ClientIP func(r *http.Request) string
	// Confirmed, if set, is called after an address confirms, in its own
	// goroutine (Handler.Wait waits for it): the welcome edition.
	Confirmed func(ctx context.Context, sub digest.Subscriber)
}

// Limits of a submission.
const (
	maxName     = 100      // characters of a name
	maxAgent    = 512      // bytes of a user agent kept as evidence
	maxSignup   = 16 << 10 // bytes of a form or JSON body
	mailTimeout = 30 * time.Second
	formCookie  = "digest_form"
	maxIPs      = 100_000 // addresses the per-IP limit remembers
	maxSending  = 4       // confirmation mails sent at once; more wait
	maxPending  = 1000    // submissions waiting for that; more are dropped
)

// signup is the state of the sign-up pages.
type signup struct {
	cfg     Signup
	secret  []byte
	name    string
	now     func() time.Time
	log     logger
	secure  bool // the base URL is https: cookies are Secure
	cross   *http.CrossOriginProtection
	limiter ipLimiter
	bg      *sync.WaitGroup
	sending chan struct{} // bounds the confirmation mails sent at once
	pending atomic.Int64  // submissions waiting to be recorded and mailed
}

type logger interface {
	Info(msg string, args ...any)
	Warn(msg string, args ...any)
	Error(msg string, args ...any)
}

func newSignup(cfg Signup, h *handler, bg *sync.WaitGroup) *signup {
	if cfg.Interval <= 0 {
		cfg.Interval = 10 * time.Minute
	}
	if cfg.PerIP <= 0 {
		cfg.PerIP = 20
	}
	if cfg.Expiry <= 0 {
		cfg.Expiry = 48 * time.Hour
	}
	if len(cfg.Cadences) == 0 {
		cfg.Cadences = []string{digest.CadenceDaily}
	}
	if cfg.Lang == "" {
		cfg.Lang = "en"
	}
	if cfg.Pages == nil {
		p, err := LoadSignupPages("")
		if err != nil {
			panic("web: built-in sign-up templates: " + err.Error())
		}
		cfg.Pages = p
	}
	if cfg.ClientIP == nil {
		cfg.ClientIP = remoteIP
	}
	s := &signup{cfg: cfg, secret: h.cfg.Secret, name: h.cfg.Name, now: h.cfg.Now, log: h.cfg.Logger,
		secure: strings.HasPrefix(cfg.BaseURL, "https:"), cross: http.NewCrossOriginProtection(), bg: bg,
		sending: make(chan struct{}, maxSending)}
	for _, o := range cfg.Origins {
		if err := s.cross.AddTrustedOrigin(o); err != nil {
			panic("web: sign-up origin: " + err.Error())
		}
	}
	s.cross.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.answer(w, r, http.StatusForbidden, FormPage{Error: "This form can only be sent from this site's own page.", ErrorField: "csrf"})
	}))
	s.limiter = ipLimiter{per: cfg.PerIP, window: time.Hour, seen: map[string]*ipCount{}}
	return s
}

func remoteIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// routes adds the sign-up pages to mux.
func (s *signup) routes(mux *http.ServeMux) {
	mux.HandleFunc("GET /subscribe", s.form)
	mux.Handle("POST /subscribe", s.cross.Handler(http.HandlerFunc(s.submit)))
	mux.HandleFunc("OPTIONS /subscribe", s.preflight)
	mux.HandleFunc("GET /confirm", s.confirmPage)
	mux.Handle("POST /confirm", s.cross.Handler(http.HandlerFunc(s.confirm)))
}

// form shows the sign-up form, and gives the browser the cookie its
// submission must come back with.
func (s *signup) form(w http.ResponseWriter, r *http.Request) {
	s.answer(w, r, http.StatusOK, FormPage{})
}

// choices returns the offered values, those in picked checked; nothing
// picked checks the first when first is set.
func choices(values, picked []string, first bool) []Choice {
	out := make([]Choice, len(values))
	for i, v := range values {
		out[i] = Choice{Value: v, Label: v, Checked: slices.Contains(picked, v) || (first && len(picked) == 0 && i == 0)}
	}
	return out
}

// answer writes the form page p (filled in with the settings), as JSON for
// a JSON request.
func (s *signup) answer(w http.ResponseWriter, r *http.Request, status int, p FormPage) {
	if isJSON(r) {
		s.cors(w, r)
		body := map[string]string{}
		if p.Error != "" {
			body["error"], body["field"] = p.Error, p.ErrorField
		} else {
			body["status"] = "check your inbox"
			body["message"] = "If the address can be subscribed, a message with a confirmation link is on its way to it."
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(status)
		json.NewEncoder(w).Encode(body)
		return
	}
	p.Name, p.Lang, p.MaxName, p.Expiry = s.name, s.cfg.Lang, maxName, inWords(s.cfg.Expiry)
	p.Title = "Subscribe to " + s.name
	if p.Sent {
		p.Title = "Check your inbox"
	}
	var picked []string
	if p.Cadences != nil {
		picked = []string{p.Cadences[0].Value}
	}
	p.Cadences = choices(s.cfg.Cadences, picked, true)
	p.Topics = choices(s.cfg.Topics, checked(p.Topics), false)
	p.CSRF = formToken(s.secret, s.formNonce(w, r))
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	if err := s.cfg.Pages.Form(w, p); err != nil {
		s.log.Error("sign-up form", "err", err)
	}
}

func checked(cs []Choice) []string {
	var out []string
	for _, c := range cs {
		if c.Checked {
			out = append(out, c.Value)
		}
	}
	return out
}

// formNonce returns the browser's form cookie, setting a new one if it has
// none.
func (s *signup) formNonce(w http.ResponseWriter, r *http.Request) string {
	if c, err := r.Cookie(formCookie); err == nil && len(c.Value) == 32 {
		return c.Value
	}
	var b [16]byte
	rand.Read(b[:])
	nonce := hex.EncodeToString(b[:])
	http.SetCookie(w, &http.Cookie{Name: formCookie, Value: nonce, Path: "/", HttpOnly: true, Secure: s.secure,
		SameSite: http.SameSiteStrictMode, MaxAge: 86400})
	return nonce
}

func isJSON(r *http.Request) bool {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return mt == "application/json"
}

// cors allows the response to be read by a page of an allowed origin.
func (s *signup) cors(w http.ResponseWriter, r *http.Request) bool {
	w.Header().Add("Vary", "Origin")
	o := r.Header.Get("Origin")
	if o == "" || !slices.Contains(s.cfg.Origins, o) {
		return false
	}
	w.Header().Set("Access-Control-Allow-Origin", o)
	return true
}

// preflight answers a browser's CORS preflight of a JSON POST.
func (s *signup) preflight(w http.ResponseWriter, r *http.Request) {
	if !s.cors(w, r) {
		w.WriteHeader(http.StatusForbidden)
		return
	}
	w.Header().Set("Access-Control-Allow-Methods", "POST")
	w.Header().Set("Access-Control-Allow-Headers", "Content-Type")
	w.Header().Set("Access-Control-Max-Age", "600")
	w.WriteHeader(http.StatusNoContent)
}

// submission is a form or JSON body.
type submission struct {
	Email   string   `json:"email"`
	Name    string   `json:"name"`
	Topics  []string `json:"topics"`
	Cadence string   `json:"cadence"`
	Website string   `json:"website"` // the honeypot
}

// submit takes a submission: it checks it, and mails a confirmation link
// unless the address had one lately. Whether the address is on the list
// already, suppressed or mailed lately, the answer is the same, and the
// mail goes out after the answer, so that its time tells nothing either.
func (s *signup) submit(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxSignup)
	var sub submission
	if isJSON(r) {
		dec := json.NewDecoder(r.Body)
		if err := dec.Decode(&sub); err != nil {
			s.answer(w, r, statusOf(err), FormPage{Error: unreadable(err, "The request could not be read: send a JSON object with an email field.")})
			return
		}
	} else {
		if err := r.ParseForm(); err != nil {
			s.answer(w, r, statusOf(err), FormPage{Error: unreadable(err, "The form could not be read.")})
			return
		}
		c, err := r.Cookie(formCookie)
		if err != nil || !hmacEqual(r.PostFormValue("csrf"), formToken(s.secret, c.Value)) {
			s.answer(w, r, http.StatusForbidden, FormPage{Error: "This form has expired. Please reload the page and send it again.", ErrorField: "csrf"})
			return
		}
		sub = submission{Email: r.PostFormValue("email"), Name: r.PostFormValue("name"), Topics: r.PostForm["topics"],
			Cadence: r.PostFormValue("cadence"), Website: r.PostFormValue("website")}
	}
	back := FormPage{Email: sub.Email, SubscriberName: sub.Name, Topics: choices(sub.Topics, sub.Topics, false)}
	if sub.Cadence != "" {
		back.Cadences = []Choice{{Value: sub.Cadence}}
	}
	sub.Email = strings.TrimSpace(sub.Email)
	if err := subscriber.CheckAddress(sub.Email); err != nil {
		back.Error, back.ErrorField = fmt.Sprintf("That is not an email address we can send to (%v).", err), "email"
		s.answer(w, r, http.StatusBadRequest, back)
		return
	}
	name, err := cleanName(sub.Name)
	if err != nil {
		back.Error, back.ErrorField = err.Error(), "name"
		s.answer(w, r, http.StatusBadRequest, back)
		return
	}
	cadence := s.cfg.Cadences[0]
	if sub.Cadence != "" {
		if !slices.Contains(s.cfg.Cadences, sub.Cadence) {
			back.Error, back.ErrorField = fmt.Sprintf("Choose how often: %s.", strings.Join(s.cfg.Cadences, " or ")), "cadence"
			s.answer(w, r, http.StatusBadRequest, back)
			return
		}
		cadence = sub.Cadence
	}
	var topics []string
	for _, t := range sub.Topics {
		if !slices.Contains(s.cfg.Topics, t) {
			back.Error, back.ErrorField = fmt.Sprintf("%q is not one of the topics offered.", digest.Shorten(digest.CleanText(t), 40)), "topics"
			s.answer(w, r, http.StatusBadRequest, back)
			return
		}
		if !slices.Contains(topics, t) {
			topics = append(topics, t)
		}
	}
	sent := FormPage{Sent: true, Email: sub.Email}
	status := http.StatusOK
	if isJSON(r) {
		status = http.StatusAccepted
	}
	ip := s.cfg.ClientIP(r)
	if !s.limiter.allow(ip, s.now()) {
		s.log.Warn("sign-up refused: too many from one address", "ip", ip)
		s.answer(w, r, http.StatusTooManyRequests, FormPage{Error: "Too many sign-ups came from your network. Please try again in an hour."})
		return
	}
	if sub.Website != "" {
		s.log.Info("sign-up ignored: the hidden field was filled in", "ip", ip)
		s.answer(w, r, status, sent)
		return
	}
	req := SignupRequest{
		Subscriber: digest.Subscriber{Email: sub.Email, Name: name, Topics: topics, Cadence: cadence},
		Evidence:   Evidence{At: s.now(), IP: ip, Agent: clip(r.UserAgent(), maxAgent)},
	}
	// The request is recorded and mailed after the answer: how long the
	// answer takes must not tell whether the address was mailed lately
	// or is suppressed (which skip a write to the state).
	if s.pending.Add(1) > maxPending {
		s.pending.Add(-1)
		s.log.Error("sign-up dropped: too many waiting to be recorded and mailed", "email", sub.Email)
	} else {
		ctx := context.WithoutCancel(r.Context())
		s.bg.Go(func() {
			defer s.pending.Add(-1)
			s.request(ctx, req)
		})
	}
	s.answer(w, r, status, sent)
}

// unreadable says why a body could not be read: too large, or else what.
func unreadable(err error, what string) string {
	var mb *http.MaxBytesError
	if errors.As(err, &mb) {
		return fmt.Sprintf("The request is too large (at most %d KiB).", mb.Limit>>10)
	}
	return what
}

func statusOf(err error) int {
	var mb *http.MaxBytesError
	if errors.As(err, &mb) {
		return http.StatusRequestEntityTooLarge
	}
	return http.StatusBadRequest
}

// request records a request and sends its confirmation mail, unless the
// state says not to (mailed lately, suppressed).
func (s *signup) request(ctx context.Context, req SignupRequest) {
	s.sending <- struct{}{}
	defer func() { <-s.sending }()
	ctx, cancel := context.WithTimeout(ctx, mailTimeout)
	defer cancel()
	sub := req.Subscriber
	nonce, mail, err := s.cfg.State.RequestSignup(ctx, req, s.cfg.Interval)
	if err != nil {
		s.log.Error("sign-up not recorded", "email", sub.Email, "err", err)
		return
	}
	if !mail {
		s.log.Info("sign-up: no confirmation mail (mailed lately, or suppressed)", "email", sub.Email)
		return
	}
	err = s.sendMail(ctx, req, nonce)
	if err != nil {
		s.log.Error("confirmation mail not sent", "email", sub.Email, "err", err)
		if err := s.cfg.State.SignupMailFailed(ctx, sub.Email, nonce); err != nil {
			s.log.Error("sign-up", "err", err)
		}
		return
	}
	s.log.Info("confirmation mail sent", "email", sub.Email)
}

func (s *signup) sendMail(ctx context.Context, req SignupRequest, nonce string) error {
	sub := req.Subscriber
	token := ConfirmToken(s.secret, sub.Email, nonce, req.At.Add(s.cfg.Expiry))
	subject, text, html, err := s.cfg.Pages.Mail(ConfirmMail{
		Name: s.name, Lang: s.cfg.Lang, Email: sub.Email, SubscriberName: sub.Name, Cadence: sub.Cadence,
		Topics: sub.Topics, Expiry: inWords(s.cfg.Expiry),
		ConfirmURL: strings.TrimRight(s.cfg.BaseURL, "/") + "/confirm?" + url.Values{"t": {token}}.Encode(),
	})
	if err != nil {
		return fmt.Errorf("render: %w", err)
	}
	f, err := s.cfg.Transport.Frame(&digest.Compiled{Subject: digest.Plain(subject), Text: digest.Plain(text), HTML: digest.Plain(html)},
		digest.Letterhead{From: s.cfg.From})
	if err != nil {
		return err
	}
	conn, err := s.cfg.Transport.Open(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	sender, domain := digest.SenderDomain(s.cfg.From)
	_, err = conn.Send(ctx, &digest.Message{
		Edition:   "signup-" + nonce, // the outbox writes each request's mail to a folder of its own
		Sender:    sender,
		To:        sub.Email,
		ToName:    sub.Name,
		MessageID: "signup." + nonce + "@" + domain,
		Date:      req.At,
		Frame:     f,
	})
	return err
}

// confirmPage shows the button of a valid confirmation link, and changes
// nothing: link scanners follow links in mail.
func (s *signup) confirmPage(w http.ResponseWriter, r *http.Request) {
	token := r.URL.Query().Get("t")
	email, ok := s.checkToken(w, token)
	if !ok {
		return
	}
	s.page(w, http.StatusOK, ConfirmPage{Title: "Confirm your subscription",
		Message: "Send " + s.name + " to " + email + "?", Token: token})
}

// confirm confirms the sign-up of a valid link.
func (s *signup) confirm(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxForm)
	if err := r.ParseForm(); err != nil {
		s.page(w, statusOf(err), ConfirmPage{Title: "Bad request", Message: "The request could not be read."})
		return
	}
	token := r.FormValue("t")
	email, ok := s.checkToken(w, token)
	if !ok {
		return
	}
	_, nonce, _ := ParseConfirmToken(s.secret, token, s.now())
	ev := Evidence{At: s.now(), IP: s.cfg.ClientIP(r), Agent: clip(r.UserAgent(), maxAgent)}
	sub, out, err := s.cfg.State.ConfirmSignup(r.Context(), email, nonce, ev)
	if err != nil {
		s.log.Error("confirm sign-up", "err", err)
		s.page(w, http.StatusInternalServerError, ConfirmPage{Title: "Error", Message: "Something went wrong; please try again later."})
		return
	}
	switch out {
	case Confirmed:
		s.log.Info("sign-up confirmed", "email", email)
		if s.cfg.Confirmed != nil {
			ctx := context.WithoutCancel(r.Context())
			s.bg.Go(func() { s.cfg.Confirmed(ctx, sub) })
		}
		s.page(w, http.StatusOK, ConfirmPage{Title: "You are subscribed",
			Message: email + " will get " + s.name + " from the next edition on. Every message has a link to unsubscribe."})
	case AlreadyConfirmed:
		s.page(w, http.StatusOK, ConfirmPage{Title: "You are subscribed",
			Message: email + " is already subscribed to " + s.name + "; nothing changed."})
	case ConfirmStale:
		s.page(w, http.StatusGone, ConfirmPage{Title: "Link no longer valid", Retry: true,
			Message: "This link was replaced by a newer one, or was used before the address unsubscribed. Use the link of the latest message, or sign up again."})
	default:
		s.page(w, http.StatusForbidden, ConfirmPage{Title: "Cannot subscribe here",
			Message: "This address cannot be subscribed through this page. Please write to the newsletter's sender."})
	}
}

// checkToken answers with a page and returns false unless token is valid.
func (s *signup) checkToken(w http.ResponseWriter, token string) (email string, ok bool) {
	email, _, err := ParseConfirmToken(s.secret, token, s.now())
	switch {
	case token == "":
		s.page(w, http.StatusBadRequest, ConfirmPage{Title: "Bad link", Retry: true,
			Message: "This confirmation link is incomplete. Please use the whole link from the message."})
	case errors.Is(err, ErrTokenExpired):
		s.page(w, http.StatusGone, ConfirmPage{Title: "Link expired", Retry: true,
			Message: "This confirmation link has expired."})
	case err != nil:
		s.page(w, http.StatusForbidden, ConfirmPage{Title: "Bad link", Retry: true,
			Message: "This confirmation link is not valid. Please use the whole link from the message."})
	default:
		return email, true
	}
	return "", false
}

func (s *signup) page(w http.ResponseWriter, status int, p ConfirmPage) {
	p.Name, p.Lang = s.name, s.cfg.Lang
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	if err := s.cfg.Pages.Confirm(w, p); err != nil {
		s.log.Error("confirm page", "err", err)
	}
}

// cleanName returns a name as it may go into a To header: one line, no
// control, bidi or zero-width characters, at most maxName characters.
func cleanName(name string) (string, error) {
	if !utf8.ValidString(name) {
		return "", errors.New("The name is not valid text.")
	}
	name = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			return ' '
		}
		return r
	}, name)
	name = strings.Join(strings.Fields(name), " ")
	if n := utf8.RuneCountInString(name); n > maxName {
		return "", fmt.Errorf("The name is too long (%d characters; at most %d).", n, maxName)
	}
	return name, nil
}

// clip returns s cut to at most n bytes, at a character boundary.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

func hmacEqual(a, b string) bool {
	return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

// ipLimiter counts the submissions of each client network in fixed
// windows. It forgets the oldest counts when it holds maxIPs.
type ipLimiter struct {
	per    int
	window time.Duration
	mu     sync.Mutex
	seen   map[string]*ipCount
}

type ipCount struct {
	start time.Time
	n     int
}

// allow counts one submission of ip at now and reports whether it is
// within the limit. An IPv6 address counts for its /64.
func (l *ipLimiter) allow(ip string, now time.Time) bool {
	key := ip
	if a, err := netip.ParseAddr(ip); err == nil && a.Is6() && !a.Is4In6() {
		p, _ := a.Prefix(64)
		key = p.String()
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	c := l.seen[key]
	if c == nil || now.Sub(c.start) >= l.window {
		if len(l.seen) >= maxIPs {
			for k, v := range l.seen {
				if now.Sub(v.start) >= l.window {
					delete(l.seen, k)
				}
			}
			if len(l.seen) >= maxIPs {
				clear(l.seen)
			}
		}
		c = &ipCount{start: now}
		l.seen[key] = c
	}
	c.n++
	return c.n <= l.per
}
