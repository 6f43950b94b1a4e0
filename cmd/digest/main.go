// Command digest collects recent articles from feeds, Markdown folders and
// web pages, summarizes them into one templated HTML and plain-text digest,
// and mails it to a subscriber list over SMTP, exactly once per subscriber
// and edition. See README.md.
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
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
		{"send-test", "send the edition, marked as a test, to the --to addresses; the journal is untouched", cmdSendTest},
		{"collect", "list the articles the next edition would hold", cmdCollect},
		{"extract", "print the clean main text of a page or article (FILE, URL or -)", cmdExtract},
		{"summarize", "print the summary of one article (FILE, URL or -), a sentence a line", cmdSummarize},
		{"templates", "write the default templates into a folder to edit: templates init DIR", cmdTemplates},
		{"serve", "serve one-click unsubscribe, the web archive of editions and the sign-up form", cmdServe},
		{"unsubscribe", "add an address to the suppression list", cmdUnsubscribe},
		{"subscribers", "subscribers export: write the list the next run mails (the file and the sign-ups) as CSV", cmdSubscribers},
		{"status", "show recent editions, their delivery counts, bounces and complaints, and the complaint rate", cmdStatus},
		{"suppressions", "list the suppression list with reasons, or remove ADDR... from it (a resubscribe)", cmdSuppressions},
		{"bounces", "read bounces and complaints from MAILBOX (Maildir, mbox, imaps://) and suppress or count them", cmdBounces},
		{"migrate", "upgrade the state's schema to this digest's version (a PostgreSQL state is upgraded only so)", cmdMigrate},
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
	if name == "help" {
		return help(ctx, e, args)
	}
	if c, ok := findCommand(name); ok {
		return exitCode(e, c.run(ctx, e, args))
	}
	return unknownCommand(e, name)
}

// findCommand returns the command called name.
func findCommand(name string) (command, bool) {
	for _, c := range commands() {
		if c.name == name {
			return c, true
		}
	}
	return command{}, false
}

// unknownCommand says name is no command, suggests the nearest, and
// returns exitUsage.
func unknownCommand(e *env, name string) int {
	names := []string{"help"}
	for _, c := range commands() {
		names = append(names, c.name)
	}
	fmt.Fprintf(e.stderr, "digest: unknown command %s%s\nUsage: digest [command] [flags]; digest help lists the commands\n", name, didYouMean(name, names))
	return exitUsage
}

// help runs "digest help [settings | COMMAND]".
func help(ctx context.Context, e *env, args []string) int {
	switch {
	case len(args) == 0:
		usage(e.stdout)
		return exitOK
	case args[0] == "settings":
		printSettings(e.stdout)
		return exitOK
	}
	if c, ok := findCommand(args[0]); ok {
		return exitCode(e, c.run(ctx, e, []string{"--help"}))
	}
	return unknownCommand(e, args[0])
}

// isHelp reports whether arg asks for help.
func isHelp(arg string) bool { return arg == "-h" || arg == "--help" || arg == "-help" }

