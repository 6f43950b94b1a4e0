package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/digest-newsletter/digest/digest"
	"github.com/digest-newsletter/digest/digest/store"
)

func cmdRun(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "run", "")
	var o runOptions
	fs.BoolVar(&o.resendUnknown, "resend-unknown", false, "resend deliveries a crashed run left unknown (they may arrive twice)")
	fs.StringVar(&o.editionFile, "edition-file", "", "deliver the edition in this file (from digest prepare) instead of collecting one")
	shardFlag := fs.String("shard", "", "deliver only to shard I of N (0-based): I/N, or auto/N or N to take I from JOB_COMPLETION_INDEX; needs --edition-file")
	cfg, err := fs.parse(args)
	if err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Errorf("run: unexpected argument %q", fs.Arg(0))}
	}
	if *shardFlag != "" {
		sh, err := parseShard(*shardFlag, e.environ)
		if err != nil {
			return usageError{err}
		}
		if o.editionFile == "" && sh.Count > 1 {
			return usageError{errors.New("--shard needs --edition-file: every host must send the same edition (make it with digest prepare)")}
		}
		o.shard = &sh
	}
	prog := newProgress(e, cfg, time.Now)
	log := newLogger(prog.writer(e.stderr), cfg)
	prog.log = log
	ping := &pinger{URL: cfg.Ops.PingURL, Logger: log}
	started := time.Now()
	rep, failures, err := deliverEdition(ctx, e, cfg, o, log, ping, prog)
	if errors.Is(err, digest.ErrLocked) {
		// Another run holds the lock and will report for both.
		return err
	}
	if err == nil && rep != nil && !rep.Complete() {
		err = errPartial
	}
	code := exitCode(&env{stderr: io.Discard}, err)
	outcome := runOutcome{Started: started, Finished: time.Now(), OK: code == exitOK, ExitCode: code, Report: rep, SourceFailures: failures}
	if cfg.Ops.MetricsFile != "" {
		if werr := writeMetrics(cfg.Ops.MetricsFile, outcome); werr != nil {
			log.Warn("metrics not written", "err", werr)
		} else if st, oerr := store.OpenReadOnly(ctx, cfg.State); oerr == nil {
			// The refusals of this run may have added bounces.
			if werr := writeBounceMetrics(ctx, cfg.Ops.MetricsFile, st); werr != nil {
				log.Warn("bounce metrics not written", "err", werr)
			}
			st.Close()
		}
	}
	ping.finish(ctx, outcome.OK, cfg.redact.String(pingSummary(rep, code, err)))
	return err
}

// recoverFlights settles the flight logs that runs killed half-way left,
// and returns the path of this run's own log and a function to call when
// the run is over. A SQLite state has one log beside it (the run lock keeps
// runs apart). Runs on a PostgreSQL state each keep a log of their own in
// this machine's temporary folder, locked while they run
// (store.ProcessFlightPath): only the logs of ended processes are settled.
func recoverFlights(ctx context.Context, cfg *Config, st *store.Store, log *slog.Logger) (string, func(), error) {
	report := func(rec store.FlightRecovery) {
		if rec.Found {
			log.Warn("recovered from a run that did not finish", "pending_again", rec.Pending, "results_recorded", rec.Finished,
				"unknown", rec.Unknown, "log_from_before_a_reboot", rec.Ignored)
		}
	}
	if !store.IsPostgres(cfg.State) {
		path := store.FlightPath(st.Path())
		rec, err := st.RecoverFlight(ctx, path)
		report(rec)
		return path, func() {}, err
	}
	left, err := store.ProcessFlights(st.Path())
	if err != nil {
		return "", nil, err
	}
	for _, path := range left {
		unlock, err := store.Lock(path)
		if errors.Is(err, digest.ErrLocked) {
			continue // a run still delivering
		}
		if err != nil {
			return "", nil, err
		}
		rec, err := st.RecoverFlight(ctx, path)
		report(rec)
		os.Remove(path + ".lock")
		unlock()
		if err != nil {
			return "", nil, err
		}
	}
	own := store.ProcessFlightPath(st.Path())
	unlock, err := store.Lock(own)
	if err != nil {
		return "", nil, err
	}
	return own, func() { os.Remove(own + ".lock"); unlock() }, nil
}

