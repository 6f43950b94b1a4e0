package source

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/digest-newsletter/digest/digest"
	"github.com/digest-newsletter/digest/digest/extract"
)

// Defaults of the Config fields left zero.
const (
	DefaultConcurrency = 16
	DefaultTimeout     = 20 * time.Second
	DefaultDeadline    = 3 * time.Minute
	DefaultMaxBytes    = 10 << 20
)

// Accept headers of the requests.
const (
	acceptFeed = "application/rss+xml, application/atom+xml, application/feed+json, application/xml;q=0.9, text/xml;q=0.9, application/json;q=0.8, */*;q=0.1"
	acceptPage = "text/html, application/xhtml+xml;q=0.9, */*;q=0.1"
)

// Config sets up a Collector. Zero fields take the defaults.
type Config struct {
	// List is the path of the sources list, or of an OPML file.
	List string
	// Client fetches the remote sources. Nil builds a client that decides,
	// as it connects, which addresses each request may reach (see the
	// package documentation); a client given here is used as it is, with
	// its own policy, and Resolver and Dial are not used.
	Client *http.Client
	// Resolver looks up host names for the default client (nil:
	// net.DefaultResolver), and Dial connects it to an address, an IP and
	// a port, once the address policy has allowed that address (nil: a
	// net.Dialer that checks the address again as it connects). Tests set
	// them to stay off the machine's DNS.
	Resolver Resolver
	Dial     DialFunc
	// Concurrency bounds the sources read and the requests in flight at
	// once (default 16).
	Concurrency int
	// Timeout bounds each request (default 20s); Deadline the whole
	// collection (default 3m).
	Timeout  time.Duration
	Deadline time.Duration
	// MaxBytes caps a response body (default 10 MiB); a larger one fails.
	MaxBytes int64
	// Cache remembers validators, bodies and first-seen times; nil means
	// no conditional requests and first-seen = now.
	Cache  Cache
	Now    func() time.Time
	Logger *slog.Logger
	// UserAgent defaults to DefaultUserAgent.
	UserAgent string
	// Location is the time zone of Markdown dates written without one
	// (default time.Local).
	Location *time.Location
}

// A Collector reads every source of a list. It is safe for concurrent use
// by one Collect at a time.
type Collector struct {
	cfg   Config
	specs []Spec
	fetch *fetcher
}

var _ digest.Collector = (*Collector)(nil)

