package web

import (
	"bytes"
	"context"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/digest-newsletter/digest/digest"
	"github.com/digest-newsletter/digest/digest/render"
	"github.com/digest-newsletter/digest/digest/store"
)

var testSecret = []byte("test secret")

// storeState is the state of the tests: a real store, listing the archive
// from Recent as cmd/digest does.
type storeState struct{ *store.Store }

func (s storeState) Archive(ctx context.Context, n int) ([]ArchiveEntry, error) {
	recent, err := s.Recent(ctx, n)
	if err != nil {
		return nil, err
	}
	out := make([]ArchiveEntry, len(recent))
	for i, r := range recent {
		out[i] = ArchiveEntry{ID: r.ID, Cadence: r.Cadence, Subject: r.Subject, Created: r.Created}
	}
	return out, nil
}

// newServer starts the handler on a fresh state file.
func newServer(t *testing.T) (*httptest.Server, *store.Store) {
	t.Helper()
	st, err := store.Open(t.Context(), filepath.Join(t.TempDir(), "digest.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	srv := httptest.NewServer(NewHandler(Config{
		State:    storeState{st},
		Renderer: newTestRenderer(t),
		Secret:   testSecret,
		Name:     "Test Digest",
		Now:      func() time.Time { return time.Date(2026, 11, 29, 8, 0, 0, 0, time.UTC) },
	}))
	t.Cleanup(srv.Close)
	return srv, st
}

// newTestRenderer returns the default templates' renderer, with no
// unsubscribe links, as serve makes it.
func newTestRenderer(t *testing.T) *render.Renderer {
	t.Helper()
	r, err := render.New(render.Options{Name: "Test Digest", BaseURL: "https://news.example.com"})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// noRedirect is a client that shows redirects instead of following them.
var noRedirect = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

func do(t *testing.T, req *http.Request) (*http.Response, string) {
	t.Helper()
	resp, err := noRedirect.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(b)
}

func get(t *testing.T, u string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	return do(t, req)
}

func post(t *testing.T, u, contentType string, body io.Reader) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, u, body)
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	return do(t, req)
}

func suppressed(t *testing.T, st *store.Store, email string) bool {
	t.Helper()
	got, err := st.Suppressed(t.Context(), []string{email})
	if err != nil {
		t.Fatal(err)
	}
	return got[email]
}

func TestUnsubscribePageDoesNotSuppress(t *testing.T) {
	srv, st := newServer(t)
	u := UnsubscribeURL(srv.URL, testSecret, "ann@example.com")
	resp, body := get(t, u)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: status %d, want 200\n%s", u, resp.StatusCode, body)
	}
	for _, want := range []string{
		`<form method="post" action="unsubscribe">`,
		`name="e" value="ann@example.com"`,
		`name="t" value="` + Token(testSecret, "ann@example.com") + `"`,
		`<button type="submit">`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("page lacks %s\n%s", want, body)
		}
	}
	if suppressed(t, st, "ann@example.com") {
		t.Errorf("GET suppressed the address; want only POST to")
	}
}

func TestUnsubscribePageSubmits(t *testing.T) {
	// Submit the page's own form as a browser would: its fields, to its
	// action resolved against the page's URL.
	srv, st := newServer(t)
	page := UnsubscribeURL(srv.URL, testSecret, "Ann@Example.com")
	_, body := get(t, page)
	base, _ := url.Parse(page)
	action, _ := url.Parse("unsubscribe")
	form := url.Values{
		"e": {attr(t, body, `name="e" value="`)},
		"t": {attr(t, body, `name="t" value="`)},
	}
	resp, got := post(t, base.ResolveReference(action).String(), "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("confirm: status %d, want 200\n%s", resp.StatusCode, got)
	}
	if !strings.Contains(got, "Ann@Example.com will get no more of Test Digest") {
		t.Errorf("confirm page does not say it is done:\n%s", got)
	}
	if !suppressed(t, st, "ann@example.com") {
		t.Errorf("address not suppressed after the confirm button")
	}
}