// settleShared waits, after a run on a PostgreSQL state has delivered its
// part, for the other runs delivering the same editions to finish (it
// takes their deliver locks, ids, exclusively, having let go of its shared
// hold; runs of other editions are not waited for), then counts
// again the deliveries it reported unknown: those that another run had in
// flight and has since finished count as already sent, and rep's unknown
// ones become the edition's deliveries still in sending, which no run is
// left to finish.
func settleShared(ctx context.Context, cfg *Config, st *store.Store, ids []string, eds digest.Editions, channel string,
	releaseShared func() error, rep *digest.Report, log *slog.Logger) error {
	if err := releaseShared(); err != nil {
		return err
	}
	log.Info("waiting for the other runs of this edition to finish", "unknown_so_far", rep.Unknown)
	unlock, err := lockEditions(deliverPhase, ids, func(name string) (func() error, error) {
		return store.WaitPostgres(ctx, cfg.State, name)
	})
	if err != nil {
		return err
	}
	defer unlock()
	still := map[string]bool{}
	for _, ed := range []*digest.Edition{eds.Daily, eds.Weekly} {
		if ed == nil {
			continue
		}
		rows, err := st.Unknown(ctx, ed.ID, channel)
		if err != nil {
			return err
		}
		for _, d := range rows {
			still[d.Email] = true
		}
	}
	if len(still) < rep.Unknown {
		rep.AlreadySent += rep.Unknown - len(still)
		rep.Unknown = len(still)
	}
	problems := rep.Problems[:0]
	for _, p := range rep.Problems {
		if p.Status != digest.Sending || still[strings.ToLower(p.Email)] {
			problems = append(problems, p)
		}
	}
	rep.Problems = problems
	return nil
}

// runOptions are the run command's own flags.
type runOptions struct {
	resendUnknown bool
	editionFile   string
	shard         *shard // nil: the whole list
}

// deliverEdition is the run proper: it takes the lock, pings the start,
// makes or loads the edition and delivers it. It returns the report (nil
// when it stopped before delivering) and the number of failed sources.
func deliverEdition(ctx context.Context, e *env, cfg *Config, o runOptions, log *slog.Logger, ping *pinger, prog *progress) (*digest.Report, int, error) {
	now := time.Now
	if err := checkInputsExist(cfg, o.editionFile != ""); err != nil {
		return nil, 0, err
	}
	renderer, err := newRenderer(cfg, now)
	if err != nil {
		return nil, 0, err
	}
	transport, err := newTransport(cfg)
	if err != nil {
		return nil, 0, err
	}
	if advice, level := unsubscribeAdvice(cfg); cfg.SMTP.URL != "" && level > slog.LevelDebug {
		log.Log(ctx, level, "unsubscribe: "+advice)
	}
	at := now()
	ids, err := runEditionIDs(cfg, o, at)
	if err != nil {
		return nil, 0, err
	}
	st, releaseShared, closeState, err := openRunState(ctx, cfg, ids, o.resendUnknown, e.stderr)
	if err != nil {
		return nil, 0, err
	}
	defer closeState()
	ping.start(ctx)
	// A run killed half-way left a flight log: settle its deliveries first.
	flightPath, doneFlight, err := recoverFlights(ctx, cfg, st, log)
	if err != nil {
		return nil, 0, err
	}
	defer doneFlight()

	prog.total = countRows(cfg.Subscribers)
	if c, err := st.CountSignups(ctx); err == nil {
		prog.total += c.Confirmed
	}
	if o.shard != nil && prog.total > 0 {
		prog.total = (prog.total + o.shard.Count - 1) / o.shard.Count
	}
	var eds digest.Editions
	var failures []digest.SourceFailure
	unfreeze := func() error { return nil }
	if store.IsPostgres(cfg.State) {
		// The first run freezes the edition; the others wait here, then
		// find it frozen.
		if unfreeze, err = lockEditions(freezePhase, ids, func(name string) (func() error, error) {
			return store.WaitPostgres(ctx, cfg.State, name)
		}); err != nil {
			return nil, 0, err
		}
	}
	if o.editionFile != "" {
		eds, err = loadEditionFile(ctx, st, o.editionFile, cfg.Edition)
		unfreeze()
	} else {
		var editor *digest.Editor
		if editor, err = newEditor(cfg, st, log, now); err != nil {
			unfreeze()
			return nil, 0, err
		}
		stop := prog.collecting()
		var daily *digest.Made
		eds, daily, err = todaysEditions(ctx, cfg, editor, at, false)
		unfreeze()
		if daily != nil {
			failures = daily.Failures
		}
		stop()
	}
	if err != nil {
		return nil, len(failures), err
	}
	if eds.Daily == nil && eds.Weekly == nil {
		log.Info("no new articles: nothing to send", "edition", cfg.dailyID(now()))
		return nil, len(failures), nil
	}

	// A template that fails must stop the run before the first message.
	sample, err := firstSubscriber(ctx, cfg)
	if err != nil {
		return nil, len(failures), err
	}
	for _, ed := range []*digest.Edition{eds.Daily, eds.Weekly} {
		if ed == nil {
			continue
		}
		if err := renderer.Check(ed, sample, sampleUnsubscribe(cfg, sample)); err != nil {
			return nil, len(failures), err
		}
	}

	d := newDispatcher(cfg, st, renderer, transport, log, now)
	d.ResendUnknown = o.resendUnknown
	if o.shard != nil {
		d.Subscribers = shardList{list: d.Subscribers, shard: *o.shard}
		log.Info("delivering one shard of the list", "shard", o.shard.String())
	}
	if d.Flight, err = store.OpenFlightWith(flightPath, e.flight); err != nil {
		return nil, len(failures), err
	}
	d.Progress = prog.update
	restore := tuneForDelivery(e.environ, d.Workers, cfg.SMTP.URL != "" && cfg.SMTP.DKIMKeyFile != "")
	rep, err := d.Deliver(ctx, eds)
	restore()
	if err == nil && rep.Unknown > 0 && store.IsPostgres(cfg.State) && !o.resendUnknown {
		err = settleShared(ctx, cfg, st, ids, eds, transport.Channel(), releaseShared, rep, log)
	}
	prog.done()
	rep.SourceFailures = failures
	finishReport(e, cfg, log, rep)
	var se *digest.SettingsError
	if errors.As(err, &se) {
		return rep, len(failures), fmt.Errorf("%w; sending stopped: %d deliveries stay pending, for the next run once this is fixed", err, rep.Pending)
	}
	if err != nil {
		return rep, len(failures), err
	}
	if cfg.Ops.Report != "" {
		if err := writeReport(cfg.Ops.Report, rep, cfg.redact); err != nil {
			return rep, len(failures), err
		}
	}
	return rep, len(failures), nil
}