// New reads and checks the sources list named by cfg.List. Every bad line
// is reported, as a *digest.InputError (joined with errors.Join): a line
// that does not parse, or a local path that does not exist.
func New(cfg Config) (*Collector, error) {
	if cfg.List == "" {
		return nil, errors.New("source: no sources list")
	}
	f, err := os.Open(cfg.List)
	if err != nil {
		return nil, fmt.Errorf("open sources list: %w", err)
	}
	defer f.Close()
	specs, err := ParseList(f, cfg.List)
	errs := []error{err}
	for i := range specs {
		s := &specs[i]
		if s.Path == "" {
			continue
		}
		info, err := os.Stat(s.Path)
		if err != nil {
			errs = append(errs, inputErr(s.File, s.Line, "location", fmt.Errorf("%s: %w", s.Location, errors.Unwrap(err))))
			continue
		}
		if info.IsDir() || isMarkdown(s.Path) {
			s.Kind = KindMarkdown
			if s.FullText {
				errs = append(errs, inputErr(s.File, s.Line, "fulltext", fmt.Errorf("%s is Markdown: fulltext applies to feeds only", s.Location)))
			}
			if s.AllowInternal {
				errs = append(errs, inputErr(s.File, s.Line, "allow-internal", fmt.Errorf("%s is Markdown: allow-internal applies to feeds and pages only", s.Location)))
			}
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return NewFromSpecs(cfg, specs), nil
}

// NewFromSpecs returns a Collector of the given sources, for callers that
// build the list themselves; cfg.List is not read. Local paths are not
// checked: a missing one fails at Collect.
func NewFromSpecs(cfg Config, specs []Spec) *Collector {
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = DefaultConcurrency
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.Deadline <= 0 {
		cfg.Deadline = DefaultDeadline
	}
	if cfg.MaxBytes <= 0 {
		cfg.MaxBytes = DefaultMaxBytes
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.UserAgent == "" {
		cfg.UserAgent = DefaultUserAgent
	}
	if cfg.Location == nil {
		cfg.Location = time.Local
	}
	if cfg.Client == nil {
		cfg.Client = newClient(cfg.Resolver, cfg.Dial, cfg.Timeout)
	}
	return &Collector{
		cfg:   cfg,
		specs: specs,
		fetch: &fetcher{
			client:    cfg.Client,
			cache:     cfg.Cache,
			timeout:   cfg.Timeout,
			maxBytes:  cfg.MaxBytes,
			userAgent: cfg.UserAgent,
			logger:    cfg.Logger,
			slots:     make(chan struct{}, cfg.Concurrency),
		},
	}
}

// Sources returns the sources of the list, in list order.
func (c *Collector) Sources() []Spec {
	return slices.Clone(c.specs)
}

// Collect reads every source, at most Concurrency at once, within the
// Deadline. A failing source is reported in the Collection's Failures; an
// article carried by several sources (same canonical URL) is kept once, from
// the first source in list order. Articles are ordered by source, then as
// the source lists them.
func (c *Collector) Collect(ctx context.Context) (digest.Collection, error) {
	ctx, cancel := context.WithTimeout(ctx, c.cfg.Deadline)
	defer cancel()
	now := c.cfg.Now()
	type result struct {
		articles []digest.Article
		failures []digest.SourceFailure
	}
	results := make([]result, len(c.specs))
	var wg sync.WaitGroup
	sem := make(chan struct{}, c.cfg.Concurrency)
	for i, spec := range c.specs {
		wg.Go(func() {
			select {
			case sem <- struct{}{}:
				defer func() { <-sem }()
			case <-ctx.Done():
				results[i].failures = append(results[i].failures, failure(spec, fmt.Errorf("not started: %w", context.Cause(ctx))))
				return
			}
			start := time.Now()
			arts, bad, err := c.collectOne(ctx, spec, now)
			for _, b := range bad {
				results[i].failures = append(results[i].failures, failure(spec, b))
			}
			if err != nil {
				results[i].failures = append(results[i].failures, failure(spec, err))
				c.cfg.Logger.WarnContext(ctx, "source failed", "source", spec.String(), "err", err)
			} else {
				c.cfg.Logger.DebugContext(ctx, "source collected", "source", spec.String(), "articles", len(arts), "took", time.Since(start))
			}
			results[i].articles = arts
		})
	}
	wg.Wait()
	if err := context.Cause(ctx); err != nil && errors.Is(err, context.Canceled) {
		return digest.Collection{}, fmt.Errorf("collect: %w", err)
	}
	var out digest.Collection
	seen := map[string]bool{}
	for _, r := range results {
		for _, a := range r.articles {
			if seen[a.ID] {
				continue
			}
			seen[a.ID] = true
			out.Articles = append(out.Articles, a)
		}
		out.Failures = append(out.Failures, r.failures...)
	}
	return out, nil
}

func failure(spec Spec, err error) digest.SourceFailure {
	return digest.SourceFailure{Source: spec.String(), Err: err.Error()}
}

// collectOne reads one source. bad lists entries skipped for a reason
// worth reporting (a bad Markdown file); err means the source failed.
func (c *Collector) collectOne(ctx context.Context, spec Spec, now time.Time) ([]digest.Article, []error, error) {
	ctx = withPolicy(ctx, spec)
	var (
		name    = spec.Name
		srcURL  = spec.URL
		entries []entry
		bad     []error
		err     error
	)
	if spec.Path != "" && (isDir(spec.Path) || isMarkdown(spec.Path)) {
		spec.Kind = KindMarkdown
	}
	switch spec.Kind {
	case KindPage:
		entries, err = c.page(ctx, spec)
	case KindMarkdown:
		entries, bad, err = readMarkdown(ctx, spec.Path, c.cfg.Location, c.cfg.MaxBytes)
		if name == "" {
			name = filepath.Base(filepath.FromSlash(spec.Location))
		}
		srcURL = spec.Location
	default:
		var title string
		title, entries, err = c.feed(ctx, spec)
		if name == "" {
			name = title
		}
		if spec.Path != "" {
			srcURL = spec.Location
		}
	}
	if err != nil {
		return nil, bad, err
	}
	if name == "" {
		name = spec.Location
	}
	name = digest.Shorten(digest.CleanText(name), digest.MaxName)
	if spec.FullText && spec.Kind == KindFeed {
		c.fullText(ctx, spec, entries)
	}
	arts := make([]digest.Article, 0, len(entries))
	seen := map[string]bool{}
	for _, e := range entries {
		a := e.Article
		a.ID = Canonical(a.URL)
		if a.ID == "" {
			a.ID = localID(spec.Location, e.key)
		}
		if seen[a.ID] {
			continue
		}
		seen[a.ID] = true
		a.Source, a.SourceURL = name, srcURL
		a.Title = digest.Shorten(digest.CleanText(a.Title), digest.MaxTitle)
		a.Author = digest.Shorten(digest.CleanText(a.Author), digest.MaxName)
		a.Tags = addTags(a.Tags, spec.Tags...)
		arts = append(arts, a)
	}
	first := c.firstSeen(ctx, arts, now)
	for i := range arts {
		a := &arts[i]
		a.FirstSeen = first[a.ID]
		if a.Published.IsZero() || a.Published.After(now) {
			a.Published = now
			if !a.FirstSeen.IsZero() {
				a.Published = a.FirstSeen.In(now.Location())
			}
		}
	}
	return arts, bad, nil
}

// FirstSeenMany is implemented by a Cache that records many first-seen
// times in one go, as the state store does (one transaction, not one an
// article).
type FirstSeenMany interface {
	FirstSeenMany(ctx context.Context, ids []string, now time.Time) (map[string]time.Time, error)
}

// MsgFeedRepaired is the message of the warning logged, once, for a feed
// that was not well-formed and was read as far as it goes; its attributes
// are source, repair (what was done) and articles.
const MsgFeedRepaired = "feed repaired"

// firstSeen returns when each article was first collected, recording now
// for the new ones; an article is absent (zero) without a cache, or if the
// cache fails.
func (c *Collector) firstSeen(ctx context.Context, arts []digest.Article, now time.Time) map[string]time.Time {
	if c.cfg.Cache == nil || len(arts) == 0 {
		return nil
	}
	ids := make([]string, len(arts))
	for i, a := range arts {
		ids[i] = a.ID
	}
	if many, ok := c.cfg.Cache.(FirstSeenMany); ok {
		first, err := many.FirstSeenMany(ctx, ids, now)
		if err != nil {
			c.cfg.Logger.WarnContext(ctx, "first seen", "articles", len(ids), "err", err)
			return nil
		}
		return first
	}
	first := make(map[string]time.Time, len(ids))
	for _, id := range ids {
		t, err := c.cfg.Cache.FirstSeen(ctx, id, now)
		if err != nil {
			c.cfg.Logger.WarnContext(ctx, "first seen", "id", id, "err", err)
			continue
		}
		first[id] = t
	}
	return first
}

func isDir(p string) bool {
	info, err := os.Stat(p)
	return err == nil && info.IsDir()
}

// feed reads a feed from its URL or file.
func (c *Collector) feed(ctx context.Context, spec Spec) (string, []entry, error) {
	var (
		data []byte
		base *url.URL
	)
	if spec.URL != "" {
		res, err := c.fetch.get(ctx, spec.URL, acceptFeed, true)
		if err != nil {
			return "", nil, err
		}
		if mt := mediaType(res.contentType); mt == "text/html" || mt == "application/xhtml+xml" {
			// A site's address instead of its feed's: follow the feed
			// link the page announces, once.
			link := discoverFeed(res.body, res.url)
			if link == "" {
				return "", nil, fmt.Errorf("%w: %s, a web page that names no feed (add the page option to read it as one article)", ErrContentType, mt)
			}
			c.cfg.Logger.DebugContext(ctx, "feed discovered", "source", spec.String(), "feed", link)
			if res, err = c.fetch.get(ctx, link, acceptFeed, true); err != nil {
				return "", nil, err
			}
		}
		if !feedType(res.contentType) {
			return "", nil, fmt.Errorf("%w: %s", ErrContentType, mediaType(res.contentType))
		}
		data, base = res.body, res.url
	} else {
		info, err := os.Stat(spec.Path)
		if err != nil {
			return "", nil, err
		}
		if info.Size() > c.cfg.MaxBytes {
			return "", nil, fmt.Errorf("%w: %d bytes, the limit is %d", ErrTooLarge, info.Size(), c.cfg.MaxBytes)
		}
		if data, err = os.ReadFile(spec.Path); err != nil {
			return "", nil, err
		}
	}
	title, entries, repaired, err := parseFeed(data, base)
	if repaired != "" {
		c.cfg.Logger.WarnContext(ctx, MsgFeedRepaired, "source", spec.String(), "repair", repaired, "articles", len(entries))
	}
	return title, entries, err
}

// page reads one web page as one article.
func (c *Collector) page(ctx context.Context, spec Spec) ([]entry, error) {
	res, err := c.fetch.get(ctx, spec.URL, acceptPage, false)
	if err != nil {
		return nil, err
	}
	if !pageType(res.contentType) {
		return nil, fmt.Errorf("%w: %s", ErrContentType, mediaType(res.contentType))
	}
	p, err := extract.HTML(bytes.NewReader(res.body), res.url, res.contentType)
	if err != nil {
		return nil, err
	}
	e := entry{key: spec.URL}
	e.URL = cleanLink(nil, res.url.String())
	e.Title, e.Author, e.Text, e.Published, e.Lang = plainTitle(p.Title), p.Byline, p.Text, p.Published, p.Lang
	if e.Title == "" {
		e.Title = firstWords(e.Text, 12)
	}
	return []entry{e}, nil
}

// fullTextKey is the cache key under which an article's full text is kept.
func fullTextKey(id string) string { return "fulltext " + id }

// Limits of the fulltext option: the pages of one source fetched at once
// (all its pages are usually on one site), and how many of its newest items
// get their full text.
const (
	fullTextPerSource = 4
	fullTextItems     = 25
)

// fullText replaces the text of a source's newest entries with the main
// text of their pages. A text fetched by an earlier run comes from the
// cache; the others are fetched, a few at a time. An entry whose page
// fails keeps its teaser.
func (c *Collector) fullText(ctx context.Context, spec Spec, entries []entry) {
	order := make([]int, len(entries))
	for i := range order {
		order[i] = i
	}
	// Newest first; undated entries are new.
	slices.SortStableFunc(order, func(a, b int) int {
		ta, tb := entries[a].Published, entries[b].Published
		switch {
		case ta.IsZero() && tb.IsZero():
			return 0
		case ta.IsZero():
			return -1
		case tb.IsZero():
			return 1
		}
		return tb.Compare(ta)
	})
	if len(order) > fullTextItems {
		order = order[:fullTextItems]
	}
	var wg sync.WaitGroup
	sem := make(chan struct{}, min(fullTextPerSource, c.cfg.Concurrency))
	for _, i := range order {
		e := &entries[i]
		if e.URL == "" {
			continue
		}
		id := Canonical(e.URL)
		if c.cfg.Cache != nil {
			if _, _, text, err := c.cfg.Cache.LoadFetch(ctx, fullTextKey(id)); err == nil && len(text) > 0 {
				e.Text = string(text)
				continue
			}
		}
		wg.Go(func() {
			select {
			case sem <- struct{}{}:
				defer func() { <-sem }()
			case <-ctx.Done():
				return
			}
			text, err := c.pageText(ctx, e.URL)
			if err != nil {
				level := slog.LevelInfo
				if errors.Is(err, ErrInternalAddress) {
					level = slog.LevelWarn
				}
				c.cfg.Logger.Log(ctx, level, "full text", "source", spec.String(), "url", e.URL, "err", err)
				return
			}
			e.Text = text
			if c.cfg.Cache != nil {
				if err := c.cfg.Cache.SaveFetch(ctx, fullTextKey(id), "", "", []byte(text)); err != nil {
					c.cfg.Logger.WarnContext(ctx, "fetch cache", "url", e.URL, "err", err)
				}
			}
		})
	}
	wg.Wait()
}

// pageText fetches a page and returns its main text.
func (c *Collector) pageText(ctx context.Context, link string) (string, error) {
	res, err := c.fetch.get(ctx, link, acceptPage, false)
	if err != nil {
		return "", err
	}
	if !pageType(res.contentType) {
		return "", fmt.Errorf("%w: %s", ErrContentType, mediaType(res.contentType))
	}
	p, err := extract.HTML(bytes.NewReader(res.body), res.url, res.contentType)
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(p.Text), nil
}
