package main

import (
	"io"
	"net/url"
	"slices"
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
// file and the ping's body. It knows each secret as given and as it would
// appear escaped in a URL. A nil redactor changes nothing.
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
		for _, f := range []string{s, url.QueryEscape(s), url.PathEscape(s)} {
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