// runEditionIDs returns the IDs of the editions a run at at may deliver,
// whose phase locks it takes on a PostgreSQL state: the edition file's,
// else the daily (or named) edition's and, on the weekly day, the week's.
func runEditionIDs(cfg *Config, o runOptions, at time.Time) ([]string, error) {
	if o.editionFile != "" {
		ed, err := readEditionFile(o.editionFile)
		if err != nil {
			return nil, err
		}
		return []string{ed.ID}, nil
	}
	ids := []string{cfg.dailyID(at)}
	if weekday, _ := parseWeekday(cfg.Weekday); at.In(cfg.tz).Weekday() == weekday && cfg.Edition == "" {
		ids = append(ids, cfg.weeklyID(at))
	}
	return ids, nil
}

// pingSummary is the body of the end ping: the run's summary line, or the
// error that stopped it.
func pingSummary(r *digest.Report, code int, err error) string {
	switch {
	case r != nil:
		return fmt.Sprintf("exit %d: edition %v via %s: %s\n", code, r.Editions, r.Channel, r.Summary())
	case err != nil:
		return fmt.Sprintf("exit %d: %v\n", code, err)
	}
	return "exit 0: nothing to send\n"
}

// todaysEditions makes (or loads) today's daily edition and, on the weekly
// day, the weekly one, and returns them with how the daily one was made.
// An edition with no items is left out. With dryRun, a new edition is not
// frozen (preview, send-test).
func todaysEditions(ctx context.Context, cfg *Config, editor *digest.Editor, now time.Time, dryRun bool) (digest.Editions, *digest.Made, error) {
	var eds digest.Editions
	p, err := editor.Daily(ctx, cfg.dailyID(now), dryRun)
	if err != nil {
		if errors.Is(err, digest.ErrSourcesFailed) {
			return eds, nil, fmt.Errorf("%w: %w", errSources, err)
		}
		return eds, nil, err
	}
	if len(p.Edition.Items) > 0 {
		eds.Daily = p.Edition
	}
	weekday, _ := parseWeekday(cfg.Weekday)
	if now.In(cfg.tz).Weekday() == weekday && cfg.Edition == "" {
		var w *digest.Made
		if dryRun && !p.Frozen {
			// The run would freeze today's edition first, and the week's
			// edition would hold its items.
			w, err = editor.PreviewWeekly(ctx, cfg.weeklyID(now), p.Edition)
		} else {
			w, err = editor.Weekly(ctx, cfg.weeklyID(now), dryRun)
		}
		if err != nil {
			return eds, p, err
		}
		if len(w.Edition.Items) > 0 {
			eds.Weekly = w.Edition
		}
	}
	return eds, p, nil
}

