package source

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"html"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/digest-newsletter/digest/digest"
)

// secret is what the internal server's pages say: it must never reach an
// article.
const secret = "root password hunter2"

// A testNet is the network of these tests: a resolver of fixed names and
// a dialer that sends chosen addresses to loopback servers. It records
// every address it is asked to dial. Nothing reaches the machine's DNS.
type testNet struct {
	names map[string][]netip.Addr
	route map[netip.Addr]string // dialled IP → the loopback host:port reached
	mu    sync.Mutex
	seen  []netip.Addr
}

func (n *testNet) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	if ips, ok := n.names[host]; ok {
		return slices.Clone(ips), nil
	}
	return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
}

func (n *testNet) Dial(ctx context.Context, network, address string) (net.Conn, error) {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return nil, fmt.Errorf("test network: dial %q: not an address", address)
	}
	n.mu.Lock()
	n.seen = append(n.seen, ap.Addr())
	n.mu.Unlock()
	if to, ok := n.route[ap.Addr()]; ok {
		address = to
	} else if !ap.Addr().IsLoopback() && !ap.Addr().IsUnspecified() {
		return nil, fmt.Errorf("test network: no route to %s", address)
	}
	var d net.Dialer
	return d.DialContext(ctx, network, address)
}

// dialled reports whether ip was ever dialled.
func (n *testNet) dialled(ip string) bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	return slices.Contains(n.seen, netip.MustParseAddr(ip))
}

// linkFeed returns an RSS feed whose items are titled with the keys of
// links and link to their values.
func linkFeed(links map[string]string) string {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0"?><rss version="2.0"><channel><title>Feed</title><link>https://news.example/</link><description>d</description>`)
	for _, title := range slices.Sorted(func(yield func(string) bool) {
		for k := range links {
			if !yield(k) {
				return
			}
		}
	}) {
		fmt.Fprintf(&b, `<item><title>%s</title><link>%s</link><description>Teaser of %s.</description></item>`,
			html.EscapeString(title), html.EscapeString(links[title]), html.EscapeString(title))
	}
	b.WriteString(`</channel></rss>`)
	return b.String()
}

// A testSite is a loopback web server: /feed.xml is a feed of links,
// /go/NAME redirects to redirects[NAME], /site/ is a home page naming
// redirects["site-feed"] as its feed, any other path is an article
// page whose text starts with say. It counts the requests it answers.
type testSite struct {
	*httptest.Server
	say       string
	links     map[string]string
	redirects map[string]string
	hits      atomic.Int32
}

func newSite(t *testing.T, say string) *testSite {
	t.Helper()
	s := &testSite{say: say, links: map[string]string{}, redirects: map[string]string{}}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.hits.Add(1)
		switch {
		case r.URL.Path == "/feed.xml":
			w.Header().Set("Content-Type", "application/rss+xml")
			fmt.Fprint(w, linkFeed(s.links))
		case r.URL.Path == "/site/":
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			fmt.Fprintf(w, `<html><head><link rel="alternate" type="application/rss+xml" href="%s"></head><body>Hi</body></html>`, html.EscapeString(s.redirects["site-feed"]))
		case strings.HasPrefix(r.URL.Path, "/go/"):
			http.Redirect(w, r, s.redirects[strings.TrimPrefix(r.URL.Path, "/go/")], http.StatusFound)
		default:
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			fmt.Fprint(w, strings.Replace(articlePage(strings.Trim(r.URL.Path, "/")), "This is the full text", s.say+". This is the full text", 1))
		}
	}))
	t.Cleanup(s.Close)
	return s
}

// port returns the site's port.
func (s *testSite) port() string {
	_, port, _ := net.SplitHostPort(s.Listener.Addr().String())
	return port
}

// addressLab is what every address test starts from: a public news site
// (news.example, 93.184.216.34) and an internal one holding the secret
// (the loopback server that 127.0.0.9 and the cloud metadata address
// 169.254.169.254 are routed to as well), and names that resolve to them.
type addressLab struct {
	net            *testNet
	public, secret *testSite
	logs           bytes.Buffer
}

