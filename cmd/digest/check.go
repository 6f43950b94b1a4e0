package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	"golang.org/x/net/publicsuffix"

	"github.com/digest-newsletter/digest/digest"
	"github.com/digest-newsletter/digest/digest/mailer"
	"github.com/digest-newsletter/digest/digest/source"
	"github.com/digest-newsletter/digest/digest/store"
	"github.com/digest-newsletter/digest/digest/subscriber"
	"github.com/digest-newsletter/digest/digest/web"
)

// errCheck reports that check found problems (exit 2).
var errCheck = errors.New("check found problems")

func cmdCheck(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "check", "")
	offline := fs.Bool("offline", false, "do not fetch the sources nor connect to the SMTP server; only read the settings and lists")
	cfg, err := fs.parse(args) // settings are checked here
	if err != nil {
		return err
	}
	w := cfg.redact.Writer(e.stdout)
	fmt.Fprintln(w, "settings: ok")
	problems := 0
	problems += checkMail(ctx, w, cfg, *offline)
	problems += checkTemplates(ctx, w, cfg)
	problems += checkSources(ctx, w, cfg, *offline)
	problems += checkSubscribers(ctx, w, cfg)
	problems += checkStateFile(ctx, w, cfg)
	advice, _ := unsubscribeAdvice(cfg)
	fmt.Fprintf(w, "unsubscribe: %s\n", advice)
	if problems > 0 {
		return usageError{fmt.Errorf("%w: %d", errCheck, problems)}
	}
	fmt.Fprintln(w, "all good")
	return nil
}

// checkTemplates parses the templates and executes each on a sample
// edition for the first subscriber of the list (so the columns templates
// name are the list's), as a run does before its first message; and the
// sign-up templates on sample data, as digest serve does at its start.
func checkTemplates(ctx context.Context, w io.Writer, cfg *Config) int {
	sample, err := firstSubscriber(ctx, cfg)
	if err != nil { // the subscriber check reports it
		sample = digest.Subscriber{Email: "reader@example.com", Name: "Reader", Attrs: map[string]string{}}
	}
	r, err := newRenderer(cfg, time.Now)
	if err == nil {
		err = r.Check(sampleEdition(), sample, sampleUnsubscribe(cfg, sample))
	}
	if err != nil {
		fmt.Fprintf(w, "templates: %v\n", err)
		return 1
	}
	if _, err := web.LoadSignupPages(cfg.Templates); err != nil {
		fmt.Fprintf(w, "templates: %v\n", err)
		return 1
	}
	where := "built in"
	if cfg.Templates != "" {
		where = cfg.Templates + " (missing files from the built-in set)"
	}
	fmt.Fprintf(w, "templates: ok, %s\n", where)
	return 0
}

func sampleEdition() *digest.Edition {
	now := time.Now()
	return &digest.Edition{ID: digest.EditionID(now, time.UTC), Cadence: digest.CadenceDaily, Created: now,
		Overview: "In this issue: a sample story.",
		Items: []digest.Item{{Article: digest.Article{ID: "https://example.com/sample", URL: "https://example.com/sample",
			Title: "A sample story", Source: "Sample", Published: now, Tags: []string{"sample"}, AlsoIn: []string{"Other"}},
			Blurb: []string{"A first sentence.", "A second one."}}}}
}

// checkSources reads the sources list and, unless offline, collects every
// source once without touching the state.
func checkSources(ctx context.Context, w io.Writer, cfg *Config, offline bool) int {
	f, err := os.Open(cfg.Sources)
	if err != nil {
		fmt.Fprintf(w, "sources: %v\n", err)
		return 1
	}
	specs, err := source.ParseList(f, cfg.Sources)
	f.Close()
	if err != nil {
		n := 0
		for _, e := range unjoin(err) {
			fmt.Fprintf(w, "sources: %v\n", e)
			n++
		}
		return n
	}
	if offline {
		fmt.Fprintf(w, "sources: ok, %d listed (not fetched)\n", len(specs))
		return 0
	}
	col, err := source.New(source.Config{List: cfg.Sources, Concurrency: cfg.Fetch.Concurrency, Timeout: cfg.Fetch.Timeout,
		Deadline: cfg.Fetch.Deadline, MaxBytes: cfg.Fetch.MaxBytes, UserAgent: userAgent,
		Logger: slog.New(&repairNotes{w: w})})
	if err != nil {
		fmt.Fprintf(w, "sources: %v\n", err)
		return 1
	}
	c, err := col.Collect(ctx)
	if err != nil {
		fmt.Fprintf(w, "sources: %v\n", err)
		return 1
	}
	for _, f := range c.Failures {
		fmt.Fprintf(w, "sources: %s: %s\n", f.Source, f.Err)
	}
	fmt.Fprintf(w, "sources: %d listed, %d failing, %d articles\n", len(specs), len(c.Failures), len(c.Articles))
	return len(c.Failures)
}

