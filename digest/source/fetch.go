package source

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
	"time"
)

// DefaultUserAgent names the project and where to read about it.
const DefaultUserAgent = "digest/1.0 (+https://github.com/digest-newsletter/digest)"

// maxRedirects is the number of redirects followed before giving up.
const maxRedirects = 5

// Errors a fetch can end with; a source's failure wraps one of them.
var (
	ErrTooLarge         = errors.New("source: too large")
	ErrContentType      = errors.New("source: wrong content type")
	ErrInternalAddress  = errors.New("source: internal address refused")
	ErrTooManyRedirects = errors.New("source: too many redirects")
	ErrScheme           = errors.New("source: only http and https are fetched")
)

// An HTTPError is a reply other than 200 or 304.
type HTTPError struct {
	URL    string
	Status int
}

func (e *HTTPError) Error() string {
	return fmt.Sprintf("HTTP %d %s", e.Status, http.StatusText(e.Status))
}

// A Cache remembers what earlier runs fetched and saw. The state store
// implements it; it must be safe for concurrent use.
type Cache interface {
	// LoadFetch returns the validators and body saved for url, empty when
	// none.
	LoadFetch(ctx context.Context, url string) (etag, lastModified string, body []byte, err error)
	// SaveFetch saves the validators and body of a fetch of url.
	SaveFetch(ctx context.Context, url, etag, lastModified string, body []byte) error
	// FirstSeen returns when the article id was first seen, recording now
	// if it is new.
	FirstSeen(ctx context.Context, id string, now time.Time) (time.Time, error)
}

// policyKey is the context key of the address policy of a fetch.
type policyKey struct{}

// allowInternal returns ctx marked so that the default client may connect
// to internal addresses.
func allowInternal(ctx context.Context) context.Context {
	return context.WithValue(ctx, policyKey{}, true)
}

func internalAllowed(ctx context.Context) bool {
	ok, _ := ctx.Value(policyKey{}).(bool)
	return ok
}

// isInternal reports whether ip is loopback, private, link-local,
// unspecified, multicast or otherwise not a public unicast address.
func isInternal(ip netip.Addr) bool {
	ip = ip.Unmap()
	if ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() ||
		ip.IsInterfaceLocalMulticast() || ip.IsMulticast() || ip.IsUnspecified() || !ip.IsGlobalUnicast() {
		return true
	}
	for _, p := range internalPrefixes {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

// internalPrefixes are ranges not caught by the netip predicates: shared
// address space (CGNAT), benchmarking, documentation, 6to4 relay, NAT64 and
// the IPv4 "this network" and reserved blocks.
var internalPrefixes = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),
	netip.MustParsePrefix("100.64.0.0/10"),
	netip.MustParsePrefix("192.0.0.0/24"),
	netip.MustParsePrefix("192.0.2.0/24"),
	netip.MustParsePrefix("198.18.0.0/15"),
	netip.MustParsePrefix("198.51.100.0/24"),
	netip.MustParsePrefix("203.0.113.0/24"),
	netip.MustParsePrefix("240.0.0.0/4"),
	netip.MustParsePrefix("64:ff9b::/96"),
	netip.MustParsePrefix("2001:db8::/32"),
}

// NewClient returns the HTTP client used when Config.Client is nil. It
// follows at most 5 redirects, only to http and https, and its dialer
// refuses internal addresses (checked on the resolved IP, at dial time)
// unless the request's context allows them, which the Collector does only
// for a source that itself lives on an internal address.
func NewClient() *http.Client {
	base := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.Proxy = nil // a proxy would hide the address actually reached
	tr.MaxIdleConnsPerHost = 16
	tr.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		d := *base
		if !internalAllowed(ctx) {
			d.Control = refuseInternal
		}
		return d.DialContext(ctx, network, addr)
	}
	return &http.Client{Transport: tr, CheckRedirect: checkRedirect}
}

// refuseInternal is a net.Dialer.Control that refuses internal addresses.
func refuseInternal(network, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("%w: %s", ErrInternalAddress, address)
	}
	if isInternal(ap.Addr()) {
		return fmt.Errorf("%w: %s", ErrInternalAddress, ap.Addr())
	}
	return nil
}

func checkRedirect(req *http.Request, via []*http.Request) error {
	if len(via) > maxRedirects {
		return fmt.Errorf("%w (more than %d)", ErrTooManyRedirects, maxRedirects)
	}
	switch req.URL.Scheme {
	case "http", "https":
		return nil
	}
	return fmt.Errorf("redirect to %s: %w", req.URL.Redacted(), ErrScheme)
}

// hostIsInternal reports whether the host of rawURL is, or resolves to, an
// internal address. A name that does not resolve is not internal: its
// fetch will fail on its own.
func hostIsInternal(ctx context.Context, rawURL string) bool {
	u, err := url.Parse(rawURL)
	if err != nil {
		return false
	}
	host := u.Hostname()
	if ip, err := netip.ParseAddr(host); err == nil {
		return isInternal(ip)
	}
	if strings.EqualFold(host, "localhost") || strings.HasSuffix(strings.ToLower(host), ".localhost") {
		return true
	}
	ips, err := net.DefaultResolver.LookupNetIP(ctx, "ip", host)
	if err != nil {
		return false
	}
	for _, ip := range ips {
		if isInternal(ip) {
			return true
		}
	}
	return false
}

// A fetcher gets URLs with the collection's limits.
type fetcher struct {
	client    *http.Client
	cache     Cache
	timeout   time.Duration
	maxBytes  int64
	userAgent string
	logger    *slog.Logger
	slots     chan struct{} // bounds the requests in flight
}