// firstSubscriber returns the first good row of the list, to check the
// templates against real columns; a made-up reader if the list has none.
func firstSubscriber(ctx context.Context, cfg *Config) (digest.Subscriber, error) {
	subs, err := headSubscribers(ctx, cfg, 1)
	if err != nil {
		return digest.Subscriber{}, err
	}
	return subs[0], nil
}

// finishReport logs the run's outcome in words a person reads at the end;
// with --log-format json it is a JSON record too. With --quiet, a run that
// left nothing to see to prints no summary, so cron mails nothing: every
// subscriber owed the edition has it, no source failed and no row was
// invalid.
func finishReport(e *env, cfg *Config, log interface {
	Warn(string, ...any)
	Info(string, ...any)
}, r *digest.Report) {
	// Failed sources were logged by the Editor as they failed; the summary
	// counts them.
	for _, p := range r.Problems {
		log.Warn("not delivered", "email", p.Email, "status", p.Status, "reply", p.Reply)
	}
	if r.Stopped != "" {
		log.Warn("sending stopped early", "reason", r.Stopped)
	}
	if cfg.Ops.Quiet && r.Complete() && r.Stopped == "" && len(r.SourceFailures) == 0 && r.Invalid == 0 {
		return
	}
	line := fmt.Sprintf("edition %v via %s: %s", r.Editions, r.Channel, r.Summary())
	if r.Sent == 0 && r.AlreadySent > 0 && r.Complete() {
		line = fmt.Sprintf("edition %v was already delivered to all %d subscribers (%s); nothing sent", r.Editions, r.AlreadySent, r.Channel)
	}
	if cfg.Ops.LogFormat == "json" {
		slog.New(slog.NewJSONHandler(e.stderr, nil)).Info(line, "summary", true,
			"editions", r.Editions, "channel", r.Channel, "sent", r.Sent, "failed", r.Failed, "deferred", r.Deferred,
			"unknown", r.Unknown, "pending", r.Pending, "already_sent", r.AlreadySent, "skipped", r.Skipped+r.Empty+r.NotToday,
			"invalid", r.Invalid, "source_failures", len(r.SourceFailures), "duration", r.Duration.String(), "complete", r.Complete())
		return
	}
	fmt.Fprintln(e.stderr, line)
}

// writeReport writes the run's report as JSON to path, less its secrets.
// The file is readable by its owner only, even if it was not before: it
// lists subscribers' addresses.
func writeReport(path string, r *digest.Report, redact *redactor) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("report: %w", err)
	}
	_, err = f.Write(append(redact.Bytes(b), '\n'))
	if cerr := f.Chmod(0o600); err == nil {
		err = cerr
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("report: %w", err)
	}
	return nil
}

func readFile(path string) ([]byte, error) { return os.ReadFile(path) }

// checkInputsExist reports a missing sources list or subscriber list as bad
// input (exit 2) before anything is written: run outside a clone with
// nothing configured, the bundled examples are not there, and a state file
// left in the current folder would only confuse the next try. The sources
// list is not needed when the edition comes from a file.
// defaultSources is DIGEST_SOURCES' default, the bundled example list.
const defaultSources = "examples/sources.txt"

func checkInputsExist(cfg *Config, fromEditionFile bool) error {
	type input struct{ path, setting string }
	inputs := []input{{cfg.Subscribers, "DIGEST_SUBSCRIBERS"}}
	if !fromEditionFile {
		inputs = append([]input{{cfg.Sources, "DIGEST_SOURCES"}}, inputs...)
	}
	var missing []string
	for _, in := range inputs {
		if _, err := os.Stat(in.path); err != nil {
			missing = append(missing, fmt.Sprintf("%s %s: %v", in.setting, in.path, errors.Unwrap(err)))
		}
	}
	if len(missing) == 0 {
		return nil
	}
	hint := "set them in the environment or a --config file (digest help settings lists every setting)"
	if cfg.Sources == defaultSources {
		hint = "the defaults are the bundled examples, found only in a clone of digest's repository: " + hint
	}
	return usageError{fmt.Errorf("run: %s; %s", strings.Join(missing, "; "), hint)}
}
