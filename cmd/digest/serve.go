package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/digest-newsletter/digest/digest"
	"github.com/digest-newsletter/digest/digest/render"
	"github.com/digest-newsletter/digest/digest/store"
	"github.com/digest-newsletter/digest/digest/web"
)

// cmdServe serves one-click unsubscribe, the web archive and, with
// DIGEST_SIGNUP, the sign-up form until SIGINT.
// It opens the state read-write without the run lock, so that it can run
// beside a run: SQLite's WAL lets one writer and many readers share the
// file, and each unsubscribe is one short write.
func cmdServe(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "serve", "")
	addr := fs.String("addr", "127.0.0.1:8080", "address to listen on (put a TLS proxy in front for DIGEST_BASE_URL)")
	cfg, err := fs.parse(args)
	if err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Errorf("serve: unexpected argument %q", fs.Arg(0))}
	}
	if cfg.List.Secret == "" {
		return usageError{errors.New("serve: DIGEST_SECRET (or DIGEST_SECRET_FILE) must be set: it signs the unsubscribe links")}
	}
	log := newLogger(e.stderr, cfg)
	// The archive shows editions to anyone: no address, name or
	// unsubscribe link goes into them.
	// It looks like the messages: the same templates and branding.
	r, err := render.New(rendererOptions(cfg, time.Now))
	if err != nil {
		return err
	}
	st, err := openWritable(ctx, cfg, e.stderr)
	if err != nil {
		return err
	}
	defer st.Close()

	var lc net.ListenConfig
	l, err := lc.Listen(ctx, "tcp", *addr)
	if err != nil {
		return usageError{fmt.Errorf("serve: %w", err)}
	}
	wc := web.Config{
		State:    serveState{st},
		Renderer: r,
		Secret:   []byte(cfg.List.Secret),
		Name:     cfg.Name,
		Now:      time.Now,
		Logger:   log,
	}
	routes := "unsubscribe: /unsubscribe, archive: /archive/"
	if cfg.Signup.Enabled {
		if wc.Signup, err = newSignup(cfg, st, log); err != nil {
			l.Close()
			return err
		}
		routes += ", sign-up: /subscribe"
	}
	h := web.NewHandler(wc)
	fmt.Fprintf(e.stdout, "serving on http://%s (%s)\n", l.Addr(), routes)
	err = web.Serve(ctx, l, h)
	h.Wait() // confirmation mails and welcome editions under way
	return err
}

// newSignup wires the sign-up pages: the templates, the transport of the
// confirmation mails, the state.
func newSignup(cfg *Config, st *store.Store, log *slog.Logger) (*web.Signup, error) {
	pages, err := web.LoadSignupPages(cfg.Templates)
	if err != nil {
		return nil, err
	}
	transport, err := newTransport(cfg)
	if err != nil {
		return nil, err
	}
	su := &web.Signup{
		State:     serveState{st},
		Transport: transport,
		From:      cfg.From,
		BaseURL:   cfg.List.BaseURL,
		Pages:     pages,
		Lang:      cfg.Lang,
		Topics:    cfg.Signup.Topics,
		Cadences:  cfg.Signup.Cadences,
		Origins:   cfg.Signup.Origins,
		Interval:  cfg.Signup.Interval,
		PerIP:     cfg.Signup.PerIP,
		Expiry:    cfg.Signup.Expiry,
	}
	if cfg.Signup.Welcome == "latest" {
		w := &welcomer{cfg: cfg, st: st, transport: transport, log: log}
		su.Confirmed = w.welcome
	}
	if hdr := cfg.Signup.IPHeader; hdr != "" {
		su.ClientIP = func(r *http.Request) string { return headerIP(r, hdr) }
	}
	return su, nil
}

// headerIP returns the last address in the request's header (the one the
// proxy in front added), or the connection's address without one.
func headerIP(r *http.Request, header string) string {
	vals := r.Header.Values(header)
	if len(vals) > 0 {
		parts := strings.Split(vals[len(vals)-1], ",")
		if a, err := netip.ParseAddr(strings.TrimSpace(parts[len(parts)-1])); err == nil {
			return a.String()
		}
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// serveState is the state as package web needs it.
type serveState struct{ *store.Store }

// RequestSignup records a sign-up request.
func (s serveState) RequestSignup(ctx context.Context, r web.SignupRequest, interval time.Duration) (string, bool, error) {
	nonce, out, err := s.Store.RequestSignup(ctx, store.Signup{
		Email: r.Subscriber.Email, Name: r.Subscriber.Name, Topics: r.Subscriber.Topics, Cadence: r.Subscriber.Cadence,
		Requested: r.At, RequestIP: r.IP, RequestAgent: r.Agent,
	}, interval)
	return nonce, out == store.RequestMail, err
}

// ConfirmSignup confirms a sign-up request.
func (s serveState) ConfirmSignup(ctx context.Context, email, nonce string, c web.Evidence) (digest.Subscriber, web.ConfirmOutcome, error) {
	su, out, err := s.Store.ConfirmSignup(ctx, email, nonce, c.At, c.IP, c.Agent)
	if err != nil {
		return digest.Subscriber{}, 0, err
	}
	switch out {
	case store.Confirmed:
		return su.Subscriber(), web.Confirmed, nil
	case store.AlreadyConfirmed:
		return su.Subscriber(), web.AlreadyConfirmed, nil
	case store.ConfirmStale:
		return digest.Subscriber{}, web.ConfirmStale, nil
	}
	return digest.Subscriber{}, web.ConfirmRefused, nil
}

// Archive lists the n most recent editions, newest first.
func (s serveState) Archive(ctx context.Context, n int) ([]web.ArchiveEntry, error) {
	recent, err := s.Recent(ctx, n)
	if err != nil {
		return nil, err
	}
	out := make([]web.ArchiveEntry, len(recent))
	for i, r := range recent {
		out[i] = web.ArchiveEntry{ID: r.ID, Cadence: r.Cadence, Subject: r.Subject, Created: r.Created}
	}
	return out, nil
}
