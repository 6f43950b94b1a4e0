package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"reflect"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	envparse "github.com/caarlos0/env/v11"

	"github.com/digest-newsletter/digest/digest"
	"github.com/digest-newsletter/digest/digest/web"
)

// Config is every setting of digest. Each field is read from its DIGEST_*
// environment variable and can be given as the flag named in its flag tag,
// which wins. A --config file of KEY=value lines is read first; real
// environment variables win over it.
type Config struct {
	ConfigFile string `env:"CONFIG" flag:"config" help:"read KEY=value settings from this file first (dotenv format)"`

	links *web.Links // made by unsubscribeURL, shared by the renderer and the dispatcher

	Sources     string `env:"SOURCES" envDefault:"examples/sources.txt" flag:"sources" help:"sources list: one feed URL, feed file, Markdown folder or page a line; or an OPML file"`
	Subscribers string `env:"SUBSCRIBERS" envDefault:"subscribers.example.csv" flag:"subscribers" help:"subscriber list (CSV with an email column)"`
	State       string `env:"STATE" envDefault:"digest.db" flag:"state" help:"SQLite state file: editions, journal, suppression list"`
	NewState    bool   `env:"NEW_STATE" flag:"new-state" help:"for one run: a file at the state's path that is not digest's state (empty, or another file) is renamed to STATE.aside-TIME and a new state is made"`
	Templates   string `env:"TEMPLATES" flag:"templates" help:"folder of templates to use instead of the built-in ones"`
	Outbox      string `env:"OUTBOX" envDefault:"outbox" flag:"outbox" help:"folder for .eml files when no SMTP URL is set"`

	Name     string         `env:"NAME" envDefault:"The Digest" flag:"name" help:"the newsletter's name, shown in the subject and the header"`
	From     string         `env:"FROM" envDefault:"The Digest <digest@localhost>" flag:"from" help:"sender address"`
	Edition  string         `env:"EDITION" flag:"edition" help:"edition ID (default: today's date in the time zone)"`
	Timezone string         `env:"TIMEZONE" envDefault:"Local" flag:"timezone" help:"time zone of edition dates (IANA name)"`
	MaxItems int            `env:"MAX_ITEMS" envDefault:"20" flag:"max-items" help:"most items in an edition"`
	Window   time.Duration  `env:"WINDOW" flag:"window" help:"only articles published within this duration (default: any age)"`
	Weekday  string         `env:"WEEKLY_DAY" envDefault:"monday" flag:"weekly-day" help:"weekday on which weekly subscribers get their edition"`
	Note     string         `env:"NOTE" flag:"note" help:"editor's note for the edition: a Markdown file"`
	NoteHTML bool           `env:"NOTE_UNSAFE_HTML" flag:"note-unsafe-html" help:"let raw HTML in the editor's note through"`
	Strict   bool           `env:"STRICT" flag:"strict" help:"treat any failing source as an error"`
	MaxAge   time.Duration  `env:"DEFER_MAX_AGE" envDefault:"48h" flag:"defer-max-age" help:"retry deferred deliveries until the edition is this old"`
	Words    int            `env:"SUMMARY_WORDS" envDefault:"60" flag:"summary-words" help:"blurb length budget in words"`
	Sentence int            `env:"SUMMARY_SENTENCES" envDefault:"3" flag:"summary-sentences" help:"most sentences in a blurb"`
	Lang     string         `env:"LANG" envDefault:"en" flag:"lang" help:"language of the newsletter (the HTML lang attribute)"`
	Fetch    FetchConfig    `envPrefix:""`
	SMTP     SMTPConfig     `envPrefix:""`
	List     ListConfig     `envPrefix:""`
	Signup   SignupConfig   `envPrefix:""`
	LLM      LLMConfig      `envPrefix:""`
	Ops      OpsConfig      `envPrefix:""`
	tz       *time.Location `env:"-"`
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
	Secret     string `env:"SECRET" flag:"-" help:"key for unsubscribe tokens (environment only)"`
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
	Quiet       bool   `env:"QUIET" flag:"quiet" help:"log only warnings and the final summary"`
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
	var cfg Config
	if err := envparse.ParseWithOptions(&cfg, envparse.Options{Environment: merged, Prefix: envPrefix}); err != nil {
		return nil, fmt.Errorf("config: %w", unwrapEnvError(err, merged))
	}
	if err := cfg.resolveSecrets(); err != nil {
		return nil, err
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &cfg, nil
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
	out, err := parseDotenv(f, path)
	if err != nil {
		return nil, err
	}
	if fi, err := f.Stat(); err == nil && fi.Mode().Perm()&0o044 != 0 {
		for k := range out {
			if isSecret(k) {
				fmt.Fprintf(warn, "warning: %s holds %s and can be read by others (chmod 600 %s)\n", path, k, path)
				break
			}
		}
	}
	return out, nil
}

func isSecret(key string) bool {
	return strings.HasSuffix(key, "_PASSWORD") || strings.HasSuffix(key, "_SECRET") || strings.HasSuffix(key, "_KEY")
}

func parseDotenv(r io.Reader, name string) (map[string]string, error) {
	out := map[string]string{}
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
			return nil, fmt.Errorf("%s:%d: want KEY=value, got %q", name, line, s)
		}
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if len(v) >= 2 && (v[0] == '"' || v[0] == '\'') && v[len(v)-1] == v[0] {
			v = v[1 : len(v)-1]
		} else if i := strings.Index(v, " #"); i >= 0 {
			v = strings.TrimSpace(v[:i])
		}
		out[k] = v
	}
	return out, sc.Err()
}

func (c *Config) resolveSecrets() error {
	read := func(dst *string, file, name string) error {
		if file == "" || *dst != "" {
			return nil
		}
		b, err := os.ReadFile(file)
		if err != nil {
			return fmt.Errorf("config: %s: %w", name, err)
		}
		*dst = strings.TrimRight(string(b), "\r\n")
		return nil
	}
	return errors.Join(
		read(&c.SMTP.Password, c.SMTP.PasswordFile, envPrefix+"SMTP_PASSWORD_FILE"),
		read(&c.List.Secret, c.List.SecretFile, envPrefix+"SECRET_FILE"),
		read(&c.LLM.Key, c.LLM.KeyFile, envPrefix+"LLM_KEY_FILE"),
	)
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
	if c.Words < 10 {
		bad("SUMMARY_WORDS", "must be at least 10")
	}
	if c.Sentence < 1 {
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
	if c.Signup.Expiry < time.Minute {
		bad("SIGNUP_EXPIRY", "must be at least 1m")
	}
	if c.Signup.Welcome != "" && c.Signup.Welcome != "latest" {
		bad("WELCOME", "must be latest or empty, got %q", c.Signup.Welcome)
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