func newAddressLab(t *testing.T) *addressLab {
	l := &addressLab{public: newSite(t, "The public page"), secret: newSite(t, "The "+secret)}
	ip := netip.MustParseAddr
	l.net = &testNet{
		names: map[string][]netip.Addr{
			"news.example":     {ip("93.184.216.34")},
			"inside.example":   {ip("127.0.0.1")},
			"mixed.example":    {ip("127.0.0.9"), ip("93.184.216.35")},
			"intranet.example": {ip("127.0.0.1")},
		},
		route: map[netip.Addr]string{
			ip("93.184.216.34"):   l.public.Listener.Addr().String(),
			ip("93.184.216.35"):   l.public.Listener.Addr().String(),
			ip("127.0.0.9"):       l.secret.Listener.Addr().String(),
			ip("169.254.169.254"): l.secret.Listener.Addr().String(),
		},
	}
	return l
}

// collect collects specs over the lab's network, logging into l.logs.
func (l *addressLab) collect(t *testing.T, specs ...Spec) digest.Collection {
	t.Helper()
	c := testCollector(Config{Resolver: l.net, Dial: l.net.Dial, Logger: slog.New(slog.NewTextHandler(&l.logs, nil))}, specs...)
	col, err := c.Collect(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return col
}

// warned reports whether a warning was logged that mentions every one of
// words.
func (l *addressLab) warned(words ...string) bool {
	for line := range strings.Lines(l.logs.String()) {
		if !strings.Contains(line, "level=WARN") {
			continue
		}
		all := true
		for _, w := range words {
			all = all && strings.Contains(line, w)
		}
		if all {
			return true
		}
	}
	return false
}

func articleText(col digest.Collection, title string) (string, bool) {
	for _, a := range col.Articles {
		if a.Title == title {
			return a.Text, true
		}
	}
	return "", false
}

// TestInternalLinksRefused checks that the item links of a feed with the
// fulltext option never reach an internal address, however the link
// spells it, whether the feed is public, on loopback itself or on a name
// with one public and one internal address: the text that would be mailed
// keeps the teaser, the internal server is never asked, and a warning
// names the address refused.
func TestInternalLinksRefused(t *testing.T) {
	for _, feed := range []string{"public feed", "feed on loopback", "feed on a mixed name"} {
		t.Run(feed, func(t *testing.T) {
			l := newAddressLab(t)
			s := l.secret.port()
			l.public.redirects["to-loopback"] = "http://127.0.0.1:" + s + "/redirected"
			l.public.redirects["to-metadata"] = "http://169.254.169.254/latest/meta-data/"
			tests := []struct {
				name, link string
				refused    string // the address the warning names
			}{
				{"direct IP", "http://127.0.0.1:" + s + "/direct", "127.0.0.1:" + s},
				{"localhost", "http://localhost:" + s + "/localhost", "127.0.0.1:" + s},
				{"IPv4-mapped", "http://[::ffff:127.0.0.1]:" + s + "/mapped", "127.0.0.1:" + s},
				{"IPv6 loopback", "http://[::1]:" + s + "/v6", "[::1]:" + s},
				{"unspecified", "http://0.0.0.0:" + s + "/zero", "0.0.0.0:" + s},
				{"private", "http://10.1.2.3/intranet", "10.1.2.3:80"},
				{"CGNAT", "http://100.64.0.1/cgnat", "100.64.0.1:80"},
				{"unique-local", "http://[fd12::1]/ula", "[fd12::1]:80"},
				{"302 from a public host", "http://news.example/go/to-loopback", "127.0.0.1:" + s},
				{"public name resolving to loopback", "http://inside.example:" + s + "/name", "127.0.0.1:" + s + " (inside.example)"},
				{"cloud metadata", "http://169.254.169.254/latest/meta-data/", "169.254.169.254:80"},
				{"302 to cloud metadata", "http://news.example/go/to-metadata", "169.254.169.254:80"},
			}
			links := map[string]string{
				// A name with a public and an internal address is
				// public: only its public address is dialled.
				"mixed name": "http://mixed.example/mixed",
			}
			for _, tt := range tests {
				links[tt.name] = tt.link
			}
			var spec Spec
			switch feed {
			case "public feed":
				l.public.links = links
				spec = urlSpec(feed, "http://news.example/feed.xml")
			case "feed on loopback":
				intranet := newSite(t, "The intranet page")
				intranet.links = links
				spec = urlSpec(feed, intranet.URL+"/feed.xml")
			case "feed on a mixed name":
				l.public.links = links
				spec = urlSpec(feed, "http://mixed.example/feed.xml")
			}
			spec.FullText = true
			col := l.collect(t, spec)
			if len(col.Failures) != 0 {
				t.Fatalf("failures: %v", col.Failures)
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					text, ok := articleText(col, tt.name)
					if !ok {
						t.Fatalf("no article %q", tt.name)
					}
					if got, want := text, "Teaser of "+tt.name+"."; got != want {
						t.Errorf("text = %q, want the teaser %q", got, want)
					}
					if !l.warned(`msg="full text"`, "internal address refused: "+tt.refused) {
						t.Errorf("no warning names %s; logs:\n%s", tt.refused, l.logs.String())
					}
				})
			}
			t.Run("mixed name", func(t *testing.T) {
				text, _ := articleText(col, "mixed name")
				if !strings.Contains(text, "The public page") {
					t.Errorf("text = %q, want the page at the public address", text)
				}
				if l.net.dialled("127.0.0.9") {
					t.Errorf("127.0.0.9 was dialled")
				}
			})
			if got := l.secret.hits.Load(); got != 0 {
				t.Errorf("the internal server answered %d requests, want 0", got)
			}
			if l.net.dialled("169.254.169.254") {
				t.Errorf("169.254.169.254 was dialled")
			}
			for _, a := range col.Articles {
				if strings.Contains(a.Text, secret) {
					t.Errorf("%s: text has the internal page's secret: %q", a.Title, a.Text)
				}
			}
		})
	}
}

