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
	"slices"
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

// A Resolver looks up the addresses of a host name; *net.Resolver is one.
type Resolver interface {
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

// A DialFunc connects to address, an IP address and a port, on network.
type DialFunc func(ctx context.Context, network, address string) (net.Conn, error)

// An AddressError is a connection refused by the address policy: Host, as
// the URL names it, has no address the request may reach. It wraps
// ErrInternalAddress.
type AddressError struct {
	Host, Port string
	// Refused are the addresses Host resolved to, none of them allowed.
	Refused []netip.Addr
}

func (e *AddressError) Error() string {
	var b strings.Builder
	b.WriteString(ErrInternalAddress.Error())
	b.WriteString(": ")
	linkLocal := false
	for i, ip := range e.Refused {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(net.JoinHostPort(ip.String(), e.Port))
		linkLocal = linkLocal || neverDialled(ip)
	}
	if len(e.Refused) == 0 {
		b.WriteString(net.JoinHostPort(e.Host, e.Port))
	}
	if h, err := netip.ParseAddr(e.Host); err != nil || len(e.Refused) != 1 || h.Unmap() != e.Refused[0] {
		fmt.Fprintf(&b, " (%s)", e.Host)
	}
	if linkLocal {
		b.WriteString("; link-local and cloud metadata addresses are never fetched")
	}
	return b.String()
}

func (e *AddressError) Unwrap() error { return ErrInternalAddress }

// A reach says which addresses one request may connect to.
type reach int

const (
	// reachPublic: public addresses only.
	reachPublic reach = iota
	// reachOwn: the request goes to the scheme, host and port of its
	// source line. A host whose addresses are all internal may be reached
	// on them; a host with a public address is public, and only its public
	// addresses are dialled.
	reachOwn
	// reachInternal: the source line says allow-internal; any address but
	// a link-local one.
	reachInternal
	reaches
)

// allowed splits ips into those r may dial and those it refuses.
func (r reach) allowed(ips []netip.Addr) (ok, refused []netip.Addr) {
	public := slices.ContainsFunc(ips, func(ip netip.Addr) bool { return !isInternal(ip) })
	for _, ip := range ips {
		switch {
		case neverDialled(ip):
			refused = append(refused, ip)
		case !isInternal(ip), r == reachInternal, r == reachOwn && !public:
			ok = append(ok, ip)
		default:
			refused = append(refused, ip)
		}
	}
	return ok, refused
}

// A policy is the address policy of one source's requests, carried by
// their context.
type policy struct {
	origin   string // the source line's scheme://host:port; "" for a file
	internal bool   // the source line says allow-internal
}

// policyKey is the context key of the address policy of a fetch.
type policyKey struct{}

// withPolicy returns ctx carrying the address policy of spec's requests.
func withPolicy(ctx context.Context, spec Spec) context.Context {
	p := policy{internal: spec.AllowInternal}
	if u, err := url.Parse(spec.URL); err == nil && spec.URL != "" {
		p.origin = origin(u)
	}
	return context.WithValue(ctx, policyKey{}, p)
}

// reachOf returns what a request for u may reach under the policy in ctx;
// without one, public addresses only.
func reachOf(ctx context.Context, u *url.URL) reach {
	p, _ := ctx.Value(policyKey{}).(policy)
	switch {
	case p.internal:
		return reachInternal
	case p.origin != "" && origin(u) == p.origin:
		return reachOwn
	}
	return reachPublic
}

// origin returns u's scheme, host and port, lower-cased, with the
// scheme's default port filled in. Names are compared as written: a host
// name and its address are different origins.
func origin(u *url.URL) string {
	scheme := strings.ToLower(u.Scheme)
	port := u.Port()
	if port == "" {
		port = map[string]string{"http": "80", "https": "443"}[scheme]
	}
	return scheme + "://" + net.JoinHostPort(strings.ToLower(u.Hostname()), port)
}

// isInternal reports whether ip is loopback, private, link-local,
// unspecified, multicast or otherwise not a public unicast address.
// IPv4-mapped IPv6 addresses are judged as the IPv4 address they map.
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

// neverDialled reports whether ip is link-local (169.254.0.0/16,
// fe80::/10), where cloud metadata services answer, or another cloud
// metadata address, itself or carried in an IPv6 address that a
// translator or tunnel turns back into it (see carriedIPv4): no source
// line can allow these.
func neverDialled(ip netip.Addr) bool {
	ip = ip.WithZone("").Unmap()
	for _, a := range append(carriedIPv4(ip), ip) {
		if a.IsLinkLocalUnicast() || slices.Contains(metadataAddrs, a) {
			return true
		}
	}
	return false
}

// carriedIPv4 returns the IPv4 addresses an IPv6 address ip carries or
// reaches through a translator or tunnel: IPv4-compatible (::/96),
// IPv4-translated (::ffff:0:0:0/96) and NAT64 (64:ff9b::/96) in the last
// four bytes; the local-use NAT64 prefix 64:ff9b:1::/48 both there and
// where RFC 6052 puts it behind a /48; 6to4 (2002::/16) in bytes 2 to 5;
// Teredo (2001::/32) the client's, the last four bytes inverted. Other
// translator prefixes an operator may configure are not known.
func carriedIPv4(ip netip.Addr) []netip.Addr {
	if !ip.Is6() {
		return nil
	}
	b := ip.As16()
	last := netip.AddrFrom4([4]byte{b[12], b[13], b[14], b[15]})
	in := func(prefix string) bool { return netip.MustParsePrefix(prefix).Contains(ip) }
	switch {
	case in("::/96"), in("::ffff:0:0:0/96"), in("64:ff9b::/96"):
		return []netip.Addr{last}
	case in("64:ff9b:1::/48"):
		return []netip.Addr{last, netip.AddrFrom4([4]byte{b[6], b[7], b[9], b[10]})}
	case in("2002::/16"):
		return []netip.Addr{netip.AddrFrom4([4]byte{b[2], b[3], b[4], b[5]})}
	case in("2001::/32"):
		return []netip.Addr{netip.AddrFrom4([4]byte{^b[12], ^b[13], ^b[14], ^b[15]})}
	}
	return nil
}

// metadataAddrs are cloud metadata services outside link-local space.
var metadataAddrs = []netip.Addr{
	netip.MustParseAddr("fd00:ec2::254"),   // AWS, over IPv6
	netip.MustParseAddr("100.100.100.200"), // Alibaba Cloud
}

// internalPrefixes are ranges not caught by the netip predicates: shared
// address space (CGNAT), benchmarking, documentation, the IPv4 "this
// network" and reserved blocks, and the IPv6 forms that carry an IPv4
// address or reach one through a translator or tunnel (IPv4-compatible,
// IPv4-translated, NAT64, 6to4 and its relays, Teredo), discard-only and
// the deprecated site-local fec0::/10.
var internalPrefixes = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),
	netip.MustParsePrefix("100.64.0.0/10"),
	netip.MustParsePrefix("192.0.0.0/24"),
	netip.MustParsePrefix("192.0.2.0/24"),
	netip.MustParsePrefix("192.88.99.0/24"),
	netip.MustParsePrefix("198.18.0.0/15"),
	netip.MustParsePrefix("198.51.100.0/24"),
	netip.MustParsePrefix("203.0.113.0/24"),
	netip.MustParsePrefix("240.0.0.0/4"),
	netip.MustParsePrefix("::/96"),
	netip.MustParsePrefix("::ffff:0:0:0/96"),
	netip.MustParsePrefix("64:ff9b::/96"),
	netip.MustParsePrefix("64:ff9b:1::/48"),
	netip.MustParsePrefix("100::/64"),
	netip.MustParsePrefix("2001::/32"),
	netip.MustParsePrefix("2001:db8::/32"),
	netip.MustParsePrefix("2002::/16"),
	netip.MustParsePrefix("fec0::/10"),
}