// attr returns the quoted value after prefix in body.
func attr(t *testing.T, body, prefix string) string {
	t.Helper()
	_, rest, ok := strings.Cut(body, prefix)
	if !ok {
		t.Fatalf("no %s in\n%s", prefix, body)
	}
	v, _, _ := strings.Cut(rest, `"`)
	return v
}

func TestUnsubscribePost(t *testing.T) {
	ann := Token(testSecret, "ann@example.com")
	bob := Token(testSecret, "bob@example.com")
	oneClick := "application/x-www-form-urlencoded"
	tests := []struct {
		name        string
		query       url.Values
		contentType string
		body        string
		want        int
		suppressed  bool
	}{
		{"one-click", url.Values{"e": {"ann@example.com"}, "t": {ann}}, oneClick, "List-Unsubscribe=One-Click", 200, true},
		{"one-click with address in other case", url.Values{"e": {"ANN@example.com"}, "t": {ann}}, oneClick, "List-Unsubscribe=One-Click", 200, true},
		{"empty body", url.Values{"e": {"ann@example.com"}, "t": {ann}}, "", "", 200, true},
		{"form fields", nil, oneClick, url.Values{"e": {"ann@example.com"}, "t": {ann}}.Encode(), 200, true},
		{"tampered token", url.Values{"e": {"ann@example.com"}, "t": {ann[:len(ann)-2] + "xx"}}, oneClick, "List-Unsubscribe=One-Click", 403, false},
		{"other address's token", url.Values{"e": {"ann@example.com"}, "t": {bob}}, oneClick, "List-Unsubscribe=One-Click", 403, false},
		{"token under another secret", url.Values{"e": {"ann@example.com"}, "t": {Token([]byte("other"), "ann@example.com")}}, oneClick, "List-Unsubscribe=One-Click", 403, false},
		{"missing token", url.Values{"e": {"ann@example.com"}}, oneClick, "List-Unsubscribe=One-Click", 400, false},
		{"empty token", url.Values{"e": {"ann@example.com"}, "t": {""}}, oneClick, "List-Unsubscribe=One-Click", 400, false},
		{"missing address", url.Values{"t": {ann}}, oneClick, "List-Unsubscribe=One-Click", 400, false},
		{"token of the empty address", url.Values{"e": {""}, "t": {Token(testSecret, "")}}, oneClick, "", 400, false},
		{"body too large", url.Values{"e": {"ann@example.com"}, "t": {ann}}, oneClick, "x=" + strings.Repeat("a", maxForm+1), 400, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, st := newServer(t)
			resp, body := post(t, srv.URL+"/unsubscribe?"+tt.query.Encode(), tt.contentType, strings.NewReader(tt.body))
			if resp.StatusCode != tt.want {
				t.Errorf("status %d, want %d\n%s", resp.StatusCode, tt.want, body)
			}
			if got := suppressed(t, st, "ann@example.com"); got != tt.suppressed {
				t.Errorf("suppressed = %v, want %v", got, tt.suppressed)
			}
			if got := suppressed(t, st, "bob@example.com"); got {
				t.Errorf("bob suppressed; want only ann at most")
			}
		})
	}
}

func TestUnsubscribeOneClickMultipart(t *testing.T) {
	// RFC 8058's example POST is multipart/form-data.
	srv, st := newServer(t)
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	if err := mw.WriteField("List-Unsubscribe", "One-Click"); err != nil {
		t.Fatal(err)
	}
	mw.Close()
	resp, body := post(t, UnsubscribeURL(srv.URL, testSecret, "ann@example.com"), mw.FormDataContentType(), &buf)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d, want 200\n%s", resp.StatusCode, body)
	}
	if resp.Header.Get("Location") != "" {
		t.Errorf("one-click answered with a redirect; want the page itself")
	}
	if !suppressed(t, st, "ann@example.com") {
		t.Errorf("address not suppressed")
	}
}

