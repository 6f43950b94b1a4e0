package render

import (
	"html/template"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/microcosm-cc/bluemonday"

	"github.com/digest-newsletter/digest/digest"
)

// funcs returns the functions every template may call. README.md in the
// templates folder documents them.
func funcs() map[string]any {
	return map[string]any{
		"wrap":      wrap,
		"indent":    indent,
		"underline": underline,
		"join":      strings.Join,
		"trimSpace": strings.TrimSpace,
		"upper":     strings.ToUpper,
		"lower":     strings.ToLower,
		"oneLine":   digest.CleanText,
		"date":      formatDate,
		"safeURL":   safeURL,
	}
}

// htmlFuncs returns funcs plus the functions only the HTML template has.
func htmlFuncs(policy *bluemonday.Policy) map[string]any {
	f := funcs()
	f["sanitize"] = func(s string) template.HTML {
		return template.HTML(policy.Sanitize(s))
	}
	return f
}

// newPolicy returns the policy HTML from outside goes through: bluemonday's
// user-content policy, links absolute http(s) or mailto only.
func newPolicy() *bluemonday.Policy {
	p := bluemonday.UGCPolicy()
	p.AllowURLSchemes("http", "https", "mailto")
	p.AllowRelativeURLs(false)
	p.RequireParseableURLs(true)
	p.RequireNoFollowOnLinks(false)
	return p
}

// wrap breaks each line of s into lines of at most width characters, at
// spaces. A word longer than width (a long URL) stays whole on its own line.
// Runs of spaces become one; blank lines are kept.
func wrap(width int, s string) string {
	var b strings.Builder
	for i, line := range strings.Split(s, "\n") {
		if i > 0 {
			b.WriteByte('\n')
		}
		col := 0
		for _, w := range strings.Fields(line) {
			n := utf8.RuneCountInString(w)
			switch {
			case col == 0:
			case col+1+n > width:
				b.WriteByte('\n')
				col = 0
			default:
				b.WriteByte(' ')
				col++
			}
			b.WriteString(w)
			col += n
		}
	}
	return b.String()
}

// indent puts n spaces before every line of s that is not empty.
func indent(n int, s string) string {
	pad := strings.Repeat(" ", n)
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		if l != "" {
			lines[i] = pad + l
		}
	}
	return strings.Join(lines, "\n")
}

// underline returns s on one line and, under it, char repeated as many
// times as s has characters: a heading in plain text.
func underline(char, s string) string {
	s = digest.CleanText(s)
	return s + "\n" + strings.Repeat(char, utf8.RuneCountInString(s))
}

// formatDate formats t with a Go layout ("2 January 2006"); the zero time
// gives "".
func formatDate(layout string, t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format(layout)
}
