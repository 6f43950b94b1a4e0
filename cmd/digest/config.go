package main

import (
	"bufio"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/mail"
	"net/url"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	envparse "github.com/caarlos0/env/v11"

	"github.com/digest-newsletter/digest/digest"
	"github.com/digest-newsletter/digest/digest/bounce"
	"github.com/digest-newsletter/digest/digest/render"
	"github.com/digest-newsletter/digest/digest/store"
)

// Config is every setting of digest. Each field is read from its DIGEST_*
// environment variable and can be given as the flag named in its flag tag,
// which wins. A --config file of KEY=value lines is read first; real
// environment variables win over it.
type Config struct {
	ConfigFile string `env:"CONFIG" flag:"config" help:"read KEY=value settings from this file first (dotenv format)"`

	redact  *redactor // knows every secret below; see secrets
	dkimKey string    // the DKIM key file's contents, to redact

	Sources     string `env:"SOURCES" envDefault:"examples/sources.txt" flag:"sources" help:"sources list: one feed URL, feed file, Markdown folder or page a line; or an OPML file"`
	Subscribers string `env:"SUBSCRIBERS" envDefault:"subscribers.example.csv" flag:"subscribers" help:"subscriber list (CSV with an email column)"`
	State       string `env:"STATE" envDefault:"digest.db" flag:"state" help:"state: editions, journal, suppression list; a SQLite file, or a postgres:// URL"`
	NewState    bool   `env:"NEW_STATE" flag:"new-state" help:"for one run: a file at the state's path that is not digest's state (empty, or another file) is renamed to STATE.aside-TIME and a new state is made"`
	Templates   string `env:"TEMPLATES" flag:"templates" help:"folder of templates to use instead of the built-in ones"`
	Outbox      string `env:"OUTBOX" envDefault:"outbox" flag:"outbox" help:"folder for .eml files when no SMTP URL is set"`

	Name             string         `env:"NAME" envDefault:"The Digest" flag:"name" help:"the newsletter's name, shown in the subject and the header"`
	TestPrefix       string         `env:"TEST_SUBJECT_PREFIX" envDefault:"[TEST] " flag:"test-subject-prefix" help:"put before the subject of each message digest send-test sends"`
	From             string         `env:"FROM" envDefault:"The Digest <digest@localhost>" flag:"from" help:"sender address"`
	Edition          string         `env:"EDITION" flag:"edition" help:"edition ID: a date (2026-12-07), an ISO week (2026-W50) or a name of up to 64 letters, digits, . _ - (default: today's date in the time zone)"`
	Timezone         string         `env:"TIMEZONE" envDefault:"Local" flag:"timezone" help:"time zone of edition dates (IANA name)"`
	MaxItems         int            `env:"MAX_ITEMS" envDefault:"20" flag:"max-items" help:"most items in an edition"`
	Window           time.Duration  `env:"WINDOW" flag:"window" help:"only articles published within this duration (default: any age)"`
	Weekday          string         `env:"WEEKLY_DAY" envDefault:"monday" flag:"weekly-day" help:"weekday on which weekly subscribers get their edition"`
	Note             string         `env:"NOTE" flag:"note" help:"editor's note for the edition: a Markdown file"`
	NoteUnsafeHTML   bool           `env:"NOTE_UNSAFE_HTML" flag:"note-unsafe-html" help:"let raw HTML in the editor's note through"`
	Strict           bool           `env:"STRICT" flag:"strict" help:"treat any failing source as an error"`
	DeferMaxAge      time.Duration  `env:"DEFER_MAX_AGE" envDefault:"48h" flag:"defer-max-age" help:"retry deferred deliveries until the edition is this old"`
	SummaryWords     int            `env:"SUMMARY_WORDS" envDefault:"60" flag:"summary-words" help:"blurb length budget in words"`
	SummarySentences int            `env:"SUMMARY_SENTENCES" envDefault:"3" flag:"summary-sentences" help:"most sentences in a blurb"`
	Lang             string         `env:"LANG" envDefault:"en" flag:"lang" help:"language of the newsletter (the HTML lang attribute)"`
	LogoURL          string         `env:"LOGO_URL" flag:"logo-url" help:"logo shown above the newsletter's name: an absolute https URL of an image"`
	GroupBy          string         `env:"GROUP_BY" envDefault:"source" flag:"group-by" help:"group the items under headings: source, topic (their first tag) or none"`
	Accent           string         `env:"ACCENT_COLOR" flag:"accent-color" help:"colour of links and titles in the HTML message: #rgb or #rrggbb (default #0b57d0)"`
	Fetch            FetchConfig    `envPrefix:""`
	SMTP             SMTPConfig     `envPrefix:""`
	List             ListConfig     `envPrefix:""`
	Signup           SignupConfig   `envPrefix:""`
	Bounce           BounceConfig   `envPrefix:""`
	LLM              LLMConfig      `envPrefix:""`
	Ops              OpsConfig      `envPrefix:""`
	tz               *time.Location `env:"-"`
}