// repairNotes prints each feed-repaired warning of a collection as a line
// of check's report: not a problem of the operator's, but worth knowing.
// Other records are dropped (failures are reported from the Collection).
type repairNotes struct {
	mu sync.Mutex
	w  io.Writer
}

func (h *repairNotes) Enabled(_ context.Context, l slog.Level) bool { return l >= slog.LevelWarn }

func (h *repairNotes) Handle(_ context.Context, r slog.Record) error {
	if r.Message != source.MsgFeedRepaired {
		return nil
	}
	var src, repair string
	r.Attrs(func(a slog.Attr) bool {
		switch a.Key {
		case "source":
			src = a.Value.String()
		case "repair":
			repair = a.Value.String()
		}
		return true
	})
	h.mu.Lock()
	defer h.mu.Unlock()
	_, err := fmt.Fprintf(h.w, "sources: %s: not well-formed, read as far as it goes (%s)\n", src, repair)
	return err
}

func (h *repairNotes) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *repairNotes) WithGroup(string) slog.Handler      { return h }

func checkSubscribers(ctx context.Context, w io.Writer, cfg *Config) int {
	s, errs := subscriber.Check(ctx, &subscriber.File{Path: cfg.Subscribers})
	subscriber.WriteReport(w, s, errs)
	return len(errs) + checkSignups(ctx, w, cfg) + checkSuppressed(ctx, w, cfg)
}

// checkSuppressed counts the rows of the list whose address is on the
// suppression list, by reason. Like checkSignups, it never creates nor
// changes the state, and a state it cannot read is not a problem.
func checkSuppressed(ctx context.Context, w io.Writer, cfg *Config) int {
	if stateFileMissing(cfg.State) {
		return 0
	}
	st, err := store.OpenReadOnly(ctx, cfg.State)
	if err != nil {
		fmt.Fprintf(w, "suppressed: not counted: %v\n", err)
		return 0
	}
	defer st.Close()
	byReason := map[string]int{}
	total := 0
	var batch []string
	flush := func() error {
		reasons, err := st.SuppressionReasons(ctx, batch)
		if err != nil {
			return err
		}
		for _, email := range batch {
			if r, ok := reasons[strings.ToLower(email)]; ok {
				byReason[r]++
				total++
			}
		}
		batch = batch[:0]
		return nil
	}
	for sub, err := range (&subscriber.File{Path: cfg.Subscribers, KeepDuplicates: true}).Subscribers(ctx) {
		if err != nil {
			continue // the subscriber check reports it
		}
		if batch = append(batch, sub.Email); len(batch) == 500 {
			if err := flush(); err != nil {
				fmt.Fprintf(w, "suppressed: not counted: %v\n", err)
				return 0
			}
		}
	}
	if err := flush(); err != nil {
		fmt.Fprintf(w, "suppressed: not counted: %v\n", err)
		return 0
	}
	if total == 0 {
		fmt.Fprintln(w, "suppressed: no row of the list")
		return 0
	}
	reasons := make([]string, 0, len(byReason))
	for r := range byReason {
		reasons = append(reasons, r)
	}
	sort.Strings(reasons)
	parts := make([]string, len(reasons))
	for i, r := range reasons {
		parts[i] = fmt.Sprintf("%d %s", byReason[r], r)
	}
	fmt.Fprintf(w, "suppressed: %d rows of the list are not mailed: %s\n", total, strings.Join(parts, ", "))
	return 0
}

// checkSignups counts the sign-ups in the state, if there is one; it
// never creates nor changes the state, and a state it cannot read is not
// a problem of the settings.
func checkSignups(ctx context.Context, w io.Writer, cfg *Config) int {
	if stateFileMissing(cfg.State) {
		fmt.Fprintln(w, "sign-ups: none (no state file yet)")
		return 0
	}
	st, err := store.OpenReadOnly(ctx, cfg.State)
	if err == nil {
		defer st.Close()
		var c store.SignupCounts
		if c, err = st.CountSignups(ctx); err == nil {
			fmt.Fprintf(w, "sign-ups: %d confirmed (%d of them suppressed), %d waiting for confirmation\n", c.Confirmed, c.Suppressed, c.Waiting)
			return 0
		}
	}
	fmt.Fprintf(w, "sign-ups: not counted: %v\n", err) // a state of an older digest: the next run upgrades it
	return 0
}

// checkStateFile reports a state file that a run would refuse: one that
// exists but is not digest's state, or that a newer digest wrote. It opens
// the file read-only and changes nothing; no file is not a problem (the
// first run makes it).
func checkStateFile(ctx context.Context, w io.Writer, cfg *Config) int {
	st, err := store.OpenReadOnly(ctx, cfg.State)
	if err == nil {
		st.Close()
		return 0
	}
	var nse *store.NotStateError
	if !errors.As(err, &nse) {
		return 0 // no file yet, or an older digest's state: the run makes or upgrades it
	}
	fmt.Fprintf(w, "state: %v\n", stateError(err))
	return 1
}

