// Command digest collects recent articles from feeds, Markdown folders and
// web pages, summarizes them into one templated HTML and plain-text digest,
// and mails it to a subscriber list over SMTP, exactly once per subscriber
// and edition. See README.md.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/digest-newsletter/digest/digest"
	"github.com/digest-newsletter/digest/digest/store"
)

// Exit codes, as the README documents them.
const (
	exitOK       = 0 // all delivered (or nothing owed)
	exitError    = 1 // any other error
	exitUsage    = 2 // bad configuration or input: found before sending, or refused by the SMTP server (login, TLS)
	exitPartial  = 3 // finished, with some deliveries failed or deferred
	exitLocked   = 4 // another run holds the state lock
	exitSources  = 5 // --strict and a source failed
	exitTemplate = exitUsage
)

// env is what a command may touch of the outside world; tests replace it.
type env struct {
	stdout, stderr io.Writer
	stdin          io.Reader
	environ        []string
	flight         store.FlightOptions // the zero value but in tests of a full disk
}

// A command is one verb of the CLI.
type command struct {
	name    string
	summary string
	run     func(ctx context.Context, e *env, args []string) error
}

func commands() []command {
	return []command{
		{"run", "collect, summarize, render and deliver today's edition (the default)", cmdRun},
		{"check", "validate settings, templates, sources and subscribers; list every problem", cmdCheck},
		{"preview", "render the edition to files (or --serve it) without sending or changing state", cmdPreview},
		{"send-test", "send the edition to one address (--to); the journal is untouched", cmdSendTest},
		{"collect", "list the articles the next edition would hold", cmdCollect},
		{"extract", "print the clean main text of a page or article (FILE, URL or -)", cmdExtract},
		{"summarize", "print the summary of one article (FILE, URL or -), a sentence a line", cmdSummarize},
		{"templates", "templates init DIR: write the default templates to DIR", cmdTemplates},
		{"serve", "serve one-click unsubscribe, the web archive of editions and the sign-up form", cmdServe},
		{"unsubscribe", "add an address to the suppression list", cmdUnsubscribe},
		{"subscribers", "subscribers export: write the list the next run mails (the file and the sign-ups) as CSV", cmdSubscribers},
		{"status", "show recent editions and their delivery counts", cmdStatus},
		{"bounces", "read bounces and complaints from MAILBOX (Maildir, mbox, imaps://) and suppress or count them", cmdBounces},
		{"prepare", "freeze the edition into a file for sharded delivery", cmdPrepare},
		{"version", "print the version and the commit digest was built from", cmdVersion},
	}
}

func main() {
	stopProfile, err := startProfile(os.Environ())
	if err != nil {
		fmt.Fprintf(os.Stderr, "digest: %v\n", err)
		os.Exit(exitError)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := Main(ctx, &env{stdout: os.Stdout, stderr: os.Stderr, stdin: os.Stdin, environ: os.Environ()}, os.Args[1:])
	stop()
	stopProfile()
	os.Exit(code)
}

// Main runs the CLI and returns its exit code.
func Main(ctx context.Context, e *env, args []string) int {
	name := "run"
	if len(args) > 0 && len(args[0]) > 0 && args[0][0] != '-' {
		name, args = args[0], args[1:]
	} else if len(args) > 0 && isHelp(args[0]) {
		usage(e.stdout)
		return exitOK
	} else if len(args) > 0 && (args[0] == "--version" || args[0] == "-version") {
		name, args = "version", args[1:]
	}
	for _, c := range commands() {
		if c.name == name {
			return exitCode(e, c.run(ctx, e, args))
		}
	}
	fmt.Fprintf(e.stderr, "digest: unknown command %q (see digest --help)\n", name)
	return exitUsage
}

// isHelp reports whether arg asks for help.
func isHelp(arg string) bool { return arg == "-h" || arg == "--help" || arg == "-help" }

func usage(w io.Writer) {
	fmt.Fprintln(w, "Usage: digest [command] [flags]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Commands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-12s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w)
	printSettings(w)
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Exit codes: 0 delivered, 1 error, 2 bad configuration or input, 3 some failed or deferred, 4 another run holds the lock, 5 a source failed under --strict.")
}

// Errors that choose an exit code.
var (
	errUsage   = errors.New("usage")
	errPartial = errors.New("some deliveries failed or were deferred")
	errSources = errors.New("sources failed under --strict")
)

// usageError marks err as a configuration or input problem (exit 2).
type usageError struct{ err error }

func (u usageError) Error() string { return u.err.Error() }
func (u usageError) Unwrap() error { return u.err }

func exitCode(e *env, err error) int {
	if err == nil {
		return exitOK
	}
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	if errors.Is(err, errPartial) {
		return exitPartial
	}
	fmt.Fprintf(e.stderr, "digest: %v\n", err)
	var ie *digest.InputError
	var ue usageError
	var se *digest.SettingsError
	switch {
	case errors.As(err, &se):
		// The server refused the settings (login, TLS): retrying will not
		// help until they are fixed, and the deliveries are still owed.
		return exitUsage
	case errors.Is(err, digest.ErrLocked):
		return exitLocked
	case errors.Is(err, errSources):
		return exitSources
	case errors.As(err, &ue), errors.As(err, &ie), errors.Is(err, errUsage):
		return exitUsage
	}
	return exitError
}

// newFlagSet returns a flag set with every setting defined; the values go to
// flagEnv. Bad flags are one-line errors.
func newFlagSet(e *env, name, args string, flagEnv map[string]string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	addSettingFlags(fs, flagEnv)
	fs.Usage = func() {
		fmt.Fprintf(e.stdout, "Usage: digest %s [flags] %s\n\nFlags:\n", name, args)
		fs.SetOutput(e.stdout)
		fs.PrintDefaults()
		fs.SetOutput(io.Discard)
	}
	return fs
}

// parseFlags parses args and loads the Config. Errors are usage errors.
func parseFlags(e *env, fs *flag.FlagSet, flagEnv map[string]string, args []string) (*Config, error) {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, err // the flag package has printed the usage
		}
		return nil, usageError{err}
	}
	cfg, err := loadConfig(e.environ, flagEnv, e.stderr)
	if err != nil {
		return nil, usageError{err}
	}
	// From here on, no secret leaves the process by stderr: not in a log
	// line, the status line or the final error.
	e.stderr = cfg.redact.Writer(e.stderr)
	return cfg, nil
}