func TestUnsubscribeGetBadLinks(t *testing.T) {
	ann := Token(testSecret, "ann@example.com")
	tests := []struct {
		name  string
		query url.Values
		want  int
	}{
		{"tampered token", url.Values{"e": {"ann@example.com"}, "t": {strings.ToUpper(ann)}}, 403},
		{"other address", url.Values{"e": {"bob@example.com"}, "t": {ann}}, 403},
		{"missing token", url.Values{"e": {"ann@example.com"}}, 400},
		{"nothing", nil, 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, _ := newServer(t)
			resp, body := get(t, srv.URL+"/unsubscribe?"+tt.query.Encode())
			if resp.StatusCode != tt.want {
				t.Errorf("status %d, want %d", resp.StatusCode, tt.want)
			}
			if strings.Contains(body, "<form") {
				t.Errorf("a bad link shows the confirm form:\n%s", body)
			}
		})
	}
}

func TestUnsubscribeMethods(t *testing.T) {
	srv, st := newServer(t)
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPut, UnsubscribeURL(srv.URL, testSecret, "ann@example.com"), nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, _ := do(t, req)
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("PUT: status %d, want 405", resp.StatusCode)
	}
	if suppressed(t, st, "ann@example.com") {
		t.Errorf("PUT suppressed the address")
	}
}

// freeze stores two editions; the newer one's item titles need escaping.
func freeze(t *testing.T, st *store.Store) {
	t.Helper()
	eds := []*digest.Edition{
		{
			ID: "2026-11-28", Cadence: digest.CadenceDaily, Created: time.Date(2026, 11, 28, 7, 0, 0, 0, time.UTC),
			Items: []digest.Item{{Article: digest.Article{ID: "a1", URL: "https://example.com/a1", Title: "Older news", Source: "Feed"}, Blurb: []string{"Old."}}},
		},
		{
			ID: "2026-11-29", Cadence: digest.CadenceDaily, Created: time.Date(2026, 11, 29, 7, 0, 0, 0, time.UTC),
			Items: []digest.Item{
				{Article: digest.Article{ID: "b1", URL: "https://example.com/b1", Title: `Rust & <script>alert("Go")</script>`, Source: "Feed"}, Blurb: []string{"A blurb."}},
				{Article: digest.Article{ID: "b2", URL: "https://example.com/b2", Title: "Second story", Source: "Feed"}, Blurb: []string{"Another."}},
			},
		},
		{
			ID: "special/one", Cadence: digest.CadenceDaily, Subject: "A <special> issue", Created: time.Date(2026, 11, 27, 7, 0, 0, 0, time.UTC),
			Items: []digest.Item{{Article: digest.Article{ID: "c1", URL: "https://example.com/c1", Title: "Special story", Source: "Feed"}}},
		},
	}
	for _, ed := range eds {
		if err := st.Freeze(t.Context(), ed); err != nil {
			t.Fatal(err)
		}
	}
}

func TestArchive(t *testing.T) {
	srv, st := newServer(t)
	freeze(t, st)

	resp, index := get(t, srv.URL+"/archive/")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("index: status %d, want 200\n%s", resp.StatusCode, index)
	}
	newer, older, special := strings.Index(index, `href="./2026-11-29"`), strings.Index(index, `href="./2026-11-28"`), strings.Index(index, `href="./special%2Fone"`)
	if newer < 0 || older < 0 || special < 0 || !(newer < older && older < special) {
		t.Errorf("index does not link the editions newest first (at %d, %d, %d):\n%s", newer, older, special, index)
	}
	if !strings.Contains(index, "special/one: A &lt;special&gt; issue") {
		t.Errorf("index lacks the escaped subject:\n%s", index)
	}

	// Follow the links as a browser would.
	base, _ := url.Parse(srv.URL + "/archive/")
	tests := []struct {
		name, href string
		want       []string
	}{
		{"newer", "./2026-11-29", []string{"Rust &amp; &lt;script&gt;alert(", "Second story"}},
		{"older", "./2026-11-28", []string{"Older news"}},
		{"escaped ID", "./special%2Fone", []string{"Special story"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ref, _ := url.Parse(tt.href)
			resp, page := get(t, base.ResolveReference(ref).String())
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("status %d, want 200\n%s", resp.StatusCode, page)
			}
			if got, want := resp.Header.Get("Content-Type"), "text/html; charset=utf-8"; got != want {
				t.Errorf("Content-Type %q, want %q", got, want)
			}
			for _, w := range tt.want {
				if !strings.Contains(page, w) {
					t.Errorf("page lacks %q", w)
				}
			}
			if strings.Contains(page, "<script") {
				t.Errorf("page holds an unescaped <script")
			}
			if strings.Contains(page, "/unsubscribe") {
				t.Errorf("archived page holds an unsubscribe link")
			}
		})
	}
}

