package source

import (
	"bufio"
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/url"
	"path/filepath"
	"strings"
	"unicode"

	"github.com/digest-newsletter/digest/digest"
)

// A Kind says how a source is read.
type Kind string

// The kinds of source.
const (
	KindFeed     Kind = "feed"     // a feed at a URL or in a file
	KindPage     Kind = "page"     // one web page, one article
	KindMarkdown Kind = "markdown" // a folder of Markdown files, or one file
)

// A Spec is one source as the sources list names it.
type Spec struct {
	// Location is the LOCATION as written in the list.
	Location string
	// URL is the http(s) URL of a remote source; Path the absolute or
	// list-relative path of a local one. Exactly one is set.
	URL  string
	Path string
	// Kind is KindFeed or KindPage for a URL. For a path it is KindFeed
	// until New finds a folder or a *.md file there.
	Kind     Kind
	FullText bool
	// AllowInternal lets every request of the source reach internal
	// addresses (never link-local ones); without it only the source's own
	// scheme, host and port may be internal.
	AllowInternal bool
	Name          string
	Tags          []string
	// File and Line locate the line in the list.
	File string
	Line int
}

// String returns the source's display name, or its location.
func (s Spec) String() string {
	if s.Name != "" {
		return s.Name
	}
	return s.Location
}

// ParseList reads a sources list, or an OPML file, from r; name is the
// list's path, used in errors and to resolve relative paths. It returns the
// sources of every good line and, joined with errors.Join, one
// *digest.InputError for every bad line.
func ParseList(r io.Reader, name string) ([]Spec, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("read sources list %s: %w", name, err)
	}
	if isOPML(name, data) {
		return parseOPML(data, name)
	}
	var (
		specs []Spec
		errs  []error
		lines = map[string]int{} // URL or path → line of its first mention
	)
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if n == 1 {
			line = strings.TrimPrefix(line, "\ufeff")
		}
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		spec, err := parseLine(line, name, n)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		key := spec.Path
		if spec.URL != "" {
			key = Canonical(spec.URL)
		}
		if first, ok := lines[key]; ok {
			errs = append(errs, inputErr(name, n, "location", fmt.Errorf("%s repeats line %d", spec.Location, first)))
			continue
		}
		lines[key] = n
		specs = append(specs, spec)
	}
	if err := sc.Err(); err != nil {
		errs = append(errs, inputErr(name, 0, "", fmt.Errorf("read: %w", err)))
	}
	return specs, errors.Join(errs...)
}

// parseLine reads one non-blank, non-comment line of the list.
func parseLine(line, file string, n int) (Spec, error) {
	fields, err := splitFields(line)
	if err != nil {
		return Spec{}, inputErr(file, n, "", err)
	}
	spec := Spec{Location: fields[0], File: file, Line: n, Kind: KindFeed}
	for _, f := range fields[1:] {
		key, val, hasVal := strings.Cut(f, "=")
		switch {
		case key == "fulltext" && !hasVal:
			spec.FullText = true
		case key == "page" && !hasVal:
			spec.Kind = KindPage
		case key == "allow-internal" && !hasVal:
			spec.AllowInternal = true
		case key == "name" && hasVal:
			spec.Name = strings.TrimSpace(val)
			if spec.Name == "" {
				return Spec{}, inputErr(file, n, "name", errors.New("empty name"))
			}
		case key == "tags" && hasVal:
			spec.Tags = splitTags(val)
			if len(spec.Tags) == 0 {
				return Spec{}, inputErr(file, n, "tags", errors.New("empty tags"))
			}
		default:
			return Spec{}, inputErr(file, n, "option", fmt.Errorf("unknown option %q (want fulltext, page, allow-internal, name=\"...\" or tags=a,b)", f))
		}
	}
	loc := spec.Location
	if rest, ok := strings.CutPrefix(loc, "page:"); ok {
		spec.Kind = KindPage
		loc = rest
	}
	if u, ok, err := remoteURL(loc); ok {
		if err != nil {
			return Spec{}, inputErr(file, n, "location", err)
		}
		spec.URL = u
		return spec, nil
	}
	if spec.Kind == KindPage {
		return Spec{}, inputErr(file, n, "location", fmt.Errorf("page %q is not an http or https URL", loc))
	}
	spec.Path = loc
	if !filepath.IsAbs(loc) {
		spec.Path = filepath.Join(filepath.Dir(file), filepath.FromSlash(loc))
	}
	return spec, nil
}

// remoteURL reports whether loc looks like a URL (it has a scheme) and, if
// so, checks that it is a usable http or https URL.
func remoteURL(loc string) (string, bool, error) {
	scheme, _, ok := strings.Cut(loc, "://")
	if !ok || scheme == "" || strings.ContainsAny(scheme, `/\.`) {
		return "", false, nil
	}
	u, err := url.Parse(loc)
	if err != nil {
		return "", true, fmt.Errorf("bad URL: %w", err)
	}
	switch strings.ToLower(u.Scheme) {
	case "http", "https":
	default:
		return "", true, fmt.Errorf("scheme %q not supported (want http or https)", u.Scheme)
	}
	if u.Hostname() == "" {
		return "", true, fmt.Errorf("URL %q has no host", loc)
	}
	return u.String(), true, nil
}