// unjoin splits an errors.Join into its errors.
func unjoin(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

// unsubscribeAdvice says how subscribers can unsubscribe from the messages
// cfg makes, and how loudly a run over SMTP should say so: a warning when
// there is no way at all (the law wants one in most places), a note when
// there is no one-click unsubscribe (RFC 8058), which Gmail and Yahoo ask
// of bulk senders and which needs DIGEST_BASE_URL. With one-click links
// there is nothing to say: the level is slog.LevelDebug.
func unsubscribeAdvice(cfg *Config) (advice string, level slog.Level) {
	switch {
	case cfg.List.BaseURL != "":
		return "one-click links to " + strings.TrimRight(cfg.List.BaseURL, "/") + "/unsubscribe (List-Unsubscribe-Post)", slog.LevelDebug
	case cfg.List.Mailto != "":
		return "by mail to " + cfg.List.Mailto + " only; set DIGEST_BASE_URL for one-click unsubscribe, which Gmail and Yahoo ask of bulk senders", slog.LevelInfo
	default:
		return "none: messages carry no List-Unsubscribe header; set DIGEST_BASE_URL (and run digest serve) for one-click unsubscribe, which Gmail and Yahoo ask of bulk senders", slog.LevelWarn
	}
}

// checkMail says where mail will go and, unless offline, connects to the
// SMTP server as a run would (EHLO, STARTTLS, AUTH) and says QUIT without
// sending. It also finds the example's sender and secrets left in place,
// and a DKIM key for a domain other than the sender's.
func checkMail(ctx context.Context, w io.Writer, cfg *Config, offline bool) int {
	problems := 0
	for _, s := range []struct{ name, value string }{
		{"DIGEST_SMTP_PASSWORD", cfg.SMTP.Password}, {"DIGEST_SMTP_URL", urlPassword(cfg.SMTP.URL)},
		{"DIGEST_SECRET", cfg.List.Secret}, {"DIGEST_LLM_KEY", cfg.LLM.Key},
	} {
		if strings.Contains(strings.ToLower(s.value), "change-me") {
			fmt.Fprintf(w, "secrets: %s is still the example's placeholder: set a real one\n", s.name)
			problems++
		}
	}
	if cfg.SMTP.URL == "" {
		fmt.Fprintf(w, "outbox: %s (no DIGEST_SMTP_URL: messages are written as .eml files, not sent)\n", cfg.Outbox)
		return problems
	}
	from := domainOf(cfg.From)
	if from == "localhost" {
		fmt.Fprintf(w, "from: %q is no address mail servers accept mail from: set DIGEST_FROM to an address of your domain\n", cfg.From)
		problems++
	}
	switch dkim := cfg.SMTP.DKIMDomain; {
	case cfg.SMTP.DKIMKeyFile == "":
		fmt.Fprintf(w, "dkim: not set up: messages from %s go unsigned, which many receivers hold against them (DIGEST_DKIM_KEY_FILE, DIGEST_DKIM_SELECTOR)\n", from)
	case dkim != "" && !dkimAligned(from, dkim):
		fmt.Fprintf(w, "dkim: signs for %s, but mail is from %s: DMARC fails unless the two align (set DIGEST_DKIM_DOMAIN to %s or leave it unset)\n", dkim, from, from)
		problems++
	}
	t, err := newTransport(cfg)
	if err != nil {
		fmt.Fprintf(w, "smtp: %v\n", err)
		return problems + 1
	}
	smtp, ok := t.(*mailer.SMTP)
	if !ok {
		return problems
	}
	if offline {
		fmt.Fprintf(w, "%s (not tried: --offline)\n", smtp.Describe())
		return problems
	}
	p, err := smtp.Probe(ctx)
	if err != nil {
		fmt.Fprintf(w, "smtp: %s: %v\n", p.Addr, err)
		return problems + 1
	}
	fmt.Fprintf(w, "%s (connected and logged in; nothing sent)\n", p)
	return problems
}

// dkimAligned reports whether a DKIM signature for domain d aligns with
// mail from the domain from, as DMARC's relaxed alignment wants: both have
// the same organizational domain (example.org for news.example.org), by
// the public suffix list.
func dkimAligned(from, d string) bool {
	org := func(domain string) string {
		domain = strings.ToLower(strings.TrimSuffix(domain, "."))
		if o, err := publicsuffix.EffectiveTLDPlusOne(domain); err == nil {
			return o
		}
		return domain
	}
	return org(from) == org(d)
}

// sampleUnsubscribe returns sub's unsubscribe URL, if the list has them.
func sampleUnsubscribe(cfg *Config, sub digest.Subscriber) string {
	if u := unsubscribeURL(cfg); u != nil {
		return u(sub.Email)
	}
	return ""
}
