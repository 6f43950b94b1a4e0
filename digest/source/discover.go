package source

import (
	"bytes"
	"net/url"
	"strings"

	"golang.org/x/net/html"
)

// feedLinkTypes are the <link type> values of a page's feed.
var feedLinkTypes = map[string]bool{
	"application/rss+xml":   true,
	"application/atom+xml":  true,
	"application/feed+json": true,
	"application/json":      true,
	"application/rdf+xml":   true,
}

// discoverFeed returns the URL of the first feed a web page announces with
// <link rel="alternate" type="application/rss+xml" href="...">, resolved
// against base, or "" if it announces none. Only the head is read.
func discoverFeed(page []byte, base *url.URL) string {
	z := html.NewTokenizer(bytes.NewReader(page))
	for {
		switch z.Next() {
		case html.ErrorToken:
			return ""
		case html.StartTagToken, html.SelfClosingTagToken:
			name, hasAttr := z.TagName()
			switch string(name) {
			case "body":
				return ""
			case "link":
				var rel, typ, href string
				for hasAttr {
					var k, v []byte
					k, v, hasAttr = z.TagAttr()
					switch string(k) {
					case "rel":
						rel = strings.ToLower(string(v))
					case "type":
						typ = strings.ToLower(strings.TrimSpace(string(v)))
					case "href":
						href = string(v)
					}
				}
				if !containsString(strings.Fields(rel), "alternate") || !feedLinkTypes[typ] {
					continue
				}
				if link := cleanLink(base, href); link != "" {
					return link
				}
			}
		}
	}
}