// splitFields splits a line at white space, keeping "quoted" text whole.
// A quote may open anywhere in a field (name="A B"). A # that starts a
// field, unquoted, starts a comment to the end of the line.
func splitFields(line string) ([]string, error) {
	var (
		fields []string
		cur    strings.Builder
		quote  rune
		inside bool
	)
scan:
	for _, r := range line {
		switch {
		case quote == 0 && !inside && r == '#':
			break scan
		case quote != 0:
			if r == quote {
				quote = 0
			} else {
				cur.WriteRune(r)
			}
		case r == '"' || r == '\'':
			quote, inside = r, true
		case unicode.IsSpace(r):
			if inside {
				fields = append(fields, cur.String())
				cur.Reset()
				inside = false
			}
		default:
			cur.WriteRune(r)
			inside = true
		}
	}
	if quote != 0 {
		return nil, fmt.Errorf("unterminated %c quote", quote)
	}
	if inside {
		fields = append(fields, cur.String())
	}
	return fields, nil
}

// splitTags splits a comma-separated tag list, trimmed and lower-cased,
// dropping empty and repeated tags.
func splitTags(s string) []string {
	return addTags(nil, strings.Split(s, ",")...)
}

// addTags appends each new, non-empty, lower-cased tag to tags, as clean
// text of at most digest.MaxName runes.
func addTags(tags []string, more ...string) []string {
	for _, t := range more {
		t = strings.ToLower(digest.Shorten(digest.CleanText(t), digest.MaxName))
		if t == "" || containsString(tags, t) {
			continue
		}
		tags = append(tags, t)
	}
	return tags
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// isOPML reports whether the list is an OPML file, by name or content.
func isOPML(name string, data []byte) bool {
	if strings.EqualFold(filepath.Ext(name), ".opml") {
		return true
	}
	head := data[:min(len(data), 512)]
	return bytes.HasPrefix(bytes.TrimSpace(head), []byte("<")) && bytes.Contains(bytes.ToLower(head), []byte("<opml"))
}

// parseOPML reads the feed outlines of an OPML subscription list.
func parseOPML(data []byte, name string) ([]Spec, error) {
	dec := xml.NewDecoder(bytes.NewReader(data))
	dec.Strict = false
	var (
		specs   []Spec
		errs    []error
		folders []string // text of enclosing outlines without xmlUrl
		stack   []bool   // whether each open outline pushed a folder
		sawOPML bool
	)
	for {
		line, _ := dec.InputPos()
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			errs = append(errs, inputErr(name, line, "", fmt.Errorf("bad OPML: %w", err)))
			break
		}
		switch t := tok.(type) {
		case xml.StartElement:
			switch strings.ToLower(t.Name.Local) {
			case "opml":
				sawOPML = true
			case "outline":
				attr := func(k string) string {
					for _, a := range t.Attr {
						if strings.EqualFold(a.Name.Local, k) {
							return strings.TrimSpace(a.Value)
						}
					}
					return ""
				}
				line, _ := dec.InputPos()
				title := attr("text")
				if title == "" {
					title = attr("title")
				}
				xmlURL := attr("xmlUrl")
				if xmlURL == "" {
					pushed := title != ""
					if pushed {
						folders = append(folders, title)
					}
					stack = append(stack, pushed)
					continue
				}
				stack = append(stack, false)
				u, ok, err := remoteURL(xmlURL)
				if !ok {
					err = fmt.Errorf("xmlUrl %q is not an http or https URL", xmlURL)
				}
				if err != nil {
					errs = append(errs, inputErr(name, line, "xmlUrl", err))
					continue
				}
				spec := Spec{Location: xmlURL, URL: u, Kind: KindFeed, Name: title, File: name, Line: line}
				spec.Tags = addTags(nil, folders...)
				for _, c := range strings.Split(attr("category"), ",") {
					spec.Tags = addTags(spec.Tags, strings.Split(strings.Trim(c, "/ "), "/")...)
				}
				specs = append(specs, spec)
			}
		case xml.EndElement:
			if strings.EqualFold(t.Name.Local, "outline") && len(stack) > 0 {
				if stack[len(stack)-1] {
					folders = folders[:len(folders)-1]
				}
				stack = stack[:len(stack)-1]
			}
		}
	}
	if !sawOPML && len(errs) == 0 {
		errs = append(errs, inputErr(name, 0, "", errors.New("not an OPML file: no <opml> element")))
	}
	return specs, errors.Join(errs...)
}

func inputErr(file string, line int, field string, err error) error {
	return &digest.InputError{File: file, Line: line, Field: field, Err: err}
}
