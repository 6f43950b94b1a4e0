package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// minSecret is the shortest secret the redactor hides: shorter values
// would blank out ordinary words. No real password, key or token is this
// short.
const minSecret = 6

// redacted replaces a secret in what digest prints.
const redacted = "[redacted]"

// A redactor removes every configured secret from text on its way out of
// the process: log lines, the final error, the status line, the report
// file and the ping's body. It knows each secret as given, and as it
// appears escaped in a URL, a quoted log value and a JSON string. A nil
// redactor changes nothing.
type redactor struct {
	r *strings.Replacer
}

// newRedactor returns the redactor of secrets; empty and short values are
// left out. Longer secrets are replaced first, so that a secret containing
// another is hidden whole.
func newRedactor(secrets []string) *redactor {
	seen := map[string]bool{}
	var forms []string
	for _, s := range secrets {
		if s == "" {
			continue
		}
		for _, f := range []string{s, url.QueryEscape(s), url.PathEscape(s), quoted(s), jsonString(s, false), jsonString(s, true)} {
			if len(f) >= minSecret && !seen[f] {
				seen[f] = true
				forms = append(forms, f)
			}
		}
	}
	if len(forms) == 0 {
		return nil
	}
	// strings.Replacer tries the old strings in argument order at each
	// position: longest first hides a secret whole.
	slices.SortStableFunc(forms, func(a, b string) int { return len(b) - len(a) })
	args := make([]string, 0, 2*len(forms))
	for _, f := range forms {
		args = append(args, f, redacted)
	}
	return &redactor{r: strings.NewReplacer(args...)}
}

// quoted is s as a Go string literal shows it, less the quotes: how the
// text log handler writes a value with quotes or backslashes.
func quoted(s string) string {
	q := strconv.Quote(s)
	return q[1 : len(q)-1]
}

// jsonString is s as a JSON string, less the quotes: as the JSON log
// handler writes it (html false), or json.Marshal (html true: <, > and &
// escaped), as in the report.
func jsonString(s string, html bool) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(html)
	if err := enc.Encode(s); err != nil {
		return s
	}
	q := strings.TrimSuffix(b.String(), "\n")
	return q[1 : len(q)-1]
}

// String returns s with every secret replaced.
func (r *redactor) String(s string) string {
	if r == nil {
		return s
	}
	return r.r.Replace(s)
}

// Bytes returns b with every secret replaced.
func (r *redactor) Bytes(b []byte) []byte {
	if r == nil {
		return b
	}
	return []byte(r.r.Replace(string(b)))
}

// Writer returns a writer that redacts each Write before passing it to w.
// A secret split across two writes is not found: every line digest logs is
// one write (slog handlers, fmt.Fprintf).
func (r *redactor) Writer(w io.Writer) io.Writer {
	if r == nil {
		return w
	}
	return redactingWriter{r: r, w: w}
}

type redactingWriter struct {
	r *redactor
	w io.Writer
}

// Write writes b less its secrets. It reports len(b) written when the
// redacted text was written whole.
func (rw redactingWriter) Write(b []byte) (int, error) {
	if _, err := io.WriteString(rw.w, rw.r.r.Replace(string(b))); err != nil {
		return 0, err
	}
	return len(b), nil
}

// underlying returns the writer redaction writes to, so that a terminal
// is still seen as one.
func (rw redactingWriter) underlying() io.Writer { return rw.w }
