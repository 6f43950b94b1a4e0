package source

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/yuin/goldmark"

	"github.com/digest-newsletter/digest/digest/extract"
)

// FrontMatter is the metadata at the head of a Markdown file.
type FrontMatter struct {
	Title  string
	Date   time.Time
	URL    string
	Author string
	Tags   []string
	Draft  bool
}

// dateLayouts are the date forms front matter may use, most precise first.
var dateLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05",
	"2006-01-02 15:04:05 -0700",
	"2006-01-02 15:04:05 -07:00",
	"2006-01-02 15:04:05",
	"2006-01-02 15:04 -0700",
	"2006-01-02 15:04",
	"2006-01-02T15:04",
	"2006-01-02",
}

// ParseFrontMatter splits a Markdown file into its front matter and body.
// A file that does not start with a "---" line has no front matter. A
// malformed line is an *digest.InputError naming file, line and key; loc
// is the time zone of dates written without one.
func ParseFrontMatter(data []byte, file string, loc *time.Location) (FrontMatter, []byte, error) {
	var fm FrontMatter
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	first, rest, _ := bytes.Cut(data, []byte("\n"))
	if string(bytes.TrimRight(first, " \t\r")) != "---" {
		return fm, data, nil
	}
	var (
		listKey  string // the key whose block list is open
		listLine int
		seen     = map[string]int{}
	)
	for n := 2; ; n++ {
		if len(rest) == 0 {
			return fm, nil, inputErr(file, 1, "", errors.New("front matter not closed by a --- line"))
		}
		var raw []byte
		raw, rest, _ = bytes.Cut(rest, []byte("\n"))
		line := strings.TrimRight(string(raw), " \t\r")
		if line == "---" || line == "..." {
			if listKey != "" && len(fm.Tags) == 0 {
				return fm, nil, inputErr(file, listLine, listKey, errors.New("empty list"))
			}
			return fm, rest, nil
		}
		trimmed := strings.TrimSpace(line)
		if trimmed == "" || strings.HasPrefix(trimmed, "#") {
			continue
		}
		if item, ok := strings.CutPrefix(trimmed, "- "); ok || trimmed == "-" {
			if listKey == "" {
				return fm, nil, inputErr(file, n, "", errors.New("list item outside a list"))
			}
			v, err := scalar(item)
			if err != nil {
				return fm, nil, inputErr(file, n, listKey, err)
			}
			if listKey == "tags" {
				fm.Tags = addTags(fm.Tags, v)
			}
			continue
		}
		if line[0] == ' ' || line[0] == '\t' {
			return fm, nil, inputErr(file, n, "", fmt.Errorf("unexpected indented line %q", trimmed))
		}
		listKey = ""
		key, val, ok := strings.Cut(line, ":")
		key = strings.ToLower(strings.TrimSpace(key))
		if !ok || key == "" || strings.ContainsAny(key, " \t\"'") {
			return fm, nil, inputErr(file, n, "", fmt.Errorf("want key: value, got %q", trimmed))
		}
		if prev, dup := seen[key]; dup {
			return fm, nil, inputErr(file, n, key, fmt.Errorf("repeated (first on line %d)", prev))
		}
		seen[key] = n
		val = strings.TrimSpace(val)
		if val == "" {
			if key == "tags" {
				listKey, listLine = key, n
			}
			continue
		}
		if err := fm.set(key, val, loc); err != nil {
			return fm, nil, inputErr(file, n, key, err)
		}
	}
}

// set stores one key's value.
func (fm *FrontMatter) set(key, val string, loc *time.Location) error {
	if key == "tags" && strings.HasPrefix(val, "[") {
		inner, ok := strings.CutSuffix(val, "]")
		if !ok {
			return errors.New("list not closed by ]")
		}
		fields, err := splitFlow(inner[1:])
		if err != nil {
			return err
		}
		fm.Tags = addTags(fm.Tags, fields...)
		return nil
	}
	v, err := scalar(val)
	if err != nil {
		return err
	}
	switch key {
	case "title":
		fm.Title = v
	case "author":
		fm.Author = v
	case "url":
		if v != "" && cleanLink(nil, v) == "" {
			if len(v) > MaxLink {
				return fmt.Errorf("the link is %d bytes long; at most %d are kept", len(v), MaxLink)
			}
			return fmt.Errorf("%q is not an absolute http or https URL", v)
		}
		fm.URL = v
	case "tags":
		fm.Tags = addTags(fm.Tags, strings.Split(v, ",")...)
	case "draft":
		b, err := strconv.ParseBool(v)
		if err != nil {
			return fmt.Errorf("%q is not true or false", v)
		}
		fm.Draft = b
	case "date":
		for _, layout := range dateLayouts {
			if t, err := time.ParseInLocation(layout, v, loc); err == nil {
				fm.Date = t
				return nil
			}
		}
		return fmt.Errorf("%q is not a date like 2026-11-29 or 2026-11-29T08:30:00Z", v)
	}
	return nil
}

