package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/digest-newsletter/digest/digest"
	"github.com/digest-newsletter/digest/digest/store"
	"github.com/digest-newsletter/digest/digest/subscriber"
)

func cmdRun(ctx context.Context, e *env, args []string) error {
	flagEnv := map[string]string{}
	fs := newFlagSet(e, "run", "", flagEnv)
	resendUnknown := fs.Bool("resend-unknown", false, "resend deliveries a crashed run left unknown (they may arrive twice)")
	cfg, err := parseFlags(e, fs, flagEnv, args)
	if err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Errorf("run: unexpected argument %q", fs.Arg(0))}
	}
	log := newLogger(e.stderr, cfg)
	now := time.Now

	renderer, err := newRenderer(cfg, now)
	if err != nil {
		return err
	}
	transport, err := newTransport(cfg)
	if err != nil {
		return err
	}
	st, closeState, err := openState(ctx, cfg)
	if err != nil {
		return err
	}
	defer closeState()
	// A run killed half-way left a flight log: settle its deliveries first.
	rec, err := st.RecoverFlight(ctx, store.FlightPath(cfg.State))
	if err != nil {
		return err
	}
	if rec.Found {
		log.Warn("recovered from a run that did not finish", "pending_again", rec.Pending, "results_recorded", rec.Finished,
			"unknown", rec.Unknown, "log_from_before_a_reboot", rec.Ignored)
	}

	editor, err := newEditor(cfg, st, log, now)
	if err != nil {
		return err
	}
	eds, failures, err := prepareEditions(ctx, cfg, editor, now())
	if err != nil {
		return err
	}
	if eds.Daily == nil && eds.Weekly == nil {
		log.Warn("no new articles: nothing to send", "edition", digest.EditionID(now(), cfg.tz))
		return nil
	}

	// A template that fails must stop the run before the first message.
	sample, err := firstSubscriber(ctx, cfg)
	if err != nil {
		return err
	}
	for _, ed := range []*digest.Edition{eds.Daily, eds.Weekly} {
		if ed == nil {
			continue
		}
		if err := renderer.Check(ed, sample); err != nil {
			return err
		}
	}

	d := newDispatcher(cfg, st, renderer, transport, log, now)
	d.ResendUnknown = *resendUnknown
	if d.Flight, err = store.OpenFlight(store.FlightPath(cfg.State)); err != nil {
		return err
	}
	d.Progress = newProgress(e, cfg, log)
	rep, err := d.Deliver(ctx, eds)
	rep.SourceFailures = failures
	finishReport(e, cfg, log, rep)
	if err != nil {
		return err
	}
	if cfg.Ops.Report != "" {
		if err := writeJSON(cfg.Ops.Report, rep); err != nil {
			return err
		}
	}
	if !rep.Complete() {
		return errPartial
	}
	return nil
}

// prepareEditions makes (or loads) today's daily edition and, on the weekly
// day, the weekly one. An edition with no items is left out.
func prepareEditions(ctx context.Context, cfg *Config, editor *digest.Editor, now time.Time) (digest.Editions, []digest.SourceFailure, error) {
	var eds digest.Editions
	id := cfg.Edition
	if id == "" {
		id = digest.EditionID(now, cfg.tz)
	}
	p, err := editor.Prepare(ctx, id, false)
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
		w, err := editor.PrepareWeekly(ctx, digest.WeeklyEditionID(now, cfg.tz), false)
		if err != nil {
			return eds, nil, err
		}
		if len(w.Edition.Items) > 0 {
			eds.Weekly = w.Edition
		}
	}
	return eds, p.Failures, nil
}

// firstSubscriber returns the first good row of the list, to check the
// templates against real columns; a made-up reader if the list has none.
func firstSubscriber(ctx context.Context, cfg *Config) (digest.Subscriber, error) {
	list := &subscriber.File{Path: cfg.Subscribers}
	for sub, err := range list.Subscribers(ctx) {
		if err != nil {
			var ie *digest.InputError
			if errors.As(err, &ie) && !errors.Is(err, subscriber.ErrNoEmailColumn) {
				continue
			}
			return digest.Subscriber{}, usageError{err}
		}
		return sub, nil
	}
	return digest.Subscriber{Email: "reader@example.com", Name: "Reader"}, nil
}

// finishReport logs the run's outcome in words a person reads at the end.
func finishReport(e *env, cfg *Config, log interface {
	Warn(string, ...any)
	Info(string, ...any)
}, r *digest.Report) {
	for _, f := range r.SourceFailures {
		log.Warn("source failed", "source", f.Source, "err", f.Err)
	}
	for _, p := range r.Problems {
		log.Warn("not delivered", "email", p.Email, "status", p.Status, "reply", p.Reply)
	}
	if r.Stopped != "" {
		log.Warn("sending stopped early", "reason", r.Stopped)
	}
	if r.Sent == 0 && r.AlreadySent > 0 && r.Complete() {
		fmt.Fprintf(e.stderr, "edition %v was already delivered to all %d subscribers (%s); nothing sent\n", r.Editions, r.AlreadySent, r.Channel)
		return
	}
	fmt.Fprintf(e.stderr, "edition %v via %s: %s\n", r.Editions, r.Channel, r.Summary())
}

func writeJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

func readFile(path string) ([]byte, error) { return os.ReadFile(path) }

// newProgress returns the progress hook: nothing for now beyond the final
// summary.
func newProgress(e *env, cfg *Config, log interface{ Info(string, ...any) }) func(*digest.Report) {
	return nil
}