// newClient returns the HTTP client used when Config.Client is nil. It
// follows at most 5 redirects, only to http and https. Every request,
// each redirect hop included, is sent through a transport chosen by its
// own URL and its source's policy (reachOf), and that transport's dialer
// resolves the host with r, checks every address and dials only the
// allowed ones, with dial. Each reach has its own connection pool, so a
// connection opened for one source's own internal host is never reused
// by a request that may not reach it. Nil r and dial use the machine's
// resolver and a net.Dialer whose Control hook checks the address once
// more as it connects. Connecting to a host takes at most timeout (and
// at most 10s), shared among its addresses.
func newClient(r Resolver, dial DialFunc, timeout time.Duration) *http.Client {
	if r == nil {
		r = net.DefaultResolver
	}
	base := http.DefaultTransport.(*http.Transport).Clone()
	base.Proxy = nil // a proxy would hide the address actually reached
	base.MaxIdleConnsPerHost = 16
	var g guard
	for rc := range reaches {
		d := dial
		if d == nil {
			nd := &net.Dialer{Timeout: dialTimeout, KeepAlive: 30 * time.Second, Control: rc.control}
			d = nd.DialContext
		}
		tr := base.Clone()
		tr.DialContext = (&dialer{reach: rc, resolver: r, dial: d, timeout: min(timeout, dialTimeout)}).dialContext
		g[rc] = tr
	}
	return &http.Client{Transport: &g, CheckRedirect: checkRedirect}
}