// FetchConfig holds the settings of source collection.
type FetchConfig struct {
	Concurrency int           `env:"FETCH_CONCURRENCY" envDefault:"16" flag:"fetch-concurrency" help:"sources fetched at once"`
	Timeout     time.Duration `env:"FETCH_TIMEOUT" envDefault:"20s" flag:"fetch-timeout" help:"timeout of one HTTP request"`
	Deadline    time.Duration `env:"COLLECT_TIMEOUT" envDefault:"2m" flag:"collect-timeout" help:"deadline for collecting all sources"`
	MaxBytes    int64         `env:"FETCH_MAX_BYTES" envDefault:"10485760" flag:"fetch-max-bytes" help:"largest response accepted, in bytes"`
}

// SMTPConfig holds the settings of delivery.
type SMTPConfig struct {
	URL          string        `env:"SMTP_URL" flag:"smtp-url" help:"smtp://host:port (STARTTLS; ?tls=none for plain), smtps://host:port; unset: write the outbox"`
	Username     string        `env:"SMTP_USERNAME" flag:"smtp-username" help:"SMTP user (or in the URL)"`
	Password     string        `env:"SMTP_PASSWORD" flag:"-" help:"SMTP password (environment only)"`
	PasswordFile string        `env:"SMTP_PASSWORD_FILE" flag:"smtp-password-file" help:"file holding the SMTP password"`
	Concurrency  int           `env:"SMTP_CONCURRENCY" envDefault:"4" flag:"smtp-concurrency" help:"SMTP connections used at once"`
	Rate         float64       `env:"SMTP_RATE" flag:"smtp-rate" help:"most messages a second, all connections together (0: no limit)"`
	PerConn      int           `env:"SMTP_MAX_PER_CONN" envDefault:"100" flag:"smtp-max-per-conn" help:"messages sent on one connection before it is renewed"`
	Timeout      time.Duration `env:"SMTP_TIMEOUT" envDefault:"30s" flag:"smtp-timeout" help:"connect and command timeout"`
	MaxFailures  int           `env:"SMTP_MAX_FAILURES" envDefault:"20" flag:"smtp-max-failures" help:"consecutive failures after which the run stops sending"`
	Retries      int           `env:"SMTP_RETRIES" envDefault:"3" flag:"smtp-retries" help:"attempts of a temporarily refused message within one run"`
	DKIMKeyFile  string        `env:"DKIM_KEY_FILE" flag:"dkim-key-file" help:"PEM private key for DKIM signing"`
	DKIMSelector string        `env:"DKIM_SELECTOR" flag:"dkim-selector" help:"DKIM selector"`
	DKIMDomain   string        `env:"DKIM_DOMAIN" flag:"dkim-domain" help:"DKIM signing domain (default: the sender's domain)"`
}

// ListConfig holds the settings of unsubscribing and the web archive.
type ListConfig struct {
	BaseURL    string `env:"BASE_URL" flag:"base-url" help:"public https URL of 'digest serve': unsubscribe links and the web archive"`
	Secret     string `env:"SECRET" flag:"-" help:"key for unsubscribe tokens, at least 32 bytes (environment only)"`
	SecretFile string `env:"SECRET_FILE" flag:"secret-file" help:"file holding the unsubscribe token key"`
	Mailto     string `env:"UNSUBSCRIBE_MAILTO" flag:"unsubscribe-mailto" help:"address for mailto: unsubscribe requests"`
}

