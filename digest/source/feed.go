package source

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"html"
	"net/url"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/mmcdole/gofeed"
	"golang.org/x/text/encoding/charmap"

	"github.com/digest-newsletter/digest/digest"
	"github.com/digest-newsletter/digest/digest/extract"
)

// ErrNoFeed reports a document that is not a feed gofeed can read.
var ErrNoFeed = errors.New("source: not a feed")

// An entry is an article as a source gave it, before the collector settles
// its ID and date.
type entry struct {
	digest.Article
	// key is the entry's own identity (GUID, or link, or title) for an
	// article without a URL.
	key string
}

// xmlDecl matches an XML declaration naming an encoding.
var xmlDecl = regexp.MustCompile(`^\s*<\?xml[^>]*encoding\s*=`)

// parseFeed parses an RSS, Atom or JSON feed. base (may be nil) is the
// feed's URL, against which relative links resolve after the feed's own
// site link. It returns the feed's title and its entries; an entry without
// a usable title, link or text is skipped. An XML feed that is not
// well-formed is repaired and read as far as it goes (see parseXMLFeed);
// repaired then says what was done, for a warning.
func parseFeed(data []byte, base *url.URL) (title string, entries []entry, repaired string, err error) {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	if !utf8.Valid(data) && !xmlDecl.Match(data) && !mostlyUTF8(data) {
		// Undeclared 8-bit text is, in practice, Windows-1252. Mostly
		// UTF-8 text with a few stray bytes is UTF-8: repairXML reads
		// just those bytes as Windows-1252.
		if d, err := charmap.Windows1252.NewDecoder().Bytes(data); err == nil {
			data = d
		}
	}
	var feed *gofeed.Feed
	if bytes.HasPrefix(bytes.TrimSpace(data), []byte("<")) {
		feed, repaired, err = parseXMLFeed(data)
	} else {
		feed, err = gofeedParse(data)
	}
	if err != nil {
		if errors.Is(err, gofeed.ErrFeedTypeNotDetected) {
			return "", nil, "", ErrNoFeed
		}
		return "", nil, "", fmt.Errorf("parse feed: %w", err)
	}
	site := base
	if feed.Link != "" {
		if u, err := url.Parse(strings.TrimSpace(feed.Link)); err == nil {
			if site != nil {
				u = site.ResolveReference(u)
			}
			if u.IsAbs() {
				site = u
			}
		}
	}
	for _, it := range feed.Items {
		if it == nil {
			continue
		}
		e := entry{}
		e.Title = plainTitle(it.Title)
		if e.Title == "" {
			e.Title = plainTitle(mediaTitle(it))
		}
		e.URL = itemLink(site, it)
		e.Text = extract.Fragment(it.Content)
		if strings.TrimSpace(e.Text) == "" {
			e.Text = extract.Fragment(it.Description)
		}
		if e.Title == "" {
			e.Title = firstWords(e.Text, 12)
		}
		if e.Title == "" && e.URL == "" {
			continue
		}
		switch {
		case len(it.Authors) > 0 && it.Authors[0] != nil && it.Authors[0].Name != "":
			e.Author = plainTitle(it.Authors[0].Name)
		case len(feed.Authors) > 0 && feed.Authors[0] != nil:
			e.Author = plainTitle(feed.Authors[0].Name)
		}
		switch {
		case it.PublishedParsed != nil:
			e.Published = zoned(*it.PublishedParsed, it.Published)
		case it.UpdatedParsed != nil:
			e.Published = zoned(*it.UpdatedParsed, it.Updated)
		}
		for _, c := range it.Categories {
			e.Tags = addTags(e.Tags, strings.Split(c, ",")...)
		}
		e.key = it.GUID
		if e.key == "" {
			e.key = e.URL
		}
		if e.key == "" {
			e.key = e.Title + "\x00" + e.Published.Format(time.RFC3339)
		}
		entries = append(entries, e)
	}
	return plainTitle(feed.Title), entries, repaired, nil
}

// parseXMLFeed parses an XML feed, repaired first if it is not
// well-formed (see repairXML): gofeed refuses some broken documents and
// misreads others (a <b> left open in a title ate the items after it). A
// document still broken after the repair is read up to the last complete
// item before the line the reader stopped at. repaired says what was done,
// "" if nothing; a repair that gives no item is not taken.
func parseXMLFeed(data []byte) (feed *gofeed.Feed, repaired string, err error) {
	fixed, ends, rep := repairXML(data)
	f, ferr := gofeedParse(fixed)
	var se *xml.SyntaxError
	if ferr != nil && errors.As(ferr, &se) {
		if cut := cutAfterItem(fixed, ends, se.Line); cut != nil {
			rep.cutAtLine = se.Line
			f, ferr = gofeedParse(cut)
		}
	}
	if !rep.changed() {
		return f, "", ferr
	}
	if ferr == nil && len(f.Items) > 0 {
		return f, rep.String(), nil
	}
	// The repair did not help: the document as it is, or its error.
	feed, err = gofeedParse(data)
	return feed, "", err
}