// A response is a fetched body.
type response struct {
	body        []byte
	contentType string
	url         *url.URL // after redirects
	cached      bool     // a 304: body is the cached one
}

// get fetches rawURL. With conditional set, it sends the validators saved in
// the cache and saves the new ones; a 304 returns the cached body. A
// timeout or a 5xx reply is retried once.
func (f *fetcher) get(ctx context.Context, rawURL, accept string, conditional bool) (*response, error) {
	var etag, lastMod string
	var cachedBody []byte
	if conditional && f.cache != nil {
		var err error
		etag, lastMod, cachedBody, err = f.cache.LoadFetch(ctx, rawURL)
		if err != nil {
			f.logger.WarnContext(ctx, "fetch cache", "url", rawURL, "err", err)
		}
		if len(cachedBody) == 0 {
			etag, lastMod = "", ""
		}
	}
	var (
		resp *attempt
		err  error
	)
	for try := 0; try < 2; try++ {
		resp, err = f.once(ctx, rawURL, accept, etag, lastMod)
		if err == nil || !retryable(ctx, err) {
			break
		}
		f.logger.DebugContext(ctx, "retry", "url", rawURL, "err", err)
	}
	if err != nil {
		return nil, fmt.Errorf("fetch %s: %w", rawURL, f.reason(ctx, err))
	}
	if resp.cached {
		resp.body = cachedBody
		return resp.response, nil
	}
	// The body is kept for a later 304; without validators there will be
	// none, so only stale validators need clearing.
	newTag, newMod := resp.etag(), resp.lastModified()
	if conditional && f.cache != nil && (newTag != "" || newMod != "" || etag != "" || lastMod != "") {
		body := resp.body
		if newTag == "" && newMod == "" {
			body = nil
		}
		if err := f.cache.SaveFetch(ctx, rawURL, newTag, newMod, body); err != nil {
			f.logger.WarnContext(ctx, "fetch cache", "url", rawURL, "err", err)
		}
	}
	return resp.response, nil
}

// reason strips the *url.Error wrapper, which repeats the URL, and says
// which limit a timeout hit.
func (f *fetcher) reason(ctx context.Context, err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		if ctx.Err() != nil {
			return fmt.Errorf("collection deadline passed: %w", context.Cause(ctx))
		}
		return fmt.Errorf("timed out after %v: %w", f.timeout, context.DeadlineExceeded)
	}
	return err
}

// retryable reports whether a failed attempt is worth one more: a timeout
// of the request (not of the whole collection) or a 5xx reply.
func retryable(ctx context.Context, err error) bool {
	if ctx.Err() != nil {
		return false
	}
	var he *HTTPError
	if errors.As(err, &he) {
		return he.Status >= 500
	}
	var ne net.Error
	return errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout())
}

// attempt is one request's result, with the validators to remember.
type attempt struct {
	*response
	header http.Header
}

func (a *attempt) etag() string         { return a.header.Get("ETag") }
func (a *attempt) lastModified() string { return a.header.Get("Last-Modified") }

// once makes one request.
func (f *fetcher) once(ctx context.Context, rawURL, accept, etag, lastMod string) (*attempt, error) {
	select {
	case f.slots <- struct{}{}:
		defer func() { <-f.slots }()
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	ctx, cancel := context.WithTimeout(ctx, f.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return nil, err
	}
	switch req.URL.Scheme {
	case "http", "https":
	default:
		return nil, ErrScheme
	}
	req.Header.Set("User-Agent", f.userAgent)
	req.Header.Set("Accept", accept)
	if etag != "" {
		req.Header.Set("If-None-Match", etag)
	}
	if lastMod != "" {
		req.Header.Set("If-Modified-Since", lastMod)
	}
	res, err := f.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	a := &attempt{response: &response{contentType: res.Header.Get("Content-Type"), url: res.Request.URL}, header: res.Header}
	switch {
	case res.StatusCode == http.StatusNotModified && (etag != "" || lastMod != ""):
		a.cached = true
		return a, nil
	case res.StatusCode != http.StatusOK:
		io.Copy(io.Discard, io.LimitReader(res.Body, 4096))
		return nil, &HTTPError{URL: rawURL, Status: res.StatusCode}
	}
	if res.ContentLength > f.maxBytes {
		return nil, fmt.Errorf("%w: %d bytes, the limit is %d", ErrTooLarge, res.ContentLength, f.maxBytes)
	}
	body, err := io.ReadAll(io.LimitReader(res.Body, f.maxBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read body: %w", err)
	}
	if int64(len(body)) > f.maxBytes {
		return nil, fmt.Errorf("%w: more than %d bytes", ErrTooLarge, f.maxBytes)
	}
	a.body = body
	return a, nil
}

// mediaType returns the lower-case media type of a Content-Type header.
func mediaType(contentType string) string {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		mt, _, _ = strings.Cut(contentType, ";")
	}
	return strings.ToLower(strings.TrimSpace(mt))
}

// feedType reports whether a Content-Type may carry a feed. Servers label
// feeds loosely, so anything XML, JSON, text/plain or untyped passes; HTML,
// images, audio, video and the like do not.
func feedType(contentType string) bool {
	mt := mediaType(contentType)
	switch {
	case mt == "", mt == "text/plain", mt == "application/octet-stream", mt == "binary/octet-stream":
		return true
	case strings.Contains(mt, "xml"), strings.Contains(mt, "json"), strings.Contains(mt, "rss"), strings.Contains(mt, "atom"):
		return !strings.Contains(mt, "xhtml")
	}
	return false
}

// pageType reports whether a Content-Type may carry a web page.
func pageType(contentType string) bool {
	mt := mediaType(contentType)
	return mt == "" || mt == "text/html" || mt == "application/xhtml+xml" || mt == "text/plain"
}
