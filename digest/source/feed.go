package source

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
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
// a usable title, link or text is skipped.
func parseFeed(data []byte, base *url.URL) (string, []entry, error) {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	if !utf8.Valid(data) && !xmlDecl.Match(data) {
		// Undeclared 8-bit text is, in practice, Windows-1252.
		if d, err := charmap.Windows1252.NewDecoder().Bytes(data); err == nil {
			data = d
		}
	}
	fp := gofeed.NewParser()
	// Item images are not used; finding them parses every item's HTML.
	fp.RSSTranslator = &gofeed.DefaultRSSTranslator{DisableContentImageScan: true}
	feed, err := fp.Parse(bytes.NewReader(data))
	if err != nil {
		if errors.Is(err, gofeed.ErrFeedTypeNotDetected) {
			return "", nil, ErrNoFeed
		}
		return "", nil, fmt.Errorf("parse feed: %w", err)
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
	var entries []entry
	for _, it := range feed.Items {
		if it == nil {
			continue
		}
		e := entry{}
		e.Title = plainTitle(it.Title)
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
	return plainTitle(feed.Title), entries, nil
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

// plainTitle strips markup from a title and decodes its entities.
func plainTitle(s string) string {
	if !strings.ContainsAny(s, "<&") {
		return strings.Join(strings.Fields(s), " ")
	}
	return strings.Join(strings.Fields(extract.Fragment(s)), " ")
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
