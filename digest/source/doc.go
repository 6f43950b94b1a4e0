// Package source collects the articles of an edition from its sources: RSS,
// Atom and JSON feeds (from URLs or files), folders of Markdown files, and
// single web pages. It implements digest.Collector.
//
// # The sources list
//
// The sources are named in a plain text file, one source a line. Blank lines
// and lines starting with # are ignored, and so is the rest of a line from
// a # that starts a field (outside quotes). A line reads
//
//	LOCATION [fulltext] [page] [allow-internal] [name="Display Name"] [tags=a,b]
//
// LOCATION is one of
//
//   - an http or https URL of a feed (RSS 0.9x, 1.0 or 2.0, Atom 0.3 or 1.0,
//     JSON Feed 1.x), or of a web page that names its feed with
//     <link rel="alternate" type="application/rss+xml">;
//   - the path of a feed file;
//   - the path of a folder of Markdown files (*.md, read recursively), or of
//     one Markdown file;
//   - page:URL, or a URL followed by the page option, for a single web page
//     whose main text becomes one article.
//
// Relative paths are resolved against the folder of the list file. The
// options are
//
//   - fulltext: the feed carries only teasers, so fetch the pages of its 25
//     newest items (4 at a time, once: the text is cached) and use their
//     main text;
//   - page: LOCATION is a web page, not a feed;
//   - allow-internal: every request made for the source (item pages,
//     redirects, the feed a page names) may reach internal addresses;
//     without it only the line's own scheme, host and port may be internal
//     (see Fetching). Link-local addresses are never reached;
//   - name="...": the source's display name (default: the feed's title, or
//     the folder's name);
//   - tags=a,b: tags added to every article of the source (lower-cased).
//
// For example:
//
//	# Feeds
//	https://go.dev/blog/feed.atom name="The Go Blog" tags=go,programming
//	https://example.org/news/rss fulltext
//	# Local sources
//	articles name="Our Articles"
//	page:https://example.org/announcement tags=news
//
// An OPML file (one named *.opml, or any list whose content is OPML) is
// accepted as the list: each outline with an xmlUrl is a feed source, its
// text or title the name, its category attribute and enclosing folders the
// tags.
//
// # Markdown files
//
// A Markdown file may start with front matter between two lines of three
// dashes:
//
//	---
//	title: Keeping a Starter Alive
//	date: 2026-11-16T08:30:00-05:00
//	url: https://example.com/kitchen/starter
//	author: Maren Holt
//	tags: [food, baking]
//	---
//
// The keys understood are title, date (RFC 3339, "2006-01-02 15:04",
// or a bare date, read in the local time zone), url, author, tags (a
// [flow, list], a comma-separated string, or a block list of "- item" lines)
// and draft (true skips the file). Other keys are ignored. Values may be
// quoted with " or '. A malformed line is reported with its file and line.
// Without a title, the first heading or the file name is used. The body is
// rendered with goldmark, raw HTML left out.
//
// # Fetching
//
// Requests go out with bounded concurrency, a per-request timeout, a deadline
// for the whole collection and a size cap (a larger response is a failure,
// never silently truncated). Feeds are fetched conditionally (ETag,
// Last-Modified) through the Cache; on 304 the cached body is parsed again.
// A timeout or a 5xx reply is retried once. Only http and https are
// fetched, at most 5 redirects are followed, and no proxy is used.
//
// Which addresses a request may reach is decided as it connects, on the
// addresses actually dialled, for every request and every redirect hop:
// the default client resolves the host itself, keeps the allowed
// addresses and dials only those. Internal addresses are loopback,
// private (RFC 1918), shared (100.64.0.0/10), link-local (169.254.0.0/16,
// fe80::/10), unique-local (fc00::/7), unspecified, multicast, the
// reserved and documentation ranges, the IPv4-mapped forms of all these,
// and the IPv6 ranges that carry or tunnel an IPv4 address. A request is
// refused them unless
//
//   - it goes to the scheme, host and port of its own source line, as
//     written (a host name and its address differ), and that host has no
//     public address: an internal IP, localhost, or a name that resolves
//     only to internal addresses. A name with a public address is public,
//     and only its public addresses are dialled; or
//   - its source line says allow-internal.
//
// Link-local and cloud metadata addresses (169.254.0.0/16, fe80::/10,
// fd00:ec2::254, 100.100.100.200) are never dialled, whatever the line
// says. A refused feed fails with the address in its error; a refused
// fulltext page keeps its teaser and is logged as a warning naming the
// address. Each kind of reach keeps its own connection pool, so a
// connection opened to a source's own internal host is never reused by a
// request that may not reach it.
//
// A source that fails — unreachable, slow, malformed, too large, of the wrong
// content type — is reported in the Collection's Failures; the others still
// give their articles. An XML feed that is not well-formed (bytes that are
// not UTF-8, &#0;, a bare & or <, a tag left open, a truncated end) is
// repaired and read as far as it goes, its good items kept and one warning
// logged; it fails only if no item can be read.
//
// # Articles
//
// An article's ID is its canonical URL (see Canonical), so one story is
// collected once per run whichever sources carry it. Every article records
// when digest first collected it (Article.FirstSeen, kept in the Cache). An
// entry with no date, or dated in the future, is dated the time it was first
// seen: a wrong clock, or a feed that wants to look newest, does not keep an
// item on top.
package source
