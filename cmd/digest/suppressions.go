package main

import (
	"context"
	"errors"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/digest-newsletter/digest/digest/store"
)

// cmdSuppressions lists the suppression list (digest suppressions, or
// digest suppressions list) or takes addresses off it (digest suppressions
// remove ADDR...): a resubscribe, after which runs mail the address again
// and its earlier soft bounces no longer count. Every address is checked
// before any is removed. Like unsubscribe, it does not take the run lock.
func cmdSuppressions(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "suppressions", "[list | remove ADDR...]")
	cfg, pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	verb := "list"
	if len(pos) > 0 {
		verb, pos = pos[0], pos[1:]
	}
	switch verb {
	case "list":
		if len(pos) > 0 {
			return usageError{fmt.Errorf("suppressions list: unexpected argument %q", pos[0])}
		}
		return listSuppressions(ctx, e, cfg)
	case "remove":
		return removeSuppressions(ctx, e, cfg, pos)
	}
	return usageError{fmt.Errorf("suppressions: unknown verb %q (want list or remove)", verb)}
}

func listSuppressions(ctx context.Context, e *env, cfg *Config) error {
	if stateFileMissing(cfg.State) {
		fmt.Fprintf(e.stdout, "no state at %s: nobody is suppressed\n", cfg.State)
		return nil
	}
	st, err := store.OpenReadOnly(ctx, cfg.State)
	if err != nil {
		return stateError(err)
	}
	defer st.Close()
	list, err := st.Suppressions(ctx)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "EMAIL\tREASON\tSINCE\tDETAIL")
	for _, s := range list {
		detail := s.Detail
		if detail == "" {
			detail = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", s.Email, s.Reason, s.At.Local().Format("2006-01-02 15:04"), detail)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "%d suppressed\n", len(list))
	return nil
}

func removeSuppressions(ctx context.Context, e *env, cfg *Config, args []string) error {
	if len(args) == 0 {
		return usageError{errors.New("suppressions remove: want one or more addresses")}
	}
	emails, err := addressArgs("suppressions remove", args)
	if err != nil {
		return err
	}
	if stateFileMissing(cfg.State) {
		return usageError{fmt.Errorf("suppressions remove: no state at %s", cfg.State)}
	}
	st, err := openWritable(ctx, cfg, e.stderr)
	if err != nil {
		return err
	}
	defer st.Close()
	reasons, err := st.SuppressionReasons(ctx, emails)
	if err != nil {
		return err
	}
	removed, err := st.Unsuppress(ctx, emails, time.Now())
	if err != nil {
		return err
	}
	gone := map[string]bool{}
	for _, r := range removed {
		gone[r] = true
	}
	for _, email := range emails {
		if gone[email] {
			fmt.Fprintf(e.stdout, "%s: removed (was %s); the next run mails it\n", email, reasons[email])
			continue
		}
		fmt.Fprintf(e.stdout, "%s: not suppressed\n", email)
	}
	return nil
}