// SignupConfig holds the settings of sign-ups through digest serve.
type SignupConfig struct {
	Enabled  bool          `env:"SIGNUP" flag:"signup" help:"serve the sign-up form with double opt-in at /subscribe (digest serve; needs BASE_URL)"`
	Topics   []string      `env:"SIGNUP_TOPICS" flag:"signup-topics" help:"topics the sign-up form offers, comma-separated (none: no choice, every item)"`
	Cadences []string      `env:"SIGNUP_CADENCES" envDefault:"daily" flag:"signup-cadences" help:"cadences the sign-up form offers, comma-separated, the first the default: daily, weekly"`
	Origins  []string      `env:"SIGNUP_ORIGINS" flag:"signup-origins" help:"web origins whose pages may POST JSON sign-ups (CORS), comma-separated, like https://example.com"`
	Interval time.Duration `env:"SIGNUP_INTERVAL" envDefault:"10m" flag:"signup-interval" help:"least time between two confirmation mails to one address"`
	PerIP    int           `env:"SIGNUP_PER_IP" envDefault:"20" flag:"signup-per-ip" help:"most sign-ups an hour from one IP address (an IPv6 /64)"`
	Expiry   time.Duration `env:"SIGNUP_EXPIRY" envDefault:"48h" flag:"signup-expiry" help:"how long a confirmation link works"`
	IPHeader string        `env:"CLIENT_IP_HEADER" flag:"client-ip-header" help:"header with the client's address set by the proxy in front of digest serve (X-Forwarded-For: its last address); unset: the connection's"`
	Welcome  string        `env:"WELCOME" flag:"welcome" help:"latest: mail the latest edition to a new sign-up at once; unset: from the next run"`
}

// BounceConfig holds the settings of bounce and complaint handling.
type BounceConfig struct {
	Address      string `env:"BOUNCE_ADDRESS" flag:"bounce-address" help:"return path base: messages are sent from bounces+TOKEN@domain (needs DIGEST_SECRET); digest bounces reads what comes back"`
	SoftLimit    int    `env:"SOFT_BOUNCE_LIMIT" envDefault:"3" flag:"soft-bounce-limit" help:"soft bounces on distinct editions within 30 days that suppress an address"`
	IMAPPassword string `env:"IMAP_PASSWORD" flag:"-" help:"password of the imaps:// mailbox digest bounces reads (environment only)"`
	IMAPPassFile string `env:"IMAP_PASSWORD_FILE" flag:"imap-password-file" help:"file holding the IMAP password"`
}

// LLMConfig holds the settings of the optional model summaries.
type LLMConfig struct {
	URL     string `env:"LLM_URL" flag:"llm-url" help:"OpenAI-compatible chat completions URL; unset: extractive blurbs"`
	Model   string `env:"LLM_MODEL" flag:"llm-model" help:"model name"`
	Key     string `env:"LLM_KEY" flag:"-" help:"API key (environment only)"`
	KeyFile string `env:"LLM_KEY_FILE" flag:"llm-key-file" help:"file holding the API key"`
}

// OpsConfig holds the settings of running from cron.
type OpsConfig struct {
	LogFormat   string `env:"LOG_FORMAT" envDefault:"text" flag:"log-format" help:"text or json"`
	Quiet       bool   `env:"QUIET" flag:"quiet" help:"print only warnings and problems: a run that delivered everything prints nothing"`
	Report      string `env:"REPORT" flag:"report" help:"write the run's summary as JSON to this file"`
	MetricsFile string `env:"METRICS_FILE" flag:"metrics-file" help:"write Prometheus textfile metrics here"`
	PingURL     string `env:"PING_URL" flag:"ping-url" help:"URL pinged on start (/start), success and failure (/fail)"`
}

const envPrefix = "DIGEST_"

// setting describes one Config field for flags and help.
type setting struct {
	Env, Flag, Help, Default string
	Field                    string // the Config field's name (not unique across nested structs)
	Bool                     bool
}

// settings lists every setting of Config, in declaration order.
func settings() []setting {
	var out []setting
	var walk func(t reflect.Type)
	walk = func(t reflect.Type) {
		for i := range t.NumField() {
			f := t.Field(i)
			if f.Type.Kind() == reflect.Struct && f.Tag.Get("env") == "" {
				walk(f.Type)
				continue
			}
			name := f.Tag.Get("env")
			if name == "" || name == "-" {
				continue
			}
			out = append(out, setting{
				Env:     envPrefix + name,
				Flag:    f.Tag.Get("flag"),
				Help:    f.Tag.Get("help"),
				Default: f.Tag.Get("envDefault"),
				Field:   f.Name,
				Bool:    f.Type.Kind() == reflect.Bool,
			})
		}
	}
	walk(reflect.TypeFor[Config]())
	return out
}

// addSettingFlags defines one flag per setting on fs. A flag's value is
// written into flagEnv under the setting's variable, so that flags are one
// more layer of the environment and are parsed and checked the same way.
func addSettingFlags(fs *flag.FlagSet, flagEnv map[string]string) {
	for _, s := range settings() {
		if s.Flag == "" || s.Flag == "-" {
			continue
		}
		usage := fmt.Sprintf("%s (%s", s.Help, s.Env)
		if s.Default != "" {
			usage += ", default " + s.Default
		}
		usage += ")"
		fs.Var(&settingFlag{env: s.Env, values: flagEnv, isBool: s.Bool}, s.Flag, usage)
	}
}

