package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/digest-newsletter/digest/digest"
	"github.com/digest-newsletter/digest/digest/render"
	"github.com/digest-newsletter/digest/digest/subscriber"
)

// cmdSendTest mails the edition to the --to addresses, or writes it to the
// outbox without SMTP settings; the journal is untouched. Each subject
// starts with DIGEST_TEST_SUBJECT_PREFIX, so a test is never taken for the
// real issue.
func cmdSendTest(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "send-test", "--to ADDR [--to ADDR…]")
	var to []string
	fs.Func("to", "send the test digest to `ADDR` (required; repeat it, or separate addresses by commas, for several)", func(s string) error {
		for _, a := range strings.Split(s, ",") {
			if a = strings.TrimSpace(a); a != "" {
				to = append(to, a)
			}
		}
		return nil
	})
	as := fs.String("as", "", "send --to what a run sends `ADDR`, a subscriber of the list or the sign-ups: their edition, their topics (default: every item, to a reader named after --to)")
	dry, err := startDry(ctx, fs, args)
	if err != nil {
		return err
	}
	defer dry.close()
	cfg, st, log := dry.cfg, dry.st, dry.log
	if len(to) == 0 {
		return usageError{errors.New("send-test: --to ADDR is required")}
	}
	for _, a := range to {
		if err := subscriber.CheckAddress(a); err != nil {
			return usageError{fmt.Errorf("send-test: --to: %w", err)}
		}
	}
	opts := rendererOptions(cfg, time.Now)
	opts.SubjectPrefix = cfg.TestPrefix
	renderer, err := render.New(opts)
	if err != nil {
		return err
	}
	transport, err := newTransport(cfg)
	if err != nil {
		return err
	}
	eds, daily, notice, err := dryEditions(ctx, cfg, st, log)
	if err != nil {
		return err
	}
	if notice != "" {
		fmt.Fprintln(e.stdout, notice)
	}
	if eds.Daily == nil && eds.Weekly == nil {
		return fmt.Errorf("send-test: edition %s has no items", daily.Edition.ID)
	}
	d := newDispatcher(cfg, st, renderer, transport, log, time.Now)
	// Without --as, a reader of every item of the daily edition, or of the
	// weekly one when only that has items.
	ed := eds.Daily
	if ed == nil {
		ed = eds.Weekly
	}
	var as0 *digest.Subscriber
	if *as != "" {
		sub, err := findSubscriber(ctx, cfg, st, *as)
		if err != nil {
			return fmt.Errorf("send-test: --as: %w", err)
		}
		// The message --as gets from a run: their edition, their topics.
		if ed, err = d.Preview(ctx, eds, sub); err != nil {
			return fmt.Errorf("send-test: --as: %w", err)
		}
		as0 = &sub
	}
	var failed []error
	for _, addr := range to {
		sub := digest.Subscriber{Email: addr}
		if as0 != nil {
			sub = *as0
			sub.Email = addr // the personalization of --as, mailed to --to
		}
		reply, err := d.SendOne(ctx, ed, sub)
		switch {
		case err != nil:
			failed = append(failed, fmt.Errorf("%s: %w", addr, err))
		case transport.Channel() == "outbox":
			fmt.Fprintf(e.stdout, "wrote edition %s (%d items) for %s to %s: not mailed, no SMTP settings (DIGEST_SMTP_URL)\n",
				ed.ID, len(ed.Items), addr, strings.TrimPrefix(reply, "saved "))
		default:
			fmt.Fprintf(e.stdout, "sent edition %s (%d items) to %s via %s: %s\n", ed.ID, len(ed.Items), addr, transport.Channel(), reply)
		}
	}
	if len(failed) > 0 {
		return fmt.Errorf("send-test: %d of %d not sent: %w", len(failed), len(to), errors.Join(failed...))
	}
	return nil
}
