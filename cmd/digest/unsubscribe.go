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
	emails, err := addressArgs("unsubscribe", fs.Args())
	if err != nil {
		return err
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

// addressArgs returns the addresses given on the command line of cmd,
// lower-cased, or a usage error naming every argument that is not a bare
// address (a display name is refused too: "Ada <ada@example.com>").
func addressArgs(cmd string, args []string) ([]string, error) {
	var emails, bad []string
	for _, arg := range args {
		a, err := mail.ParseAddress(arg)
		if err != nil || a.Name != "" || !strings.Contains(a.Address, "@") {
			bad = append(bad, fmt.Sprintf("%q", arg))
			continue
		}
		emails = append(emails, strings.ToLower(a.Address))
	}
	if len(bad) > 0 {
		return nil, usageError{fmt.Errorf("%s: not an address: %s", cmd, strings.Join(bad, ", "))}
	}
	return emails, nil
}