// settingFlag is the flag of one setting: it records its value under the
// setting's environment variable.
type settingFlag struct {
	env    string
	values map[string]string
	isBool bool
}

func (f *settingFlag) String() string {
	if f == nil || f.values == nil {
		return ""
	}
	return f.values[f.env]
}

func (f *settingFlag) Set(v string) error {
	f.values[f.env] = v
	return nil
}

// IsBoolFlag lets boolean settings be given as --strict, without a value.
func (f *settingFlag) IsBoolFlag() bool { return f != nil && f.isBool }

// loadConfig builds the Config from, lowest first: the defaults, the
// --config file, the environment, the flags. Warnings about the file go to
// warn.
func loadConfig(environ []string, flagEnv map[string]string, warn io.Writer) (*Config, error) {
	envMap := map[string]string{}
	for _, kv := range environ {
		if k, v, ok := strings.Cut(kv, "="); ok {
			envMap[k] = v
		}
	}
	merged := map[string]string{}
	file := flagEnv[envPrefix+"CONFIG"]
	if file == "" {
		file = envMap[envPrefix+"CONFIG"]
	}
	if file != "" {
		fileEnv, err := readDotenv(file, warn)
		if err != nil {
			return nil, err
		}
		for k, v := range fileEnv {
			merged[k] = v
		}
	}
	for k, v := range envMap {
		merged[k] = v
	}
	for k, v := range flagEnv {
		merged[k] = v
	}
	warnUnknownVariables(envMap, warn)
	var cfg Config
	if err := envparse.ParseWithOptions(&cfg, envparse.Options{Environment: merged, Prefix: envPrefix}); err != nil {
		return nil, fmt.Errorf("config: %w", unwrapEnvError(err, merged))
	}
	if err := cfg.resolveSecrets(warn); err != nil {
		return nil, err
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg.warnExposed(flagEnv, warn)
	cfg.redact = newRedactor(cfg.secrets())
	return &cfg, nil
}

// knownVariables returns every DIGEST_ variable digest reads: the settings,
// and the profiling variables, which are not settings.
func knownVariables() []string {
	var out []string
	for _, s := range settings() {
		out = append(out, s.Env)
	}
	return append(out, envPrefix+"CPUPROFILE", envPrefix+"MEMPROFILE")
}

// isKnownVariable reports whether name is a variable digest reads.
func isKnownVariable(name string) bool {
	for _, k := range knownVariables() {
		if k == name {
			return true
		}
	}
	return false
}

// isTestVariable reports whether name belongs to digest's own test suites
// (DIGEST_TEST_RUN_MAIN, DIGEST_REQUIRE_CHROMIUM and the like), which the
// environment of a test run may hold; digest ignores them.
func isTestVariable(name string) bool {
	return strings.Contains(name, "TEST_") || strings.HasPrefix(name, envPrefix+"REQUIRE_")
}

// warnUnknownVariables warns of each DIGEST_ variable of the environment
// that is no setting, most likely a typo, naming the nearest setting.
func warnUnknownVariables(envMap map[string]string, warn io.Writer) {
	var unknown []string
	for k := range envMap {
		if strings.HasPrefix(k, envPrefix) && !isKnownVariable(k) && !isTestVariable(k) {
			unknown = append(unknown, k)
		}
	}
	slices.Sort(unknown)
	for _, k := range unknown {
		fmt.Fprintf(warn, "warning: the environment sets %s, which is no setting of digest%s\n", k, didYouMean(k, knownVariables()))
	}
}

// unwrapEnvError rewrites the env package's errors to name each setting
// by its variable: "DIGEST_MAX_ITEMS: "many" is not a valid int". The env
// package names only the field, which nested structs may share (Fetch's
// and SMTP's Timeout): the variables of that name that are set are named.
func unwrapEnvError(err error, vars map[string]string) error {
	var agg envparse.AggregateError
	if !errors.As(err, &agg) || len(agg.Errors) == 0 {
		return err
	}
	nameOf := func(field string) string {
		var names []string
		for _, s := range settings() {
			if s.Field == field && vars[s.Env] != "" {
				names = append(names, s.Env)
			}
		}
		return strings.Join(names, " or ")
	}
	msgs := make([]string, len(agg.Errors))
	for i, e := range agg.Errors {
		var pe envparse.ParseError
		if errors.As(e, &pe) {
			var ne *strconv.NumError
			reason := pe.Err.Error()
			if errors.As(pe.Err, &ne) {
				reason = fmt.Sprintf("%q is not a valid %s", ne.Num, pe.Type)
			}
			msgs[i] = fmt.Sprintf("%s: %s", nameOf(pe.Name), reason)
			continue
		}
		msgs[i] = e.Error()
	}
	return errors.New(strings.Join(msgs, "; "))
}

// readDotenv reads KEY=value lines; # starts a comment line; values may be
// quoted. It warns on warn when the file holds a secret and can be read by
// others.
func readDotenv(path string, warn io.Writer) (map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	defer f.Close()
	out, lines, err := parseDotenvLines(f, path)
	if err != nil {
		return nil, err
	}
	var unknown []error
	for k, line := range lines {
		if strings.HasPrefix(k, envPrefix) && !isKnownVariable(k) {
			unknown = append(unknown, &digest.InputError{File: path, Line: line, Field: k,
				Err: fmt.Errorf("no such setting%s", didYouMean(k, knownVariables()))})
		}
	}
	if len(unknown) > 0 {
		slices.SortFunc(unknown, func(a, b error) int { return a.(*digest.InputError).Line - b.(*digest.InputError).Line })
		return nil, errors.Join(unknown...)
	}
	if fi, err := f.Stat(); err == nil && fi.Mode().Perm()&0o044 != 0 {
		var held []string
		for k, v := range out {
			if holdsSecret(k, v) {
				held = append(held, k)
			}
		}
		if len(held) > 0 {
			slices.Sort(held)
			fmt.Fprintf(warn, "warning: %s holds %s and can be read by others (chmod 600 %s)\n", path, strings.Join(held, ", "), path)
		}
	}
	return out, nil
}

func isSecret(key string) bool {
	return strings.HasSuffix(key, "_PASSWORD") || strings.HasSuffix(key, "_SECRET") || strings.HasSuffix(key, "_KEY")
}

// holdsSecret reports whether the setting key, set to v, holds a secret: a
// password, key or secret, an SMTP URL with a password in it, or a ping URL
// (whose path is the check's secret).
func holdsSecret(key, v string) bool {
	switch key {
	case envPrefix + "SMTP_URL":
		return urlPassword(v) != ""
	case envPrefix + "PING_URL":
		u, err := url.Parse(v)
		return err == nil && (strings.Trim(u.Path, "/") != "" || u.RawQuery != "" || u.User != nil)
	}
	return v != "" && isSecret(key)
}

// urlPassword returns the password in a URL's user information, or "".
func urlPassword(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.User == nil {
		return ""
	}
	p, _ := u.User.Password()
	return p
}

func parseDotenv(r io.Reader, name string) (map[string]string, error) {
	out, _, err := parseDotenvLines(r, name)
	return out, err
}

// parseDotenvLines is parseDotenv that also returns the line each key was
// last set on.
func parseDotenvLines(r io.Reader, name string) (map[string]string, map[string]int, error) {
	out := map[string]string{}
	lines := map[string]int{}
	sc := bufio.NewScanner(r)
	line := 0
	for sc.Scan() {
		line++
		s := strings.TrimSpace(sc.Text())
		if s == "" || strings.HasPrefix(s, "#") {
			continue
		}
		s = strings.TrimPrefix(s, "export ")
		k, v, ok := strings.Cut(s, "=")
		if !ok {
			return nil, nil, fmt.Errorf("%s:%d: want KEY=value, got %q", name, line, s)
		}
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if len(v) >= 2 && (v[0] == '"' || v[0] == '\'') && v[len(v)-1] == v[0] {
			v = v[1 : len(v)-1]
		} else if i := strings.Index(v, " #"); i >= 0 {
			v = strings.TrimSpace(v[:i])
		}
		out[k] = v
		lines[k] = line
	}
	return out, lines, sc.Err()
}

// resolveSecrets reads the secrets given as files, and warns on warn of
// each secret file that others than its owner may read.
func (c *Config) resolveSecrets(warn io.Writer) error {
	read := func(dst *string, file, name string) error {
		if file == "" || *dst != "" {
			return nil
		}
		b, err := os.ReadFile(file)
		if err != nil {
			return fmt.Errorf("config: %s: %w", name, err)
		}
		*dst = strings.TrimRight(string(b), "\r\n")
		warnReadable(file, name, warn)
		return nil
	}
	err := errors.Join(
		read(&c.SMTP.Password, c.SMTP.PasswordFile, envPrefix+"SMTP_PASSWORD_FILE"),
		read(&c.List.Secret, c.List.SecretFile, envPrefix+"SECRET_FILE"),
		read(&c.LLM.Key, c.LLM.KeyFile, envPrefix+"LLM_KEY_FILE"),
		read(&c.Bounce.IMAPPassword, c.Bounce.IMAPPassFile, envPrefix+"IMAP_PASSWORD_FILE"),
	)
	if c.SMTP.DKIMKeyFile != "" {
		// The mailer reads and checks the key; here it is read to be
		// redacted from what digest prints.
		if b, rerr := os.ReadFile(c.SMTP.DKIMKeyFile); rerr == nil {
			c.dkimKey = string(b)
			warnReadable(c.SMTP.DKIMKeyFile, envPrefix+"DKIM_KEY_FILE", warn)
		}
	}
	return err
}

// warnReadable warns on warn when the secret file named by the setting
// name can be read by its group or by others.
func warnReadable(file, name string, warn io.Writer) {
	if fi, err := os.Stat(file); err == nil && fi.Mode().Perm()&0o044 != 0 {
		fmt.Fprintf(warn, "warning: %s (%s) can be read by others (chmod 600 %s)\n", file, name, file)
	}
}

// warnExposed warns on warn of secrets that others can see, and of
// settings that send one in the clear: a password in --smtp-url (the
// command line is visible to every user in ps), and a base URL of
// unsubscribe links and the archive over plain http to a host that is
// not loopback.
func (c *Config) warnExposed(flagEnv map[string]string, warn io.Writer) {
	if urlPassword(flagEnv[envPrefix+"SMTP_URL"]) != "" {
		fmt.Fprintf(warn, "warning: --smtp-url holds a password, which every user of this machine can see in ps; set DIGEST_SMTP_PASSWORD or --smtp-password-file instead\n")
	}
	if u, err := url.Parse(c.List.BaseURL); c.List.BaseURL != "" && err == nil && u.Scheme == "http" && !isLoopbackHost(u.Hostname()) {
		fmt.Fprintf(warn, "warning: DIGEST_BASE_URL is plain http to %s: unsubscribe links and their tokens cross the network unencrypted; use https\n", u.Hostname())
	}
}

// isLoopbackHost reports whether host is localhost or a loopback address.
func isLoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") || strings.HasSuffix(strings.ToLower(host), ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// secrets returns every secret value of the settings, to be redacted from
// what digest prints and writes: the SMTP password (also from the URL,
// and base64-encoded as the AUTH commands send it),
// the unsubscribe key, the LLM key, the IMAP password, the DKIM private
// key, the ping URL's path and query, and the password of a PostgreSQL
// state's URL.
func (c *Config) secrets() []string {
	out := []string{c.SMTP.Password, urlPassword(c.SMTP.URL), c.List.Secret, c.LLM.Key, c.Bounce.IMAPPassword, urlPassword(c.Ops.PingURL), urlPassword(c.State)}
	if u, err := url.Parse(c.Ops.PingURL); c.Ops.PingURL != "" && err == nil {
		out = append(out, strings.Trim(u.Path, "/"), u.RawQuery)
	}
	// A server may echo the AUTH exchange back in its refusal: the
	// password base64-encoded as AUTH LOGIN sends it, and as AUTH PLAIN
	// sends it, after the user.
	for _, pw := range []string{c.SMTP.Password, urlPassword(c.SMTP.URL)} {
		if pw == "" {
			continue
		}
		user := c.SMTP.Username
		if u, err := url.Parse(c.SMTP.URL); user == "" && err == nil && u.User != nil {
			user = u.User.Username()
		}
		out = append(out, base64.StdEncoding.EncodeToString([]byte(pw)),
			base64.StdEncoding.EncodeToString([]byte("\x00"+user+"\x00"+pw)))
	}
	for _, line := range strings.Split(c.dkimKey, "\n") {
		if line = strings.TrimSpace(line); !strings.HasPrefix(line, "-----") {
			out = append(out, line)
		}
	}
	return out
}

// dailyID returns the daily edition's ID at now: --edition if given, else
// the local date in the configured time zone.
func (c *Config) dailyID(now time.Time) string {
	if c.Edition != "" {
		return c.Edition
	}
	return digest.EditionID(now, c.tz)
}

// weeklyID returns the weekly edition's ID at now: --edition if given, else
// the ISO week in the configured time zone.
func (c *Config) weeklyID(now time.Time) string {
	if c.Edition != "" {
		return c.Edition
	}
	return digest.WeeklyEditionID(now, c.tz)
}

// Validate checks every setting and names each bad one.
func (c *Config) Validate() error {
	var errs []string
	bad := func(name, format string, args ...any) {
		errs = append(errs, fmt.Sprintf("%s%s: %s", envPrefix, name, fmt.Sprintf(format, args...)))
	}
	if c.Edition != "" {
		if err := checkEditionID(c.Edition); err != nil {
			bad("EDITION", "%v", err)
		}
	}
	if c.List.Secret != "" && len(c.List.Secret) < minSecretKey {
		bad("SECRET", "is %d bytes; an unsubscribe key must be at least %d (make one with: openssl rand -hex 32)", len(c.List.Secret), minSecretKey)
	}
	if c.MaxItems < 1 {
		bad("MAX_ITEMS", "must be at least 1, got %d", c.MaxItems)
	}
	if c.Window < 0 {
		bad("WINDOW", "must not be negative")
	}
	loc, err := time.LoadLocation(c.Timezone)
	if err != nil {
		bad("TIMEZONE", "unknown time zone %q", c.Timezone)
	}
	c.tz = loc
	if _, err := parseWeekday(c.Weekday); err != nil {
		bad("WEEKLY_DAY", "%v", err)
	}
	switch c.GroupBy {
	case "source", "topic", "none":
	default:
		bad("GROUP_BY", "want source, topic or none, got %q", c.GroupBy)
	}
	if c.Accent != "" && !render.IsColor(c.Accent) {
		bad("ACCENT_COLOR", "want a colour as #rgb or #rrggbb, got %q", c.Accent)
	}
	if c.LogoURL != "" {
		if u, err := url.Parse(c.LogoURL); err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
			bad("LOGO_URL", "want an absolute https URL of an image, got %q", c.LogoURL)
		}
	}
	if c.SMTP.Concurrency < 1 {
		bad("SMTP_CONCURRENCY", "must be at least 1, got %d", c.SMTP.Concurrency)
	}
	if c.SMTP.Rate < 0 {
		bad("SMTP_RATE", "must not be negative")
	}
	if c.SMTP.PerConn < 1 {
		bad("SMTP_MAX_PER_CONN", "must be at least 1")
	}
	if c.SMTP.Retries < 1 {
		bad("SMTP_RETRIES", "must be at least 1")
	}
	if c.SMTP.MaxFailures < 1 {
		bad("SMTP_MAX_FAILURES", "must be at least 1")
	}
	if c.SMTP.URL != "" {
		u, err := url.Parse(c.SMTP.URL)
		switch {
		case err != nil:
			bad("SMTP_URL", "not a URL")
		case u.Scheme != "smtp" && u.Scheme != "smtps":
			bad("SMTP_URL", "scheme must be smtp or smtps, got %q", u.Scheme)
		case u.Hostname() == "":
			bad("SMTP_URL", "no host")
		}
	}
	if c.Fetch.Concurrency < 1 {
		bad("FETCH_CONCURRENCY", "must be at least 1")
	}
	if c.Fetch.MaxBytes < 1024 {
		bad("FETCH_MAX_BYTES", "must be at least 1024")
	}
	if c.SummaryWords < 10 {
		bad("SUMMARY_WORDS", "must be at least 10")
	}
	if c.SummarySentences < 1 {
		bad("SUMMARY_SENTENCES", "must be at least 1")
	}
	if c.List.BaseURL != "" {
		u, err := url.Parse(c.List.BaseURL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			bad("BASE_URL", "must be an absolute http(s) URL")
		} else if c.List.Secret == "" {
			bad("SECRET", "must be set with BASE_URL, to sign unsubscribe links")
		}
	}
	if c.Signup.Enabled && c.List.BaseURL == "" {
		bad("SIGNUP", "needs BASE_URL, the public URL the confirmation links point to")
	}
	for _, cad := range c.Signup.Cadences {
		if cad != digest.CadenceDaily && cad != digest.CadenceWeekly {
			bad("SIGNUP_CADENCES", "%q is not a cadence (want daily or weekly)", cad)
		}
	}
	if len(c.Signup.Cadences) == 0 {
		bad("SIGNUP_CADENCES", "name at least one cadence")
	}
	for _, o := range c.Signup.Origins {
		if u, err := url.Parse(o); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" {
			bad("SIGNUP_ORIGINS", "%q is not an origin like https://example.com", o)
		}
	}
	for _, t := range c.Signup.Topics {
		if strings.TrimSpace(t) == "" || strings.ContainsAny(t, " \t;|,") {
			bad("SIGNUP_TOPICS", "%q is not a topic (one word)", t)
		}
	}
	if c.Signup.Interval < 0 {
		bad("SIGNUP_INTERVAL", "must not be negative")
	}
	if c.Signup.PerIP < 1 {
		bad("SIGNUP_PER_IP", "must be at least 1")
	}
	if c.Signup.Expiry < time.Minute || c.Signup.Expiry > store.KeepRequests {
		bad("SIGNUP_EXPIRY", "must be between 1m and %s", store.KeepRequests)
	}
	if c.Signup.Welcome != "" && c.Signup.Welcome != "latest" {
		bad("WELCOME", "must be latest or empty, got %q", c.Signup.Welcome)
	}
	if c.Bounce.Address != "" {
		a, err := mail.ParseAddress(c.Bounce.Address)
		local, _, _ := strings.Cut(c.Bounce.Address, "@")
		switch {
		case err != nil || a.Name != "" || a.Address != c.Bounce.Address:
			bad("BOUNCE_ADDRESS", "not a bare address: %q", c.Bounce.Address)
		case strings.Contains(local, "+"):
			bad("BOUNCE_ADDRESS", "must not hold a '+': the VERP token goes after one")
		case len(local)+1+bounce.TokenLen > 64:
			bad("BOUNCE_ADDRESS", "local part %q too long: with the token it must fit 64 bytes (at most %d before the '@')", local, 63-bounce.TokenLen)
		case c.List.Secret == "":
			bad("SECRET", "must be set with BOUNCE_ADDRESS, to sign the return paths")
		}
	}
	if c.Bounce.SoftLimit < 1 {
		bad("SOFT_BOUNCE_LIMIT", "must be at least 1, got %d", c.Bounce.SoftLimit)
	}
	if (c.SMTP.DKIMKeyFile == "") != (c.SMTP.DKIMSelector == "") {
		bad("DKIM_SELECTOR", "DKIM_KEY_FILE and DKIM_SELECTOR go together")
	}
	if c.LLM.URL != "" && c.LLM.Model == "" {
		bad("LLM_MODEL", "must be set with LLM_URL")
	}
	if c.Ops.LogFormat != "text" && c.Ops.LogFormat != "json" {
		bad("LOG_FORMAT", "must be text or json, got %q", c.Ops.LogFormat)
	}
	if len(errs) > 0 {
		return fmt.Errorf("config: %s", strings.Join(errs, "; "))
	}
	return nil
}

