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
	flagEnv := map[string]string{}
	fs := newFlagSet(e, "send-test", "--to ADDR [--to ADDR…]", flagEnv)
	var to []string
	fs.Func("to", "address to send the test digest to (required; repeat it, or separate addresses by commas, for several)", func(s string) error {
		for _, a := range strings.Split(s, ",") {
			if a = strings.TrimSpace(a); a != "" {
				to = append(to, a)
			}
		}
		return nil
	})
	as := fs.String("as", "", "render as this subscriber from the list (default: a reader named after --to)")
	dry, err := startDry(ctx, e, fs, flagEnv, args)
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
	p, notice, err := dryEdition(ctx, cfg, st, log)
	if err != nil {
		return err
	}
	if notice != "" {
		fmt.Fprintln(e.stdout, notice)
	}
	if len(p.Edition.Items) == 0 {
		return errors.New("send-test: the edition has no items")
	}
	var as0 *digest.Subscriber
	if *as != "" {
		subs, err := previewSubscribers(ctx, cfg)
		if err != nil {
			return err
		}
		for _, s := range subs {
			if s.Email == *as {
				as0 = &s
			}
		}
		if as0 == nil {
			return usageError{fmt.Errorf("send-test: --as %s is not in %s", *as, cfg.Subscribers)}
		}
	}
	d := newDispatcher(cfg, st, renderer, transport, log, time.Now)
	var failed []error
	for _, addr := range to {
		sub := digest.Subscriber{Email: addr}
		if as0 != nil {
			sub = *as0
			sub.Email = addr // the personalization of --as, mailed to --to
		}
		reply, err := d.SendOne(ctx, p.Edition, sub)
		switch {
		case err != nil:
			failed = append(failed, fmt.Errorf("%s: %w", addr, err))
		case transport.Channel() == "outbox":
			fmt.Fprintf(e.stdout, "wrote edition %s (%d items) for %s to %s: not mailed, no SMTP settings (DIGEST_SMTP_URL)\n",
				p.Edition.ID, len(p.Edition.Items), addr, strings.TrimPrefix(reply, "saved "))
		default:
			fmt.Fprintf(e.stdout, "sent edition %s (%d items) to %s via %s: %s\n", p.Edition.ID, len(p.Edition.Items), addr, transport.Channel(), reply)
		}
	}
	if len(failed) > 0 {
		return fmt.Errorf("send-test: %d of %d not sent: %w", len(failed), len(to), errors.Join(failed...))
	}
	return nil
}
