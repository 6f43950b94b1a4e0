package source

import (
	"net/url"
	"path"
	"sort"
	"strings"
)

// trackingParams are query parameters that say how a reader arrived, not
// what they read.
var trackingParams = map[string]bool{
	"fbclid": true, "gclid": true, "dclid": true, "msclkid": true, "yclid": true,
	"mc_cid": true, "mc_eid": true, "ref": true, "ref_src": true, "igshid": true,
	"_hsenc": true, "_hsmi": true, "mkt_tok": true,
}

func isTracking(key string) bool {
	k := strings.ToLower(key)
	return trackingParams[k] || strings.HasPrefix(k, "utm_")
}

// Canonical returns the form of an http(s) URL that identifies a story:
// https scheme, lower-case host without "www." and default port, no
// fragment, no tracking parameters (utm_*, fbclid, gclid, ref, ...), the
// other parameters sorted, no trailing slash. Two links to the same story
// give the same string. Canonical returns "" for anything but an absolute
// http or https URL.
func Canonical(raw string) string {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || u.Host == "" {
		return ""
	}
	switch strings.ToLower(u.Scheme) {
	case "http", "https":
	default:
		return ""
	}
	host := strings.ToLower(u.Hostname())
	host = strings.TrimPrefix(host, "www.")
	host = strings.TrimSuffix(host, ".")
	if port := u.Port(); port != "" && port != "80" && port != "443" {
		if strings.Contains(host, ":") {
			host = "[" + host + "]"
		}
		host += ":" + port
	} else if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	p := u.EscapedPath()
	if p != "" {
		p = path.Clean(p)
	}
	p = strings.TrimRight(p, "/")
	out := "https://" + host + p
	if q := cleanQuery(u.RawQuery, true); q != "" {
		out += "?" + q
	}
	return out
}

// cleanQuery drops tracking parameters from a raw query, and sorts the rest
// if sorted is true.
func cleanQuery(raw string, sorted bool) string {
	if raw == "" {
		return ""
	}
	parts := strings.Split(raw, "&")
	kept := parts[:0]
	for _, p := range parts {
		if p == "" {
			continue
		}
		k, _, _ := strings.Cut(p, "=")
		if key, err := url.QueryUnescape(k); err == nil && isTracking(key) {
			continue
		}
		kept = append(kept, p)
	}
	if sorted {
		sort.Strings(kept)
	}
	return strings.Join(kept, "&")
}

// MaxLink caps, in bytes, the link of an article: a longer one is dropped
// (the item stays, without a link), as each message carries every link
// at least once.
const MaxLink = 1000

// cleanLink returns link resolved against base, with tracking parameters
// dropped, or "" if it is not an http(s) URL or is longer than MaxLink.
// Unlike Canonical it keeps the link as the publisher wrote it otherwise,
// for readers to click.
func cleanLink(base *url.URL, link string) string {
	link = strings.TrimSpace(link)
	if link == "" {
		return ""
	}
	u, err := url.Parse(link)
	if err != nil {
		return ""
	}
	if base != nil {
		u = base.ResolveReference(u)
	}
	switch strings.ToLower(u.Scheme) {
	case "http", "https":
	default:
		return ""
	}
	if u.Host == "" {
		return ""
	}
	u.RawQuery = cleanQuery(u.RawQuery, false)
	if s := u.String(); len(s) <= MaxLink {
		return s
	}
	return ""
}