// TestInternalFeedOnlyForItself checks that a source line naming an
// internal host (by address or by a name that resolves only to internal
// addresses) lets that exact scheme, host and port be fetched, feed and
// item pages, and nothing else internal; and that allow-internal opens
// the other internal addresses, never the link-local ones.
func TestInternalFeedOnlyForItself(t *testing.T) {
	for _, by := range []struct{ name, host, other string }{
		{"by address", "127.0.0.1", "localhost"},
		{"by name", "intranet.example", "127.0.0.1"},
	} {
		for _, allow := range []bool{false, true} {
			name := by.name
			if allow {
				name += " allow-internal"
			}
			t.Run(name, func(t *testing.T) {
				l := newAddressLab(t)
				intranet := newSite(t, "The intranet page")
				own := "http://" + net.JoinHostPort(by.host, intranet.port())
				intranet.redirects["elsewhere"] = l.secret.URL + "/redirected"
				intranet.redirects["here"] = own + "/landed"
				intranet.links = map[string]string{
					"own":             own + "/own",
					"own redirect":    own + "/go/here",
					"other spelling":  "http://" + net.JoinHostPort(by.other, intranet.port()) + "/other",
					"other scheme":    "https://" + net.JoinHostPort(by.host, intranet.port()) + "/tls",
					"other port":      l.secret.URL + "/admin",
					"redirect away":   own + "/go/elsewhere",
					"cloud metadata":  "http://169.254.169.254/latest/meta-data/",
					"IPv6 link-local": "http://[fe80::1]/",
				}
				spec := urlSpec("intranet", own+"/feed.xml")
				spec.FullText, spec.AllowInternal = true, allow
				col := l.collect(t, spec)
				if len(col.Failures) != 0 {
					t.Fatalf("failures: %v", col.Failures)
				}
				for _, title := range []string{"own", "own redirect"} {
					if text, _ := articleText(col, title); !strings.Contains(text, "The intranet page") {
						t.Errorf("%s: text = %q, want the intranet page", title, text)
					}
				}
				for title, refused := range map[string]string{
					"other port":      strings.TrimPrefix(l.secret.URL, "http://"),
					"redirect away":   strings.TrimPrefix(l.secret.URL, "http://"),
					"other spelling":  "127.0.0.1:" + intranet.port(),
					"other scheme":    "127.0.0.1:" + intranet.port(),
					"cloud metadata":  "169.254.169.254:80",
					"IPv6 link-local": "[fe80::1]:80",
				} {
					text, _ := articleText(col, title)
					linkLocal := title == "cloud metadata" || title == "IPv6 link-local"
					if allow && !linkLocal {
						continue
					}
					if strings.Contains(text, secret) || strings.Contains(text, "The intranet page") {
						t.Errorf("%s: text = %q, want the teaser", title, text)
					}
					if !l.warned(`msg="full text"`, "internal address refused: "+refused) {
						t.Errorf("%s: no warning names %s; logs:\n%s", title, refused, l.logs.String())
					}
				}
				if l.net.dialled("169.254.169.254") {
					t.Errorf("169.254.169.254 was dialled")
				}
				if allow {
					// The operator said so: the other internal pages are read.
					if text, _ := articleText(col, "other port"); !strings.Contains(text, secret) {
						t.Errorf("other port: text = %q, want the internal page (allow-internal)", text)
					}
					return
				}
				if got := l.secret.hits.Load(); got != 0 {
					t.Errorf("the internal server answered %d requests, want 0", got)
				}
			})
		}
	}
}

