package main

import (
	"context"
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"time"
)

// cmdUnsubscribe puts addresses on the suppression list (reason "manual"),
// so that no later run mails them. Every address is checked before any is
// written: one bad address is a usage error and changes nothing. Like
// serve, it does not take the run lock.
func cmdUnsubscribe(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "unsubscribe", "ADDR [ADDR...]")
	cfg, err := fs.parse(args)
	if err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return usageError{errors.New("unsubscribe: want one or more addresses")}
	}
	var emails, bad []string
	for _, arg := range fs.Args() {
		a, err := mail.ParseAddress(arg)
		if err != nil || a.Name != "" || !strings.Contains(a.Address, "@") {
			bad = append(bad, fmt.Sprintf("%q", arg))
			continue
		}
		emails = append(emails, strings.ToLower(a.Address))
	}
	if len(bad) > 0 {
		return usageError{fmt.Errorf("unsubscribe: not an address: %s", strings.Join(bad, ", "))}
	}
	st, err := openWritable(ctx, cfg, e.stderr)
	if err != nil {
		return err
	}
	defer st.Close()
	already, err := st.Suppressed(ctx, emails)
	if err != nil {
		return fmt.Errorf("unsubscribe: %w", err)
	}
	now := time.Now()
	for _, email := range emails {
		if already[email] {
			fmt.Fprintf(e.stdout, "%s: already suppressed\n", email)
			continue
		}
		if err := st.Suppress(ctx, email, "manual", now); err != nil {
			return fmt.Errorf("unsubscribe: %w", err)
		}
		already[email] = true
		fmt.Fprintf(e.stdout, "%s: suppressed\n", email)
	}
	return nil
}
