package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/digest-newsletter/digest/digest"
	"github.com/digest-newsletter/digest/digest/store"
	"github.com/digest-newsletter/digest/digest/subscriber"
)

// exportBatch is how many rows export looks up in the suppression list at
// once.
const exportBatch = 500

// cmdSubscribers runs "digest subscribers export [--out FILE]": it writes
// the list the next run mails — the subscriber file, then the confirmed
// sign-ups it does not have — as CSV in the file's own columns (name,
// topics and cadence added when sign-ups need them), to standard output or
// FILE. A suppressed address that would be mailed is written with status
// unsubscribed. Bad rows of the file are named on stderr and left out; then
// the exit code is 2. It streams the list and changes nothing.
func cmdSubscribers(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 || args[0] != "export" {
		if len(args) == 0 || !isHelp(args[0]) {
			return usageError{errors.New("subscribers: want: digest subscribers export [--out FILE]")}
		}
		args = []string{"export", "--help"} // its only subcommand's help
	}
	fs := newFlagSet(e, "subscribers export", "")
	out := fs.String("out", "", "write the CSV to this file instead of standard output")
	dry, err := startDry(ctx, fs, args[1:])
	if err != nil {
		return err
	}
	defer dry.close()
	if fs.NArg() > 0 {
		return usageError{fmt.Errorf("subscribers export: unexpected argument %q", fs.Arg(0))}
	}
	cfg, st := dry.cfg, dry.st
	file := &subscriber.File{Path: cfg.Subscribers}
	cols, err := file.Columns(ctx)
	if err != nil {
		return usageError{err}
	}
	counts, err := st.CountSignups(ctx)
	if err != nil {
		return err
	}
	if counts.Confirmed > 0 {
		for _, c := range []string{"name", "topics", "cadence"} {
			if !slices.Contains(cols, c) {
				cols = append(cols, c)
			}
		}
	}
	var w io.Writer = e.stdout
	if *out != "" {
		f, err := os.Create(*out)
		if err != nil {
			return fmt.Errorf("subscribers export: %w", err)
		}
		defer f.Close()
		bw := bufio.NewWriterSize(f, 64<<10)
		defer bw.Flush()
		w = bw
	}
	cw, err := subscriber.NewWriter(w, cols)
	if err != nil {
		return fmt.Errorf("subscribers export: %w", err)
	}
	n, bad, err := exportList(ctx, e.stderr, st, subscriber.WithSignups{List: file, Signups: signupList{st}}, cw)
	if err == nil {
		err = cw.Flush()
	}
	if err != nil {
		return fmt.Errorf("subscribers export: %w", err)
	}
	if *out != "" {
		fmt.Fprintf(e.stderr, "wrote %d subscribers to %s\n", n, *out)
	}
	if bad > 0 {
		return usageError{fmt.Errorf("subscribers export: %d bad rows of %s left out (listed above)", bad, cfg.Subscribers)}
	}
	return nil
}

// exportList writes every good subscriber of list, marking the suppressed
// ones unsubscribed, and names the bad rows on warn. It returns how many it
// wrote and how many were bad.
func exportList(ctx context.Context, warn io.Writer, st *store.Store, list digest.SubscriberList, cw *subscriber.Writer) (n, bad int, err error) {
	batch := make([]digest.Subscriber, 0, exportBatch)
	flush := func() error {
		emails := make([]string, len(batch))
		for i, s := range batch {
			emails[i] = strings.ToLower(s.Email)
		}
		suppressed, err := st.Suppressed(ctx, emails)
		if err != nil {
			return err
		}
		for i, s := range batch {
			if suppressed[emails[i]] && s.Mailable() {
				s.Status = digest.StatusUnsubscribed
			}
			if err := cw.Write(s); err != nil {
				return err
			}
		}
		n += len(batch)
		batch = batch[:0]
		return nil
	}
	for sub, err := range list.Subscribers(ctx) {
		if err != nil {
			var ie *digest.InputError
			if !errors.As(err, &ie) {
				return n, bad, err
			}
			fmt.Fprintf(warn, "left out: %v\n", err)
			bad++
			continue
		}
		batch = append(batch, sub)
		if len(batch) == exportBatch {
			if err := flush(); err != nil {
				return n, bad, err
			}
		}
	}
	return n, bad, flush()
}