// TestMixedNameSourceIsPublic checks that a source line naming a host
// with both a public and an internal address reads the feed and its pages
// from the public address only: one extra DNS record does not open
// loopback.
func TestMixedNameSourceIsPublic(t *testing.T) {
	l := newAddressLab(t)
	l.public.links["admin"] = "http://mixed.example/admin"
	spec := urlSpec("mixed", "http://mixed.example/feed.xml")
	spec.FullText = true
	col := l.collect(t, spec)
	if len(col.Failures) != 0 {
		t.Fatalf("failures: %v", col.Failures)
	}
	if text, _ := articleText(col, "admin"); !strings.Contains(text, "The public page") {
		t.Errorf("admin: text = %q, want the page at the public address", text)
	}
	if l.net.dialled("127.0.0.9") || l.secret.hits.Load() != 0 {
		t.Errorf("the internal address was reached (dialled %v, %d hits)", l.net.dialled("127.0.0.9"), l.secret.hits.Load())
	}
}

// TestFeedRedirectToInternal checks that a feed redirected to an
// internal address, or named by a site's page at an internal address,
// fails with the address in the source's error, from a public source and
// from an internal one pointing at another port.
func TestFeedRedirectToInternal(t *testing.T) {
	l := newAddressLab(t)
	intranet := newSite(t, "The intranet page")
	for _, s := range []*testSite{l.public, intranet} {
		s.redirects["feed"] = l.secret.URL + "/feed.xml"
		s.redirects["site-feed"] = l.secret.URL + "/feed.xml"
	}
	col := l.collect(t,
		urlSpec("public", "http://news.example/go/feed"),
		urlSpec("intranet", intranet.URL+"/go/feed"),
		urlSpec("public site", "http://news.example/site/"),
		urlSpec("intranet site", intranet.URL+"/site/"),
		urlSpec("metadata", "http://169.254.169.254/latest/meta-data/"),
	)
	addr := strings.TrimPrefix(l.secret.URL, "http://")
	refused := "redirected to " + l.secret.URL + "/feed.xml: source: internal address refused: " + addr
	named := "fetch " + l.secret.URL + "/feed.xml: source: internal address refused: " + addr
	for source, want := range map[string]string{
		"public":        refused,
		"intranet":      refused,
		"public site":   named,
		"intranet site": named,
		"metadata":      "internal address refused: 169.254.169.254:80; link-local and cloud metadata addresses are never fetched",
	} {
		if got := failureOf(col, source); !strings.Contains(got, want) {
			t.Errorf("%s: failure = %q, want it to say %q", source, got, want)
		}
	}
	if got := l.secret.hits.Load(); got != 0 {
		t.Errorf("the internal server answered %d requests, want 0", got)
	}
	if len(col.Articles) != 0 {
		t.Errorf("articles %q, want none", titles(col.Articles))
	}
}

// TestInternalConnectionNotShared checks that a connection opened for a
// source's own internal host is not reused by another source's link to
// that host: the check holds for every request, not only for new
// connections.
func TestInternalConnectionNotShared(t *testing.T) {
	l := newAddressLab(t)
	intranet := newSite(t, "The "+secret)
	intranet.links["own"] = intranet.URL + "/own"
	l.public.links["private"] = intranet.URL + "/private"
	inner := urlSpec("intranet", intranet.URL+"/feed.xml")
	inner.FullText = true
	news := urlSpec("news", "http://news.example/feed.xml")
	news.FullText = true
	c := testCollector(Config{Resolver: l.net, Dial: l.net.Dial, Logger: slog.New(slog.NewTextHandler(&l.logs, nil))}, inner, news)
	// One after the other, so that the intranet's connection is idle when
	// the news source asks for its page.
	ctx := context.Background()
	if _, _, err := c.collectOne(ctx, inner, fixedNow); err != nil {
		t.Fatal(err)
	}
	arts, _, err := c.collectOne(ctx, news, fixedNow)
	if err != nil {
		t.Fatal(err)
	}
	text, _ := articleText(digest.Collection{Articles: arts}, "private")
	if got, want := text, "Teaser of private."; got != want {
		t.Errorf("private: text = %q, want the teaser %q", got, want)
	}
	if got, want := intranet.hits.Load(), int32(2); got != want {
		t.Errorf("the intranet answered %d requests, want %d (its feed and its own page)", got, want)
	}
}