// scalar reads a plain or quoted value. A trailing " # comment" after a
// plain value is dropped.
func scalar(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", nil
	}
	switch s[0] {
	case '"':
		v, err := strconv.Unquote(s)
		if err != nil {
			if u, rest, ok := cutQuoted(s); ok && strings.HasPrefix(strings.TrimSpace(rest), "#") {
				return strconv.Unquote(u)
			}
			return "", fmt.Errorf("bad quoted string %s", s)
		}
		return v, nil
	case '\'':
		if len(s) < 2 || s[len(s)-1] != '\'' {
			return "", fmt.Errorf("unterminated quote in %s", s)
		}
		return strings.ReplaceAll(s[1:len(s)-1], "''", "'"), nil
	}
	if i := strings.Index(s, " #"); i >= 0 {
		s = strings.TrimSpace(s[:i])
	}
	return s, nil
}

// cutQuoted splits a leading "..." string from s.
func cutQuoted(s string) (quoted, rest string, ok bool) {
	for i := 1; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case '"':
			return s[:i+1], s[i+1:], true
		}
	}
	return "", "", false
}

// splitFlow splits the inside of a [flow, list].
func splitFlow(s string) ([]string, error) {
	var out []string
	for part := range strings.SplitSeq(s, ",") {
		v, err := scalar(part)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// markdownArticle turns one Markdown file into an entry. rel is its path
// inside the source, used for its ID when it has no url.
func markdownArticle(data []byte, file, rel string, loc *time.Location) (entry, bool, error) {
	fm, body, err := ParseFrontMatter(data, file, loc)
	if err != nil {
		return entry{}, false, err
	}
	if fm.Draft {
		return entry{}, false, nil
	}
	e := entry{key: rel}
	e.Title, e.URL, e.Author, e.Tags, e.Published = fm.Title, cleanLink(nil, fm.URL), fm.Author, fm.Tags, fm.Date
	// A heading at the top is the title, not the first line of the text;
	// under a title of its own it is dropped when it repeats it.
	if heading, rest := extract.MarkdownTitle(string(body)); heading != "" {
		if e.Title == "" {
			e.Title = plainTitle(heading)
		}
		if sameWords(heading, e.Title) {
			body = []byte(rest)
		}
	}
	var buf bytes.Buffer
	if err := goldmark.Convert(body, &buf); err != nil {
		return entry{}, false, fmt.Errorf("%s: render markdown: %w", file, err)
	}
	e.Text = extract.Fragment(buf.String())
	if e.Title == "" {
		e.Title = firstHeading(body)
	}
	if e.Title == "" {
		base := path.Base(rel)
		e.Title = strings.TrimSuffix(base, path.Ext(base))
	}
	return e, true, nil
}

// sameWords reports whether a and b have the same words, whatever their
// case and punctuation.
func sameWords(a, b string) bool {
	f := func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }
	return slices.Equal(strings.FieldsFunc(strings.ToLower(a), f), strings.FieldsFunc(strings.ToLower(b), f))
}

// firstHeading returns the text of the first ATX heading of a Markdown body.
func firstHeading(body []byte) string {
	for line := range strings.SplitSeq(string(body), "\n") {
		line = strings.TrimSpace(line)
		if h, ok := strings.CutPrefix(line, "#"); ok {
			return plainTitle(strings.Trim(strings.TrimLeft(h, "#"), " #"))
		}
	}
	return ""
}

// readMarkdown reads a Markdown folder (recursively) or file. Bad files,
// and files over maxBytes, are returned as errors, the good ones as
// entries. Folders whose names start with "." or "_" are skipped.
func readMarkdown(ctx context.Context, root string, loc *time.Location, maxBytes int64) ([]entry, []error, error) {
	info, err := os.Stat(root)
	if err != nil {
		return nil, nil, err
	}
	if !info.IsDir() {
		data, err := os.ReadFile(root)
		if err != nil {
			return nil, nil, err
		}
		e, ok, err := markdownArticle(data, root, filepath.Base(root), loc)
		if err != nil || !ok {
			return nil, nil, err
		}
		return []entry{e}, nil, nil
	}
	var (
		entries []entry
		bad     []error
	)
	err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		name := d.Name()
		if d.IsDir() {
			if p != root && (strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_")) {
				return filepath.SkipDir
			}
			return nil
		}
		if !isMarkdown(name) || strings.HasPrefix(name, ".") {
			return nil
		}
		if info, err := d.Info(); err == nil && info.Size() > maxBytes {
			bad = append(bad, fmt.Errorf("%s: %w: %d bytes, the limit is %d", p, ErrTooLarge, info.Size(), maxBytes))
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil {
			bad = append(bad, err)
			return nil
		}
		rel, _ := filepath.Rel(root, p)
		e, ok, err := markdownArticle(data, p, filepath.ToSlash(rel), loc)
		if err != nil {
			bad = append(bad, err)
			return nil
		}
		if ok {
			entries = append(entries, e)
		}
		return nil
	})
	return entries, bad, err
}

func isMarkdown(name string) bool {
	ext := strings.ToLower(filepath.Ext(name))
	return ext == ".md" || ext == ".markdown"
}