// minSecretKey is the shortest unsubscribe key accepted, in bytes: the
// key signs every unsubscribe link, and a short one can be guessed from
// the links themselves.
const minSecretKey = 32

// maxEditionName is the longest edition name accepted, in bytes.
const maxEditionName = 64

var (
	editionDate = regexp.MustCompile(`^[0-9]{4}-[0-9]{2}-[0-9]{2}$`)
	editionWeek = regexp.MustCompile(`^([0-9]{4})-W([0-9]{2})$`)
	editionName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)
)

// checkEditionID accepts the edition IDs --edition may give: a date
// (2026-12-07), an ISO week (2026-W50), or a name of at most
// maxEditionName letters, digits, dots, underscores and hyphens that
// starts with a letter or digit. A name shaped like a date or a week must
// be a real one.
func checkEditionID(id string) error {
	const want = "want a date (2026-12-07), an ISO week (2026-W50) or a name of at most 64 letters, digits, '.', '_' or '-'"
	switch {
	case editionDate.MatchString(id):
		if _, err := time.Parse(time.DateOnly, id); err != nil {
			return fmt.Errorf("%q is no date", id)
		}
	case editionWeek.MatchString(id):
		m := editionWeek.FindStringSubmatch(id)
		y, _ := strconv.Atoi(m[1])
		w, _ := strconv.Atoi(m[2])
		// The ISO year's last week is the week of its 28 December.
		_, last := time.Date(y, time.December, 28, 0, 0, 0, 0, time.UTC).ISOWeek()
		if w < 1 || w > last {
			return fmt.Errorf("%q is no week: %d has weeks 01 to %d", id, y, last)
		}
	case len(id) > maxEditionName || !editionName.MatchString(id):
		return fmt.Errorf("%q is not an edition ID: %s", id, want)
	}
	return nil
}

func parseWeekday(s string) (time.Weekday, error) {
	for d := time.Sunday; d <= time.Saturday; d++ {
		if strings.EqualFold(s, d.String()) || strings.EqualFold(s, d.String()[:3]) {
			return d, nil
		}
	}
	return 0, fmt.Errorf("unknown weekday %q", s)
}

// printSettings writes the table of settings for --help.
func printSettings(w io.Writer) {
	fmt.Fprintln(w, "Settings (a flag wins over its environment variable, which wins over --config):")
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  FLAG\tVARIABLE\tDEFAULT\tMEANING")
	for _, s := range settings() {
		fl := "--" + s.Flag
		if s.Flag == "-" {
			fl = "(env only)"
		}
		def := s.Default
		if def == "" {
			def = "-"
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", fl, s.Env, def, s.Help)
	}
	tw.Flush()
}