// TestDialSharesTime checks that a host with several addresses, the
// first of which never answers, is still reached on the next one within
// the request's timeout.
func TestDialSharesTime(t *testing.T) {
	l := newAddressLab(t)
	l.net.names["slow.example"] = []netip.Addr{netip.MustParseAddr("93.184.216.99"), netip.MustParseAddr("93.184.216.34")}
	black := l.net.Dial
	dial := func(ctx context.Context, network, address string) (net.Conn, error) {
		if strings.HasPrefix(address, "93.184.216.99:") {
			<-ctx.Done() // a black hole: no answer, no refusal
			return nil, ctx.Err()
		}
		return black(ctx, network, address)
	}
	l.public.links["x"] = "http://news.example/x"
	c := testCollector(Config{Resolver: l.net, Dial: dial, Timeout: 4 * time.Second}, urlSpec("slow", "http://slow.example/feed.xml"))
	col, err := c.Collect(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(col.Failures) != 0 || len(col.Articles) != 1 {
		t.Errorf("failures %v, %d articles; want the feed from the second address", col.Failures, len(col.Articles))
	}
}

// TestAllowInternalOption checks the sources list option.
func TestAllowInternalOption(t *testing.T) {
	specs, err := ParseList(strings.NewReader("http://10.0.0.5:8080/feed.xml fulltext allow-internal\nhttp://10.0.0.6/feed.xml\n"), "sources.txt")
	if err != nil {
		t.Fatal(err)
	}
	if got := []bool{specs[0].AllowInternal, specs[1].AllowInternal}; !slices.Equal(got, []bool{true, false}) {
		t.Errorf("AllowInternal = %v, want [true false]", got)
	}
}

// TestDialControl checks the second look the default dialer takes, as
// the socket connects, at the address actually dialled.
func TestDialControl(t *testing.T) {
	tests := []struct {
		reach   reach
		address string
		ok      bool
	}{
		{reachPublic, "93.184.216.34:80", true},
		{reachPublic, "127.0.0.1:80", false},
		{reachPublic, "[::ffff:10.0.0.1]:443", false},
		{reachOwn, "127.0.0.1:8080", true},
		{reachOwn, "169.254.169.254:80", false},
		{reachInternal, "10.0.0.1:80", true},
		{reachInternal, "[fe80::1%eth0]:80", false},
		{reachInternal, "[fd00:ec2::254]:80", false},
		// The metadata address carried in an IPv6 address that a
		// translator or tunnel turns back into it.
		{reachInternal, "[64:ff9b::a9fe:a9fe]:80", false},
		{reachInternal, "[2002:a9fe:a9fe::1]:80", false},
		{reachInternal, "[64:ff9b::a00:1]:80", true},
	}
	for _, tt := range tests {
		err := tt.reach.control("tcp", tt.address, nil)
		if got := err == nil; got != tt.ok {
			t.Errorf("reach %d: control(%s) = %v, want allowed %v", tt.reach, tt.address, err, tt.ok)
		}
		if err != nil && !errors.Is(err, ErrInternalAddress) {
			t.Errorf("reach %d: control(%s) = %v, want %v", tt.reach, tt.address, err, ErrInternalAddress)
		}
	}
}

func TestNeverDialled(t *testing.T) {
	for ip, want := range map[string]bool{
		"169.254.169.254": true, "::ffff:169.254.169.254": true, "fe80::1": true, "fe80::1%eth0": true,
		"fd00:ec2::254": true, "100.100.100.200": true,
		// 169.254.169.254 and 100.100.100.200 carried in IPv6: IPv4-compatible,
		// IPv4-translated, NAT64 (well-known and local-use /48), 6to4, Teredo.
		"::a9fe:a9fe": true, "::ffff:0:a9fe:a9fe": true, "64:ff9b::a9fe:a9fe": true, "64:ff9b::6464:64c8": true,
		"64:ff9b:1:a9fe:a9:fe00::": true, "2002:a9fe:a9fe::1": true, "2001:0:4136:e378:8000:63bf:5601:5601": true,
		"64:ff9b::a00:1": false, "2002:a00:1::1": false,
		"127.0.0.1": false, "10.0.0.1": false, "fd12::1": false, "93.184.216.34": false,
	} {
		if got := neverDialled(netip.MustParseAddr(ip)); got != want {
			t.Errorf("neverDialled(%s) = %v, want %v", ip, got, want)
		}
	}
}