func TestArchiveNotFound(t *testing.T) {
	srv, st := newServer(t)
	freeze(t, st)
	for _, path := range []string{"/archive/2026-01-01", "/archive/special", "/archive/2026-11-29/extra", "/nothing"} {
		t.Run(path, func(t *testing.T) {
			resp, body := get(t, srv.URL+path)
			if resp.StatusCode != http.StatusNotFound {
				t.Errorf("status %d, want 404\n%s", resp.StatusCode, body)
			}
		})
	}
}

func TestArchiveEmpty(t *testing.T) {
	srv, _ := newServer(t)
	resp, body := get(t, srv.URL+"/archive/")
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "No edition has been sent yet.") {
		t.Errorf("empty archive: status %d, want 200 and a note\n%s", resp.StatusCode, body)
	}
}

func TestArchiveWithoutRenderer(t *testing.T) {
	st, err := store.Open(t.Context(), filepath.Join(t.TempDir(), "digest.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	freeze(t, st)
	srv := httptest.NewServer(NewHandler(Config{State: storeState{st}, Secret: testSecret}))
	defer srv.Close()
	for _, path := range []string{"/archive/", "/archive/2026-11-29"} {
		if resp, _ := get(t, srv.URL+path); resp.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s: status %d, want 404", path, resp.StatusCode)
		}
	}
}

func TestRedirects(t *testing.T) {
	srv, _ := newServer(t)
	for _, tt := range []struct{ path, want string }{{"/", "/archive/"}, {"/archive", "/archive/"}} {
		t.Run(tt.path, func(t *testing.T) {
			resp, _ := get(t, srv.URL+tt.path)
			loc, err := resp.Location()
			if err != nil {
				t.Fatalf("status %d, no Location: %v", resp.StatusCode, err)
			}
			if loc.Path != tt.want {
				t.Errorf("redirect to %s, want %s", loc.Path, tt.want)
			}
		})
	}
}

func TestSecurityHeaders(t *testing.T) {
	srv, st := newServer(t)
	freeze(t, st)
	paths := []string{
		"/unsubscribe?" + url.Values{"e": {"ann@example.com"}, "t": {Token(testSecret, "ann@example.com")}}.Encode(),
		"/unsubscribe?e=ann@example.com&t=forged",
		"/archive/",
		"/archive/2026-11-29",
		"/archive/unknown",
		"/nothing",
	}
	for _, path := range paths {
		t.Run(path, func(t *testing.T) {
			resp, _ := get(t, srv.URL+path)
			csp := resp.Header.Get("Content-Security-Policy")
			for _, want := range []string{"default-src 'none'", "style-src 'unsafe-inline'", "img-src https: data:", "frame-ancestors 'none'"} {
				if !strings.Contains(csp, want) {
					t.Errorf("Content-Security-Policy %q lacks %q", csp, want)
				}
			}
			for name, want := range map[string]string{
				"X-Content-Type-Options": "nosniff",
				"Referrer-Policy":        "no-referrer",
			} {
				if got := resp.Header.Get(name); got != want {
					t.Errorf("%s: %q, want %q", name, got, want)
				}
			}
		})
	}
}