// usage is digest's own help: the commands and where to read more.
func usage(w io.Writer) {
	fmt.Fprintln(w, "Usage: digest [command] [flags]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "digest collects recent articles from feeds and pages, summarizes them into one")
	fmt.Fprintln(w, "digest, and mails it to a subscriber list, exactly once per subscriber and edition.")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Commands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-12s %s\n", c.name, c.summary)
	}
	fmt.Fprintf(w, "  %-12s %s\n", "help", "help COMMAND: a command's own flags; help settings: every setting")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Every setting is a DIGEST_ variable and a flag of every command: digest help settings.")
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

// commandFlags are one command's flags: its own, defined by the command,
// and one for every setting. parse reads them and loads the Config.
type commandFlags struct {
	*flag.FlagSet
	e *env
	// settings holds the settings given as flags, by variable name
	// (DIGEST_SMTP_URL): they win over the environment and the file.
	settings map[string]string
}

// newFlagSet returns a command's flags with every setting defined. Its
// help says what the command does and lists the command's own flags, the
// settings being one line; bad flags are one-line errors.
func newFlagSet(e *env, name, args string) *commandFlags {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	f := &commandFlags{FlagSet: fs, e: e, settings: map[string]string{}}
	addSettingFlags(fs, f.settings)
	fs.Usage = func() { commandHelp(fs.Output(), fs, args) }
	return f
}

// parseArgs parses args with fs. Asked for help, it prints the help to
// stdout and returns flag.ErrHelp; a bad flag is a one-line usage error,
// without the help that the flag package writes then too.
func parseArgs(e *env, fs *flag.FlagSet, args []string) error {
	var help bytes.Buffer
	fs.SetOutput(&help)
	err := fs.Parse(args)
	fs.SetOutput(io.Discard)
	switch {
	case errors.Is(err, flag.ErrHelp):
		e.stdout.Write(help.Bytes())
		return err
	case err != nil:
		return usageError{flagError(fs, err)}
	}
	return nil
}

// commandHelp writes a command's help: its usage line, what it does (the
// summary of commands), its own flags, and where the settings are.
func commandHelp(w io.Writer, fs *flag.FlagSet, args string) {
	fmt.Fprintf(w, "Usage: %s\n", usageLine(fs, args))
	first, _, _ := strings.Cut(fs.Name(), " ")
	if c, ok := findCommand(first); ok {
		fmt.Fprintf(w, "\n%s%s.\n", strings.ToUpper(c.summary[:1]), c.summary[1:])
	}
	own, settings := false, false
	fs.VisitAll(func(f *flag.Flag) {
		if _, setting := f.Value.(*settingFlag); setting {
			settings = true
			return
		}
		if !own {
			fmt.Fprintln(w, "\nFlags:")
			own = true
		}
		kind, text := flag.UnquoteUsage(f)
		if kind != "" {
			kind = " " + kind
		}
		fmt.Fprintf(w, "  --%s%s\n    \t%s", f.Name, kind, text)
		if f.DefValue != "" && f.DefValue != "false" && f.DefValue != "0" {
			fmt.Fprintf(w, " (default %s)", f.DefValue)
		}
		fmt.Fprintln(w)
	})
	if settings {
		fmt.Fprintln(w, "\nAll settings (--config, --sources, --smtp-url, --edition, …) are flags here too: digest help settings")
	}
}

// usageLine is "digest NAME [flags] ARGS".
func usageLine(fs *flag.FlagSet, args string) string {
	return strings.TrimSpace("digest " + fs.Name() + " [flags] " + args)
}

// flagError turns a flag package error into one that names the flag as
// typed, suggests the nearest flag the command has, and gives the usage
// line.
func flagError(fs *flag.FlagSet, err error) error {
	name, ok := strings.CutPrefix(err.Error(), "flag provided but not defined: -")
	if !ok {
		return fmt.Errorf("%s: %w", fs.Name(), err)
	}
	var names []string
	fs.VisitAll(func(f *flag.Flag) { names = append(names, f.Name) })
	suggest := ""
	if n := nearest(name, names); n != "" {
		suggest = "; did you mean --" + n + "?"
	}
	// The usage line is the first of the command's help.
	var help bytes.Buffer
	out := fs.Output()
	fs.SetOutput(&help)
	fs.Usage()
	fs.SetOutput(out)
	usage, _, _ := strings.Cut(help.String(), "\n")
	return fmt.Errorf("%s: unknown flag --%s%s\n%s (digest %s --help lists its flags)", fs.Name(), name, suggest, usage, fs.Name())
}

// parse parses args and loads the Config. Errors are usage errors.
func (f *commandFlags) parse(args []string) (*Config, error) {
	if err := parseArgs(f.e, f.FlagSet, args); err != nil {
		return nil, err
	}
	cfg, err := loadConfig(f.e.environ, f.settings, f.e.stderr)
	if err != nil {
		return nil, usageError{err}
	}
	// From here on, no secret leaves the process by stderr: not in a log
	// line, the status line or the final error.
	f.e.stderr = cfg.redact.Writer(f.e.stderr)
	return cfg, nil
}