// mostlyUTF8 reports whether data has more valid multi-byte UTF-8
// sequences than bytes that are not UTF-8.
func mostlyUTF8(data []byte) bool {
	valid, invalid := 0, 0
	for i := 0; i < len(data); {
		if data[i] < utf8.RuneSelf {
			i++
			continue
		}
		r, n := utf8.DecodeRune(data[i:])
		if r == utf8.RuneError && n <= 1 {
			invalid++
		} else {
			valid++
		}
		i += n
	}
	return valid > invalid
}

// gofeedParse parses a feed with gofeed.
func gofeedParse(data []byte) (*gofeed.Feed, error) {
	fp := gofeed.NewParser()
	// Item images are not used; finding them parses every item's HTML.
	fp.RSSTranslator = &gofeed.DefaultRSSTranslator{DisableContentImageScan: true}
	return fp.Parse(bytes.NewReader(data))
}

// mediaTitle returns an item's Media RSS title (media:title, alone or in a
// media:group or media:content), or "".
func mediaTitle(it *gofeed.Item) string {
	media := it.Extensions["media"]
	if media == nil {
		return ""
	}
	for _, t := range media["title"] {
		if v := strings.TrimSpace(t.Value); v != "" {
			return v
		}
	}
	for _, parent := range []string{"group", "content"} {
		for _, p := range media[parent] {
			for _, t := range p.Children["title"] {
				if v := strings.TrimSpace(t.Value); v != "" {
					return v
				}
			}
		}
	}
	return ""
}

// zoneLayouts are the common feed date forms that carry a numeric offset.
var zoneLayouts = []string{
	time.RFC1123Z,
	"Mon, 2 Jan 2006 15:04:05 -0700",
	"2 Jan 2006 15:04:05 -0700",
	"Mon, 2 Jan 2006 15:04 -0700",
	time.RFC3339Nano,
}

// zoned returns t, which gofeed gives in UTC, in the offset written in raw
// when raw can be read as the same instant.
func zoned(t time.Time, raw string) time.Time {
	raw = strings.TrimSpace(raw)
	for _, layout := range zoneLayouts {
		if z, err := time.Parse(layout, raw); err == nil && z.Equal(t) {
			return z
		}
	}
	return t
}

// itemLink returns an item's link, resolved: its link, else a GUID that is
// a URL, else its first enclosure.
func itemLink(site *url.URL, it *gofeed.Item) string {
	cands := []string{it.Link}
	cands = append(cands, it.Links...)
	if strings.HasPrefix(it.GUID, "http://") || strings.HasPrefix(it.GUID, "https://") {
		cands = append(cands, it.GUID)
	}
	for _, enc := range it.Enclosures {
		if enc != nil {
			cands = append(cands, enc.URL)
		}
	}
	for _, c := range cands {
		if l := cleanLink(site, c); l != "" {
			return l
		}
	}
	return ""
}

// plainTitle returns a title (or a name) as plain text: the HTML tags of
// text formatting (<b>, <em>, <span>, <a> and the like) are stripped, a
// <br>, <p>, <div>, <img> or heading tag leaves a space, entities are
// decoded once more (feeds often escape twice), and digest.CleanText makes
// it one clean line. Any other "<...>" is kept as text, so "Vec<T>" and
// "Why the <object> tag matters" keep their words.
func plainTitle(s string) string {
	if strings.IndexByte(s, '<') >= 0 {
		s = titleTag.ReplaceAllStringFunc(s, func(tag string) string {
			m := titleTag.FindStringSubmatch(tag)
			switch name := strings.ToLower(m[1]); {
			case inlineTags[name]:
				return ""
			case blockTags[name]:
				return " "
			}
			return tag
		})
	}
	if strings.IndexByte(s, '&') >= 0 {
		s = html.UnescapeString(s)
	}
	return digest.CleanText(s)
}

var (
	titleTag = regexp.MustCompile(`</?([A-Za-z][A-Za-z0-9]*)(?:\s[^<>]*)?/?>`)
	// inlineTags are stripped without a trace: "<b>Go</b>1" is "Go1".
	inlineTags = set("a", "abbr", "b", "bdi", "bdo", "big", "cite", "code", "data", "del", "dfn", "em", "font",
		"i", "ins", "kbd", "mark", "q", "s", "samp", "small", "span", "strike", "strong", "sub", "sup",
		"time", "tt", "u", "var", "wbr")
	// blockTags leave a space.
	blockTags = set("br", "p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "li", "ul", "ol", "blockquote", "img", "hr")
)

func set(names ...string) map[string]bool {
	m := make(map[string]bool, len(names))
	for _, n := range names {
		m[n] = true
	}
	return m
}

// firstWords returns up to n words of text, with an ellipsis if cut.
func firstWords(text string, n int) string {
	words := strings.Fields(text)
	if len(words) <= n {
		return strings.Join(words, " ")
	}
	return strings.Join(words[:n], " ") + "…"
}

// localID returns the ID of an article with no URL: a stable digest of the
// source's location and the entry's own key.
func localID(source, key string) string {
	sum := sha256.Sum256([]byte(source + "\x00" + key))
	return "urn:digest:" + hex.EncodeToString(sum[:12])
}
