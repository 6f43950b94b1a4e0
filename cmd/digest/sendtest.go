package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/digest-newsletter/digest/digest"
	"github.com/digest-newsletter/digest/digest/subscriber"
)

func cmdSendTest(ctx context.Context, e *env, args []string) error {
	flagEnv := map[string]string{}
	fs := newFlagSet(e, "send-test", "--to ADDR", flagEnv)
	to := fs.String("to", "", "address to send the test digest to (required)")
	as := fs.String("as", "", "render as this subscriber from the list (default: a reader named after --to)")
	dry, err := startDry(ctx, e, fs, flagEnv, args)
	if err != nil {
		return err
	}
	defer dry.close()
	cfg, st, log := dry.cfg, dry.st, dry.log
	if err := subscriber.CheckAddress(*to); err != nil {
		return usageError{fmt.Errorf("send-test: --to: %w", err)}
	}
	renderer, err := newRenderer(cfg, time.Now)
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
	sub := digest.Subscriber{Email: *to}
	if *as != "" {
		subs, err := previewSubscribers(ctx, cfg)
		if err != nil {
			return err
		}
		found := false
		for _, s := range subs {
			if s.Email == *as {
				sub, found = s, true
			}
		}
		if !found {
			return usageError{fmt.Errorf("send-test: --as %s is not in %s", *as, cfg.Subscribers)}
		}
	}
	sub.Email = *to // the personalization of --as, mailed to --to
	d := newDispatcher(cfg, st, renderer, transport, log, time.Now)
	reply, err := d.SendOne(ctx, p.Edition, sub)
	if err != nil {
		return fmt.Errorf("send-test: %w", err)
	}
	fmt.Fprintf(e.stdout, "sent edition %s (%d items) to %s via %s: %s\n", p.Edition.ID, len(p.Edition.Items), *to, transport.Channel(), reply)
	return nil
}
