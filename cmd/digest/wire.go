package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/digest-newsletter/digest/digest"
	"github.com/digest-newsletter/digest/digest/bounce"
	"github.com/digest-newsletter/digest/digest/mailer"
	"github.com/digest-newsletter/digest/digest/render"
	"github.com/digest-newsletter/digest/digest/source"
	"github.com/digest-newsletter/digest/digest/store"
	"github.com/digest-newsletter/digest/digest/subscriber"
	"github.com/digest-newsletter/digest/digest/summary"
	"github.com/digest-newsletter/digest/digest/web"
)

// newLogger returns the run's logger: text or JSON on stderr; --quiet keeps
// warnings and the final summary only.
func newLogger(w io.Writer, cfg *Config) *slog.Logger {
	opts := &slog.HandlerOptions{Level: slog.LevelInfo}
	if cfg.Ops.Quiet {
		opts.Level = slog.LevelWarn
	}
	if cfg.Ops.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// newEditor wires the stages that make an edition. The store keeps the
// fetch and summary caches too, unless it is read-only (a dry run).
func newEditor(cfg *Config, st *store.Store, log *slog.Logger, now func() time.Time) (*digest.Editor, error) {
	var cache source.Cache
	var blurbs summary.Cache
	if !st.ReadOnly() {
		cache, blurbs = st, st
	}
	col, err := source.New(source.Config{
		List:        cfg.Sources,
		Concurrency: cfg.Fetch.Concurrency,
		Timeout:     cfg.Fetch.Timeout,
		Deadline:    cfg.Fetch.Deadline,
		MaxBytes:    cfg.Fetch.MaxBytes,
		Cache:       cache,
		Location:    cfg.tz,
		Now:         now,
		Logger:      log,
		UserAgent:   userAgent,
	})
	if err != nil {
		return nil, err
	}
	opts := summary.Options{Words: cfg.SummaryWords, Sentences: cfg.SummarySentences}
	var sum digest.Summarizer = summary.New(opts)
	if cfg.LLM.URL != "" {
		sum = &summary.LLM{
			URL:         cfg.LLM.URL,
			Model:       cfg.LLM.Model,
			Key:         cfg.LLM.Key,
			Options:     opts,
			Cache:       blurbs,
			Fallback:    sum,
			Logger:      log,
			Concurrency: 4,
			Timeout:     60 * time.Second,
		}
	}
	note := ""
	if cfg.Note != "" {
		b, err := readFile(cfg.Note)
		if err != nil {
			return nil, usageError{fmt.Errorf("note: %w", err)}
		}
		note = string(b)
	}
	return &digest.Editor{
		Collector:  col,
		Summarizer: sum,
		Store:      st,
		Logger:     log,
		Now:        now,
		Select: digest.Selection{
			MaxItems:   cfg.MaxItems,
			Window:     cfg.Window,
			Similarity: summary.Similarity,
			SameStory:  summary.SameStory,
		},
		Overview: summary.Overview,
		Note:     note,
		Strict:   cfg.Strict,
	}, nil
}

// newRenderer parses the templates; a bad one is an *digest.InputError.
func newRenderer(cfg *Config, now func() time.Time) (*render.Renderer, error) {
	return render.New(rendererOptions(cfg, now))
}

// rendererOptions are the renderer's options from the settings.
func rendererOptions(cfg *Config, now func() time.Time) render.Options {
	return render.Options{
		Dir:            cfg.Templates,
		Name:           cfg.Name,
		Lang:           cfg.Lang,
		LogoURL:        cfg.LogoURL,
		GroupBy:        cfg.GroupBy,
		Accent:         cfg.Accent,
		BaseURL:        strings.TrimRight(cfg.List.BaseURL, "/"),
		NoteUnsafeHTML: cfg.NoteUnsafeHTML,
		Now:            now,
	}
}

// unsubscribeURL returns the function that makes each address's signed
// one-click unsubscribe URL, or nil when no base URL is set. A run calls it
// once per delivery.
func unsubscribeURL(cfg *Config) func(string) string {
	if cfg.List.BaseURL == "" {
		return nil
	}
	base, secret := cfg.List.BaseURL, []byte(cfg.List.Secret)
	return func(email string) string { return web.UnsubscribeURL(base, secret, email) }
}

// newTransport returns the SMTP transport when a URL is set, else the
// outbox.
func newTransport(cfg *Config) (digest.Transport, error) {
	if cfg.SMTP.URL == "" {
		return mailer.NewOutbox(cfg.Outbox), nil
	}
	sc := mailer.SMTPConfig{
		URL:      cfg.SMTP.URL,
		Username: cfg.SMTP.Username,
		Password: cfg.SMTP.Password,
		Timeout:  cfg.SMTP.Timeout,
		PerConn:  cfg.SMTP.PerConn,
	}
	if cfg.SMTP.DKIMKeyFile != "" {
		domain := cfg.SMTP.DKIMDomain
		if domain == "" {
			domain = domainOf(cfg.From)
		}
		sc.DKIM = &mailer.DKIMConfig{KeyFile: cfg.SMTP.DKIMKeyFile, Selector: cfg.SMTP.DKIMSelector, Domain: domain}
	}
	t, err := mailer.NewSMTP(sc)
	if err != nil {
		return nil, usageError{err}
	}
	return t, nil
}

// newDispatcher wires the delivery stage.
func newDispatcher(cfg *Config, st *store.Store, r digest.Renderer, t digest.Transport, log *slog.Logger, now func() time.Time) *digest.Dispatcher {
	d := &digest.Dispatcher{
		Store:             st,
		Renderer:          r,
		Transport:         t,
		Subscribers:       runList(cfg, st),
		Logger:            log,
		Now:               now,
		From:              cfg.From,
		ListID:            listID(cfg),
		UnsubscribeURL:    unsubscribeURL(cfg),
		UnsubscribeMailto: cfg.List.Mailto,
		Workers:           cfg.SMTP.Concurrency,
		Attempts:          cfg.SMTP.Retries,
		MaxFailures:       cfg.SMTP.MaxFailures,
		DeferMaxAge:       cfg.DeferMaxAge,
		BouncePolicy:      digest.BouncePolicy{SoftLimit: cfg.Bounce.SoftLimit},
		ReturnPath:        returnPath(cfg),
		Overview:          summary.Overview,
	}
	if cfg.SMTP.Rate > 0 {
		d.Limiter = rate.NewLimiter(rate.Limit(cfg.SMTP.Rate), 1)
	}
	if store.IsPostgres(cfg.State) {
		// A journal other machines may write to (a lost run lock, a
		// command that takes none): each batch is read and claimed in one
		// transaction.
		d.Store = store.Claiming{Store: st}
	}
	return d
}

// runList is the list a run mails: the subscriber file, then the
// confirmed sign-ups it does not have. The file's duplicates are yielded
// again: the journal catches them.
func runList(cfg *Config, st *store.Store) digest.SubscriberList {
	return subscriber.WithSignups{
		List:    &subscriber.File{Path: cfg.Subscribers, KeepDuplicates: true},
		Signups: signupList{st},
	}
}

// signupList is the confirmed sign-ups in the state, as a subscriber list.
type signupList struct{ st *store.Store }

func (l signupList) Subscribers(ctx context.Context) iter.Seq2[digest.Subscriber, error] {
	return func(yield func(digest.Subscriber, error) bool) {
		for su, err := range l.st.Signups(ctx) {
			if !yield(su.Subscriber(), err) || err != nil {
				return
			}
		}
	}
}

var nonSlug = regexp.MustCompile(`[^a-z0-9]+`)

// listID is the List-Id header: the newsletter's name and a slug on the
// sender's domain.
func listID(cfg *Config) string {
	slug := strings.Trim(nonSlug.ReplaceAllString(strings.ToLower(cfg.Name), "-"), "-")
	if slug == "" {
		slug = "digest"
	}
	name := strings.NewReplacer("\r", "", "\n", "", "<", "", ">", "", `"`, "").Replace(cfg.Name)
	return fmt.Sprintf("%s <%s.%s>", name, slug, domainOf(cfg.From))
}

// domainOf returns the domain of the From setting's address, or
// "localhost" (see digest.SenderDomain, which the run uses alike).
func domainOf(from string) string {
	_, domain := digest.SenderDomain(from)
	return domain
}

// openState takes the run lock and opens the state with openWritable.
func openState(ctx context.Context, cfg *Config, warn io.Writer) (*store.Store, func(), error) {
	unlock, err := store.Lock(cfg.State)
	if store.RefusedSettings(err) {
		return nil, nil, usageError{fmt.Errorf("%w: check --state (DIGEST_STATE)", err)}
	}
	if err != nil {
		return nil, nil, err
	}
	st, err := openWritable(ctx, cfg, warn)
	if err != nil {
		unlock()
		return nil, nil, err
	}
	return st, func() { st.Close(); unlock() }, nil
}

// deliverPhase and freezePhase name the advisory locks that runs on a
// PostgreSQL state hold, one of each per edition (see phaseLock), so that
// runs of different editions (today's and a named one, or a resend of
// yesterday's) never wait for each other.
//
// deliverPhase is held while a run delivers: shared, so that any number
// deliver one edition together; exclusive for a run that resends unknown
// deliveries, which must be sure no other run has them in flight, and
// while a run waits for the others to finish before it reports (see
// settleShared).
//
// freezePhase is held by one run at a time while it makes or loads the
// edition: the first freezes it, the others wait and then read it.
const (
	deliverPhase = "deliver"
	freezePhase  = "freeze"
)

// phaseLock is the name of the advisory lock of phase for the edition id.
func phaseLock(phase, id string) string { return phase + ":" + id }

// lockEditions takes the lock of phase for each of ids, in order, with
// lock (store.LockPostgres or another of its kind), and returns one
// function that lets go of them all. It takes none when one fails.
func lockEditions(phase string, ids []string, lock func(name string) (func() error, error)) (func() error, error) {
	var unlocks []func() error
	unlock := func() error {
		var errs []error
		for i := len(unlocks) - 1; i >= 0; i-- {
			errs = append(errs, unlocks[i]())
		}
		return errors.Join(errs...)
	}
	for _, id := range ids {
		u, err := lock(phaseLock(phase, id))
		if err != nil {
			unlock()
			return nil, err
		}
		unlocks = append(unlocks, u)
	}
	return unlock, nil
}

// openRunState opens the state for digest run. A SQLite state takes the
// run lock (openState); a PostgreSQL state takes the deliver lock of each
// of the run's editions (ids) instead, shared (exclusive when
// resendUnknown), so that runs on several machines deliver one edition
// together. The unlock function it returns for a PostgreSQL state may be
// called early, by settleShared.
func openRunState(ctx context.Context, cfg *Config, ids []string, resendUnknown bool, warn io.Writer) (*store.Store, func() error, func(), error) {
	if !store.IsPostgres(cfg.State) {
		st, closeState, err := openState(ctx, cfg, warn)
		return st, func() error { return nil }, closeState, err
	}
	lock := store.LockPostgresShared
	if resendUnknown {
		lock = store.LockPostgres
	}
	unlock, err := lockEditions(deliverPhase, ids, func(name string) (func() error, error) { return lock(cfg.State, name) })
	if store.RefusedSettings(err) {
		return nil, nil, nil, usageError{fmt.Errorf("%w: check --state (DIGEST_STATE)", err)}
	}
	if err != nil {
		return nil, nil, nil, err
	}
	st, err := openWritable(ctx, cfg, warn)
	if err != nil {
		unlock()
		return nil, nil, nil, err
	}
	var once sync.Once
	release := func() error {
		var err error
		once.Do(func() { err = unlock() })
		return err
	}
	return st, release, func() { st.Close(); release() }, nil
}

// openWritable opens the state for a command that writes to it. With
// --new-state, a file at the state's path that is not digest's state is
// first renamed out of the way (said on warn), so that a new state is
// made; a real state is never set aside.
//
// A PostgreSQL state is never made by itself: --new-state makes it in an
// empty database (or schema) and refuses any other.
func openWritable(ctx context.Context, cfg *Config, warn io.Writer) (*store.Store, error) {
	if cfg.NewState && store.IsPostgres(cfg.State) {
		if err := store.MakePostgresState(ctx, cfg.State); err != nil {
			var nse *store.NotStateError
			if errors.As(err, &nse) {
				return nil, usageError{fmt.Errorf("--new-state: %w; run without --new-state (DIGEST_NEW_STATE)", err)}
			}
			return nil, fmt.Errorf("state: %w", err)
		}
		fmt.Fprintf(warn, "warning: made a new digest state in %s, with no record of earlier deliveries\n", store.Redact(cfg.State))
	} else if cfg.NewState {
		aside, err := store.SetAside(ctx, cfg.State, time.Now())
		if err != nil {
			return nil, usageError{fmt.Errorf("--new-state: %w; run without --new-state (DIGEST_NEW_STATE)", err)}
		}
		if aside != "" {
			fmt.Fprintf(warn, "warning: %s was not digest's state: renamed to %s; a new state starts now, with no record of earlier deliveries\n", cfg.State, aside)
		}
	}
	st, err := store.Open(ctx, cfg.State)
	if err != nil {
		return nil, stateError(err)
	}
	return st, nil
}

// stateError says what to do about a state file that was refused: a file
// that is not digest's state, or one a newer digest wrote, is a setting
// to correct (exit 2).
func stateError(err error) error {
	var nse *store.NotStateError
	var old *store.OldSchemaError
	switch {
	case errors.As(err, &old):
		return usageError{fmt.Errorf("%w: run digest migrate (with the same --state) to upgrade it, "+
			"once every machine that uses this state runs this digest or a newer one", err)}
	case errors.As(err, &nse) && nse.Empty:
		return usageError{fmt.Errorf("%w. Check --state (DIGEST_STATE); to make digest's state there on purpose, "+
			"run once with --new-state (DIGEST_NEW_STATE=1)", err)}
	case errors.As(err, &nse) && store.IsPostgres(nse.Path) && !nse.Newer:
		return usageError{fmt.Errorf("%w, and is left as it is: digest makes a state only in an empty database or schema. "+
			"Check --state (DIGEST_STATE), or name a schema of digest's own with search_path in the URL", err)}
	case errors.As(err, &nse) && nse.Newer:
		return usageError{fmt.Errorf("%w: use that digest (or a newer one); this one cannot read its records", err)}
	case errors.As(err, &nse) && !nse.Replaceable():
		return usageError{fmt.Errorf("%w; check --state (DIGEST_STATE)", err)}
	case errors.As(err, &nse):
		return usageError{fmt.Errorf("%w, and is left as it is: digest does not start a new state by itself "+
			"where a file exists, since a new state would mail every subscriber again. Check --state (DIGEST_STATE); "+
			"to start afresh on purpose, run once with --new-state (DIGEST_NEW_STATE=1), which renames the file to %s.aside-TIME", err, nse.Path)}
	case store.RefusedSettings(err):
		return usageError{fmt.Errorf("state: %w: check --state (DIGEST_STATE)", err)}
	}
	return fmt.Errorf("state: %w", err)
}

// openDry opens the state for a command that must not change it (preview,
// collect, send-test): read-only beside a running run, or an empty
// throwaway state when there is none yet.
func openDry(ctx context.Context, cfg *Config) (*store.Store, func(), error) {
	st, err := store.OpenReadOnly(ctx, cfg.State)
	if err == nil {
		return st, func() { st.Close() }, nil
	}
	var nse *store.NotStateError
	if store.IsPostgres(cfg.State) && !(errors.As(err, &nse) && nse.Empty) {
		return nil, nil, stateError(err)
	}
	if !stateFileMissing(cfg.State) && !store.IsPostgres(cfg.State) {
		return nil, nil, stateError(err)
	}
	dir, err := os.MkdirTemp("", "digest-dry-")
	if err != nil {
		return nil, nil, err
	}
	st, err = store.Open(ctx, filepath.Join(dir, "digest.db"))
	if err != nil {
		os.RemoveAll(dir)
		return nil, nil, fmt.Errorf("state: %w", err)
	}
	return st, func() { st.Close(); os.RemoveAll(dir) }, nil
}

// stateFileMissing reports whether state names a state file that does not
// exist; a PostgreSQL state is never a missing file.
func stateFileMissing(state string) bool {
	if store.IsPostgres(state) {
		return false
	}
	_, err := os.Stat(state)
	return errors.Is(err, os.ErrNotExist)
}

// dryCommand is what the commands that change nothing start from: the
// settings, a logger and the state opened by openDry.
type dryCommand struct {
	cfg   *Config
	log   *slog.Logger
	st    *store.Store
	close func()
}

// startDry parses the flags and opens the state for a dry command; the
// caller must call close.
func startDry(ctx context.Context, fs *commandFlags, args []string) (*dryCommand, error) {
	cfg, err := fs.parse(args)
	if err != nil {
		return nil, err
	}
	st, closeState, err := openDry(ctx, cfg)
	if err != nil {
		return nil, err
	}
	return &dryCommand{cfg: cfg, log: newLogger(fs.e.stderr, cfg), st: st, close: closeState}, nil
}

// dryEditions returns the editions a run would deliver now, as
// todaysEditions makes them, without changing the state: each the frozen
// one if a run made it, else one built now and not frozen. daily is how
// the daily edition was made. For a frozen daily edition, notice names it
// and says what the sources have had since (see frozenNotice); else it is
// "".
func dryEditions(ctx context.Context, cfg *Config, st *store.Store, log *slog.Logger) (eds digest.Editions, daily *digest.Made, notice string, err error) {
	editor, err := newEditor(cfg, st, log, time.Now)
	if err != nil {
		return eds, nil, "", err
	}
	eds, daily, err = todaysEditions(ctx, cfg, editor, time.Now(), true)
	if err != nil || !daily.Frozen {
		return eds, daily, "", err
	}
	return eds, daily, frozenNotice(ctx, cfg, st, editor, daily.Edition), nil
}

// returnPath returns the VERP return paths of DIGEST_BOUNCE_ADDRESS,
// signed with DIGEST_SECRET; nil when no bounce address is set.
func returnPath(cfg *Config) func(edition, email string) string {
	if cfg.Bounce.Address == "" {
		return nil
	}
	s := bounce.NewSigner([]byte(cfg.List.Secret))
	return func(edition, email string) string { return s.ReturnPath(cfg.Bounce.Address, edition, email) }
}
