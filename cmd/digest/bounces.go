package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/mail"
	"os"
	"strings"
	"time"

	"github.com/digest-newsletter/digest/digest"
	"github.com/digest-newsletter/digest/digest/bounce"
	"github.com/digest-newsletter/digest/digest/store"
)

// cmdBounces reads bounces and complaints from a Maildir, an mbox file or
// an IMAP folder and acts on them: hard bounces and complaints suppress
// the address, soft bounces are counted. It takes a lock of its own, so
// that two of it never overlap, but not the run lock: it may read while a
// run delivers. It exits 0 whenever it could read the mailbox, whatever
// it found.
func cmdBounces(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "bounces", "MAILBOX")
	cfg, pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usageError{errors.New("bounces: want one MAILBOX: a Maildir folder, an mbox file or imaps://user@host/Folder")}
	}
	where := pos[0]
	if stateFileMissing(cfg.State) {
		return usageError{fmt.Errorf("bounces: no state at %s: no edition was mailed from it, so no report can be attributed (check --state)", cfg.State)}
	}
	mb, err := openMailbox(ctx, cfg, where)
	if err != nil {
		return err
	}
	defer mb.Close()

	unlock, err := lockBounces(cfg.State)
	if errors.Is(err, digest.ErrLocked) {
		return fmt.Errorf("bounces: another digest bounces is reading: %w", err)
	}
	if err != nil {
		return fmt.Errorf("bounces: %w", err)
	}
	defer unlock()
	st, err := openWritable(ctx, cfg, e.stderr)
	if err != nil {
		return err
	}
	defer st.Close()

	p := &bounce.Processor{
		Store:         st,
		BounceAddress: cfg.Bounce.Address,
		Plain:         []string{cfg.Bounce.Address, addressOf(cfg.From)},
		Policy:        digest.BouncePolicy{SoftLimit: cfg.Bounce.SoftLimit},
		Now:           time.Now,
	}
	if cfg.List.Secret != "" {
		p.Signer = bounce.NewSigner([]byte(cfg.List.Secret))
	}
	sum, err := p.Run(ctx, mb)
	if sum != nil {
		printBounces(e.stdout, sum, cfg.Bounce.SoftLimit)
	}
	if err != nil {
		return fmt.Errorf("bounces: %w", err)
	}
	if cfg.Ops.MetricsFile != "" {
		if err := writeBounceMetrics(ctx, cfg.Ops.MetricsFile, st); err != nil {
			fmt.Fprintf(e.stderr, "digest: warning: metrics not written: %v\n", err)
		}
	}
	return nil
}

// parseInterspersed is parse for commands whose arguments may come
// before their flags ("digest bounces Maildir --state x.db"): it returns
// the arguments that are not flags, in order.
func parseInterspersed(fs *commandFlags, args []string) (*Config, []string, error) {
	var pos []string
	for {
		if err := parseArgs(fs.e, fs.FlagSet, args); err != nil {
			return nil, nil, err
		}
		if fs.NArg() == 0 {
			break
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
	cfg, err := fs.parse(nil)
	return cfg, pos, err
}

// bouncesLockPath is the lock digest bounces takes for the resolved state
// file real (see store.Resolve): beside the state, apart from the run lock.
func bouncesLockPath(real string) string { return real + ".bounces" }

// lockBounces takes the lock that keeps two digest bounces apart: a file
// beside a state file (bouncesLockPath), which belongs to the state file,
// not to the path that names it, as the run's does (a symbolic link to the
// same state finds it held); an advisory lock of its own in a PostgreSQL
// state.
func lockBounces(state string) (func() error, error) {
	if store.IsPostgres(state) {
		return store.LockPostgres(state, "bounces")
	}
	real, err := store.Resolve(state)
	if err != nil {
		return nil, err
	}
	return store.Lock(bouncesLockPath(real))
}

// openMailbox opens the mailbox an argument names. A local path that does
// not exist is bad input (exit 2); an IMAP server that cannot be reached is
// an error (exit 1).
func openMailbox(ctx context.Context, cfg *Config, where string) (bounce.Mailbox, error) {
	if strings.HasPrefix(where, "imaps://") || strings.HasPrefix(where, "imap://") {
		return openIMAP(ctx, cfg, where)
	}
	mb, err := bounce.Open(where)
	if err != nil {
		return nil, usageError{err}
	}
	return mb, nil
}

// printBounces says what digest bounces did, one line a message and a
// summary line.
func printBounces(w io.Writer, s *bounce.Summary, softLimit int) {
	for _, o := range s.Outcomes {
		switch o.Action {
		case bounce.ActionLeft:
			fmt.Fprintf(w, "%s: left: %s\n", o.Message, o.Why)
		case bounce.ActionAlready:
			fmt.Fprintf(w, "%s: already processed\n", o.Message)
		default:
			for _, b := range o.Bounces {
				what := strings.TrimSpace(b.Status + " " + string(b.Kind))
				switch {
				case b.Suppressed:
					fmt.Fprintf(w, "%s: suppressed %s (%s; %s, edition %s)\n", o.Message, b.Email, b.Reason, what, b.Edition)
				case b.WasSuppressed:
					fmt.Fprintf(w, "%s: counted %s (%s, edition %s); already suppressed (%s)\n", o.Message, b.Email, what, b.Edition, b.Reason)
				case b.Kind == digest.SoftBounce:
					fmt.Fprintf(w, "%s: counted %s (%s, edition %s; %d of %d)\n", o.Message, b.Email, what, b.Edition, b.SoftCount, softLimit)
				default:
					fmt.Fprintf(w, "%s: counted %s (%s, edition %s)\n", o.Message, b.Email, what, b.Edition)
				}
			}
		}
	}
	fmt.Fprintf(w, "bounces: %d messages: %d suppressed, %d counted, %d left, %d already processed\n",
		len(s.Outcomes), s.Suppressed, s.Counted, s.Left, s.Already)
}

// addressOf returns the bare address of a From setting, in lower case.
func addressOf(from string) string {
	if a, err := mail.ParseAddress(from); err == nil {
		return strings.ToLower(a.Address)
	}
	return ""
}

// writeBounceMetrics puts the bounce and complaint counters into the
// metrics file, keeping the rest of it.
func writeBounceMetrics(ctx context.Context, path string, st *store.Store) error {
	totals, err := st.BounceTotals(ctx)
	if err != nil {
		return err
	}
	old, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return writeFileAtomic(path, []byte(withBounceMetrics(string(old), totals)), 0o644)
}
