package render

import (
	"fmt"
	"html"
	"strings"

	"github.com/vanng822/go-premailer/premailer"
)

// inline moves the CSS of the document's <style> blocks into style
// attributes. Blocks marked data-premailer="ignore" stay as they are; media
// queries are kept in a <style> block of their own.
func inline(doc string) (string, error) {
	p, err := premailer.NewPremailerFromString(doc, premailer.NewOptions())
	if err != nil {
		return "", fmt.Errorf("parse html: %w", err)
	}
	return p.Transform()
}

// unescape decodes the character references html/template writes.
func unescape(s string) string {
	if !strings.Contains(s, "&") {
		return s
	}
	return html.UnescapeString(s)
}

// templateEscape escapes s as html/template does in text and quoted
// attribute values.
func templateEscape(s string) string {
	return htmlEscaper.Replace(s)
}

// htmlEscaper is html/template's text escaper. It is immutable.
var htmlEscaper = strings.NewReplacer(
	"\x00", "\uFFFD",
	`"`, "&#34;",
	"&", "&amp;",
	"'", "&#39;",
	"+", "&#43;",
	"<", "&lt;",
	">", "&gt;",
)