// A guard sends each request through the transport of its reach.
type guard [reaches]*http.Transport

func (g *guard) RoundTrip(req *http.Request) (*http.Response, error) {
	return g[reachOf(req.Context(), req.URL)].RoundTrip(req)
}

// CloseIdleConnections closes the idle connections of every transport.
func (g *guard) CloseIdleConnections() {
	for _, tr := range g {
		tr.CloseIdleConnections()
	}
}

// A dialer connects a transport to the addresses its reach allows.
type dialer struct {
	reach    reach
	resolver Resolver
	dial     DialFunc
	timeout  time.Duration // for all the addresses of a host together
}

// dialContext resolves the host of addr (an IP address is taken as it
// is; localhost and *.localhost are loopback without asking the
// resolver), keeps the addresses d.reach allows and dials them in turn.
func (d *dialer) dialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	var ips []netip.Addr
	lower := strings.ToLower(strings.TrimSuffix(host, "."))
	switch ip, err := netip.ParseAddr(host); {
	case err == nil:
		ips = []netip.Addr{ip}
	case lower == "localhost" || strings.HasSuffix(lower, ".localhost"):
		ips = []netip.Addr{netip.AddrFrom4([4]byte{127, 0, 0, 1}), netip.IPv6Loopback()}
	default:
		if ips, err = d.resolver.LookupNetIP(ctx, "ip", host); err != nil {
			return nil, err
		}
	}
	for i := range ips {
		ips[i] = ips[i].Unmap()
	}
	ok, refused := d.reach.allowed(ips)
	if len(ok) == 0 {
		return nil, &AddressError{Host: host, Port: port, Refused: refused}
	}
	var first error
	deadline := time.Now().Add(d.timeout)
	for i, ip := range ok {
		c, err := d.dialOne(ctx, network, net.JoinHostPort(ip.String(), port), len(ok)-i, deadline)
		if err == nil {
			return c, nil
		}
		if first == nil {
			first = err
		}
		if ctx.Err() != nil {
			break
		}
	}
	return nil, first
}

// dialTimeout bounds the connecting to a host, all its addresses tried.
const dialTimeout = 10 * time.Second

// minDialTime is the least time given to one address of several.
const minDialTime = 2 * time.Second

// dialOne dials one address of left still to try, before deadline. As
// net.Dialer does for a name with several addresses, each gets a share of
// the time remaining (at least minDialTime), so that one address that
// never answers does not use it all.
func (d *dialer) dialOne(ctx context.Context, network, address string, left int, deadline time.Time) (net.Conn, error) {
	share := max(time.Until(deadline)/time.Duration(left), minDialTime)
	ctx, cancel := context.WithTimeout(ctx, share)
	defer cancel()
	return d.dial(ctx, network, address)
}

// control is a net.Dialer.Control hook: it checks, as the socket
// connects, the address actually dialled. A reach that may dial internal
// addresses still never dials link-local ones.
func (r reach) control(network, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("%w: %s", ErrInternalAddress, address)
	}
	ip := ap.Addr().Unmap()
	if neverDialled(ip) || r == reachPublic && isInternal(ip) {
		return &AddressError{Host: ip.String(), Port: fmt.Sprint(ap.Port()), Refused: []netip.Addr{ip}}
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
		return nil, fmt.Errorf("fetch %s: %w", rawURL, f.reason(ctx, rawURL, err))
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

// reason strips the *url.Error wrapper, which repeats the URL, says which
// redirect reached a refused address, and says which limit a timeout hit.
func (f *fetcher) reason(ctx context.Context, rawURL string, err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
		if errors.Is(err, ErrInternalAddress) && ue.URL != rawURL {
			return fmt.Errorf("redirected to %s: %w", ue.URL, err)
		}
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
