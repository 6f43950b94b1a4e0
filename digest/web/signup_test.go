package web

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/digest-newsletter/digest/digest"
	"github.com/digest-newsletter/digest/digest/mailer"
	"github.com/digest-newsletter/digest/digest/mailer/mailertest"
	"github.com/digest-newsletter/digest/digest/store"
)

// signupState is the state of the sign-up tests: a real store, adapted as
// cmd/digest's serveState does.
type signupState struct{ storeState }

func (s signupState) RequestSignup(ctx context.Context, r SignupRequest, interval time.Duration) (string, bool, error) {
	nonce, out, err := s.Store.RequestSignup(ctx, store.Signup{Email: r.Subscriber.Email, Name: r.Subscriber.Name,
		Topics: r.Subscriber.Topics, Cadence: r.Subscriber.Cadence, Requested: r.At, RequestIP: r.IP, RequestAgent: r.Agent}, interval)
	return nonce, out == store.RequestMail, err
}

func (s signupState) ConfirmSignup(ctx context.Context, email, nonce string, c Evidence) (digest.Subscriber, ConfirmOutcome, error) {
	su, out, err := s.Store.ConfirmSignup(ctx, email, nonce, c.At, c.IP, c.Agent)
	switch {
	case err != nil:
		return digest.Subscriber{}, 0, err
	case out == store.Confirmed:
		return su.Subscriber(), Confirmed, nil
	case out == store.AlreadyConfirmed:
		return su.Subscriber(), AlreadyConfirmed, nil
	case out == store.ConfirmStale:
		return digest.Subscriber{}, ConfirmStale, nil
	}
	return digest.Subscriber{}, ConfirmRefused, nil
}

// signupServer is digest serve with sign-ups, on a real state file, mailing
// through a real SMTP transport to the in-process server.
type signupServer struct {
	*httptest.Server
	h     *Handler
	st    *store.Store
	smtp  *mailertest.Server
	clock *clock

	mu        sync.Mutex
	confirmed []digest.Subscriber
}

// clock is a settable time.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

func newSignupServer(t *testing.T, tweak func(*Signup)) *signupServer {
	t.Helper()
	st, err := store.Open(t.Context(), filepath.Join(t.TempDir(), "digest.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	smtpSrv := mailertest.NewServer(t)
	tr, err := mailer.NewSMTP(mailer.SMTPConfig{URL: smtpSrv.URL(), Timeout: 5 * time.Second, PerConn: 1})
	if err != nil {
		t.Fatal(err)
	}
	s := &signupServer{st: st, smtp: smtpSrv, clock: &clock{t: time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)}}
	su := &Signup{
		State:     signupState{storeState{st}},
		Transport: tr,
		From:      "Test Digest <news@example.com>",
		BaseURL:   "https://news.example.com/",
		Topics:    []string{"go", "birds"},
		Cadences:  []string{"daily", "weekly"},
		Origins:   []string{"https://blog.example.com"},
		Confirmed: func(ctx context.Context, sub digest.Subscriber) {
			s.mu.Lock()
			s.confirmed = append(s.confirmed, sub)
			s.mu.Unlock()
		},
	}
	if tweak != nil {
		tweak(su)
	}
	s.h = NewHandler(Config{State: storeState{st}, Secret: testSecret, Name: "Test Digest", Now: s.clock.now, Signup: su})
	s.Server = httptest.NewServer(s.h)
	t.Cleanup(s.Close)
	return s
}

// browser is a client with a cookie jar that follows no redirects.
func browser(t *testing.T) *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

func getPage(t *testing.T, c *http.Client, u string) (*http.Response, string) {
	t.Helper()
	resp, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func postForm(t *testing.T, c *http.Client, u string, v url.Values, hdr ...string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest("POST", u, strings.NewReader(v.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("User-Agent", "TestBrowser/1.0")
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// openForm loads the form in c and returns its fields with the csrf one
// filled in.
func openForm(t *testing.T, c *http.Client, s *signupServer) url.Values {
	t.Helper()
	resp, body := getPage(t, c, s.URL+"/subscribe")
	if resp.StatusCode != 200 {
		t.Fatalf("GET /subscribe = %d", resp.StatusCode)
	}
	m := csrfField.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no csrf field in the form:\n%s", body)
	}
	return url.Values{"csrf": {m[1]}}
}

// confirmLink returns the confirmation link of the text part of a raw
// message.
func confirmLink(t *testing.T, raw []byte) string {
	t.Helper()
	text := mailertest.TextPart(t, raw)
	m := regexp.MustCompile(`https://news\.example\.com/confirm\?t=\S+`).FindString(text)
	if m == "" {
		t.Fatalf("no confirmation link in the text part:\n%s", text)
	}
	return m
}

// TestSignupDoubleOptIn follows one reader from the form, through the
// confirmation mail and its link's page, to the confirmation, and confirms
// a second time.
func TestSignupDoubleOptIn(t *testing.T) {
	s := newSignupServer(t, nil)
	c := browser(t)
	form := openForm(t, c, s)
	form.Set("email", "Ann@Example.com")
	form.Set("name", "Ann Lee")
	form["topics"] = []string{"go"}
	form.Set("cadence", "weekly")
	form.Set("website", "")
	resp, body := postForm(t, c, s.URL+"/subscribe", form)
	if resp.StatusCode != 200 || !strings.Contains(body, "Check your inbox") {
		t.Fatalf("POST /subscribe = %d:\n%s", resp.StatusCode, body)
	}
	s.h.Wait()
	msgs := s.smtp.Messages()
	if len(msgs) != 1 || msgs[0].To[0] != "Ann@Example.com" {
		t.Fatalf("confirmation mails = %+v, want one to Ann@Example.com", msgs)
	}
	raw := string(msgs[0].Data)
	for _, want := range []string{"Subject: Confirm your subscription to Test Digest", "From: \"Test Digest\" <news@example.com>", "multipart/alternative"} {
		if !strings.Contains(raw, want) {
			t.Errorf("confirmation mail lacks %q:\n%s", want, raw)
		}
	}
	if c, _ := s.st.CountSignups(t.Context()); c != (store.SignupCounts{Waiting: 1}) {
		t.Errorf("after the form: %+v, want one waiting", c)
	}

	link := confirmLink(t, msgs[0].Data)
	link = strings.Replace(link, "https://news.example.com", s.URL, 1)
	resp, body = getPage(t, c, link)
	if resp.StatusCode != 200 || !strings.Contains(body, "Confirm my subscription") {
		t.Fatalf("GET of the link = %d:\n%s", resp.StatusCode, body)
	}
	if _, ok, _ := s.st.Signup(t.Context(), "ann@example.com"); ok {
		t.Fatal("GET of the link confirmed the sign-up")
	}
	token := regexp.MustCompile(`name="t" value="([^"]+)"`).FindStringSubmatch(body)[1]
	s.clock.add(time.Hour)
	resp, body = postForm(t, c, s.URL+"/confirm", url.Values{"t": {token}})
	if resp.StatusCode != 200 || !strings.Contains(body, "You are subscribed") {
		t.Fatalf("POST /confirm = %d:\n%s", resp.StatusCode, body)
	}
	su, ok, err := s.st.Signup(t.Context(), "ann@example.com")
	if err != nil || !ok {
		t.Fatalf("sign-up not stored: %v", err)
	}
	if su.Name != "Ann Lee" || strings.Join(su.Topics, ",") != "go" || su.Cadence != "weekly" ||
		su.RequestIP != "127.0.0.1" || su.RequestAgent != "TestBrowser/1.0" || su.ConfirmIP != "127.0.0.1" ||
		su.ConfirmAgent != "TestBrowser/1.0" || !su.Requested.Equal(time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)) ||
		!su.Confirmed.Equal(time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)) {
		t.Errorf("stored sign-up = %+v", su)
	}
	resp, body = postForm(t, c, s.URL+"/confirm", url.Values{"t": {token}})
	if resp.StatusCode != 200 || !strings.Contains(body, "already subscribed") {
		t.Errorf("second POST /confirm = %d:\n%s", resp.StatusCode, body)
	}
	s.h.Wait()
	if len(s.confirmed) != 1 || s.confirmed[0].Email != "Ann@Example.com" || s.confirmed[0].Cadence != "weekly" {
		t.Errorf("Confirmed hook called with %+v, want once for Ann", s.confirmed)
	}
	if n := s.smtp.Count(); n != 1 {
		t.Errorf("%d mails in all, want 1", n)
	}
}

// TestSignupSameAnswer checks that the form's answer does not tell whether
// an address is new, subscribed, suppressed or mailed lately, and which of
// them get a mail.
func TestSignupSameAnswer(t *testing.T) {
	s := newSignupServer(t, nil)
	ctx := t.Context()
	at := s.clock.now().Add(-time.Hour)
	s.st.Suppress(ctx, "complained@example.com", "complaint", at)
	s.st.Suppress(ctx, "left@example.com", "one-click", at)
	nonce, _, _ := s.st.RequestSignup(ctx, store.Signup{Email: "member@example.com", Requested: at}, time.Minute)
	s.st.ConfirmSignup(ctx, "member@example.com", nonce, at, "", "")
	s.st.RequestSignup(ctx, store.Signup{Email: "recent@example.com", Requested: s.clock.now().Add(-time.Minute)}, time.Minute)

	answers := map[string]string{}
	for _, email := range []string{"new@example.com", "member@example.com", "complained@example.com", "left@example.com", "recent@example.com"} {
		c := browser(t)
		form := openForm(t, c, s)
		form.Set("email", email)
		resp, body := postForm(t, c, s.URL+"/subscribe", form)
		answers[email] = strings.ReplaceAll(body, email, "ADDRESS")
		if resp.StatusCode != 200 {
			t.Errorf("%s: status %d", email, resp.StatusCode)
		}
	}
	for email, a := range answers {
		if a != answers["new@example.com"] {
			t.Errorf("the answer for %s differs from a new address's:\n%s\n---\n%s", email, a, answers["new@example.com"])
		}
	}
	s.h.Wait()
	got := map[string]bool{}
	for _, m := range s.smtp.Messages() {
		got[m.To[0]] = true
	}
	want := map[string]bool{"new@example.com": true, "member@example.com": true, "left@example.com": true}
	if len(got) != len(want) || !got["new@example.com"] || !got["member@example.com"] || !got["left@example.com"] {
		t.Errorf("mailed %v, want %v (not the complainer, not one mailed a minute ago)", got, want)
	}
}

// TestSignupBadInput sends what a form should refuse, and checks each
// answer says what is wrong and that nothing was stored or mailed.
func TestSignupBadInput(t *testing.T) {
	s := newSignupServer(t, nil)
	long := strings.Repeat("n", 101)
	for _, tc := range []struct {
		name, email, person, topic, cadence string
		status                              int
		says                                string
	}{
		{"two @", "ann@@example.com", "", "", "", 400, "more than one @"},
		{"no domain dot", "ann@localhost", "", "", "", 400, "not an email address"},
		{"display name", "Ann &lt;ann@example.com&gt;", "", "", "", 400, "not an email address"},
		{"header injection", "ann@example.com\r\nBcc: x@example.com", "", "", "", 400, "not an email address"},
		{"empty", "", "", "", "", 400, "not an email address"},
		{"overlong name", "ann@example.com", long, "", "", 400, "The name is too long (101 characters; at most 100)"},
		{"topic not offered", "ann@example.com", "", "crypto", "", 400, "is not one of the topics offered"},
		{"cadence not offered", "ann@example.com", "", "", "hourly", 400, "Choose how often: daily or weekly"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := browser(t)
			form := openForm(t, c, s)
			form.Set("email", tc.email)
			form.Set("name", tc.person)
			if tc.topic != "" {
				form.Set("topics", tc.topic)
			}
			form.Set("cadence", tc.cadence)
			resp, body := postForm(t, c, s.URL+"/subscribe", form)
			if resp.StatusCode != tc.status || !strings.Contains(body, tc.says) || !strings.Contains(body, `role="alert"`) {
				t.Errorf("status %d, want %d saying %q:\n%s", resp.StatusCode, tc.status, tc.says, body)
			}
		})
	}
	t.Run("body over 16 KiB", func(t *testing.T) {
		c := browser(t)
		form := openForm(t, c, s)
		form.Set("email", "ann@example.com")
		form.Set("name", strings.Repeat("x", 20<<10))
		if resp, body := postForm(t, c, s.URL+"/subscribe", form); resp.StatusCode != http.StatusRequestEntityTooLarge ||
			!strings.Contains(body, "The request is too large (at most 16 KiB).") {
			t.Errorf("status %d, want 413 saying so:\n%s", resp.StatusCode, body)
		}
	})
	t.Run("no csrf field", func(t *testing.T) {
		c := browser(t)
		openForm(t, c, s)
		resp, body := postForm(t, c, s.URL+"/subscribe", url.Values{"email": {"ann@example.com"}})
		if resp.StatusCode != 403 || !strings.Contains(body, "reload the page") {
			t.Errorf("status %d, want 403:\n%s", resp.StatusCode, body)
		}
	})
	t.Run("csrf field of another browser", func(t *testing.T) {
		form := openForm(t, browser(t), s)
		c := browser(t)
		openForm(t, c, s)
		form.Set("email", "ann@example.com")
		if resp, _ := postForm(t, c, s.URL+"/subscribe", form); resp.StatusCode != 403 {
			t.Errorf("status %d, want 403", resp.StatusCode)
		}
	})
	t.Run("cross-site form post", func(t *testing.T) {
		c := browser(t)
		form := openForm(t, c, s)
		form.Set("email", "ann@example.com")
		resp, _ := postForm(t, c, s.URL+"/subscribe", form, "Sec-Fetch-Site", "cross-site", "Origin", "https://evil.example")
		if resp.StatusCode != 403 {
			t.Errorf("status %d, want 403", resp.StatusCode)
		}
	})
	t.Run("honeypot", func(t *testing.T) {
		c := browser(t)
		form := openForm(t, c, s)
		form.Set("email", "bot-target@example.com")
		form.Set("website", "https://spam.example")
		resp, body := postForm(t, c, s.URL+"/subscribe", form)
		if resp.StatusCode != 200 || !strings.Contains(body, "Check your inbox") {
			t.Errorf("status %d, want the usual answer:\n%s", resp.StatusCode, body)
		}
	})
	t.Run("forged token", func(t *testing.T) {
		forged := ConfirmToken([]byte("another secret"), "ann@example.com", "nonce", s.clock.now().Add(time.Hour))
		for _, do := range []func() (*http.Response, string){
			func() (*http.Response, string) {
				return getPage(t, browser(t), s.URL+"/confirm?t="+url.QueryEscape(forged))
			},
			func() (*http.Response, string) {
				return postForm(t, browser(t), s.URL+"/confirm", url.Values{"t": {forged}})
			},
			func() (*http.Response, string) {
				return postForm(t, browser(t), s.URL+"/confirm", url.Values{"t": {"garbage"}})
			},
		} {
			resp, body := do()
			if resp.StatusCode != 403 || !strings.Contains(body, "not valid") || !strings.Contains(body, `href="subscribe"`) {
				t.Errorf("status %d, want 403 with a way to try again:\n%s", resp.StatusCode, body)
			}
		}
	})
	t.Run("expired token", func(t *testing.T) {
		old := ConfirmToken(testSecret, "ann@example.com", "nonce", s.clock.now().Add(-time.Second))
		resp, body := postForm(t, browser(t), s.URL+"/confirm", url.Values{"t": {old}})
		if resp.StatusCode != 410 || !strings.Contains(body, "expired") || !strings.Contains(body, "Sign up again") {
			t.Errorf("status %d, want 410:\n%s", resp.StatusCode, body)
		}
	})
	s.h.Wait()
	if n := s.smtp.Count(); n != 0 {
		t.Errorf("%d mails sent, want none", n)
	}
	if c, _ := s.st.CountSignups(t.Context()); c != (store.SignupCounts{}) {
		t.Errorf("sign-ups stored: %+v, want none", c)
	}
}

// TestSignupFlood sends 50 submissions for one address, from many
// networks: one mail goes out, and the next only after the interval.
func TestSignupFlood(t *testing.T) {
	var n int
	var mu sync.Mutex
	s := newSignupServer(t, func(su *Signup) {
		su.ClientIP = func(*http.Request) string {
			mu.Lock()
			defer mu.Unlock()
			n++
			return "192.0.2." + string(rune('0'+n%10))
		}
	})
	c := browser(t)
	form := openForm(t, c, s)
	form.Set("email", "victim@example.com")
	for i := range 50 {
		form.Set("name", "Flood "+strings.Repeat("x", i))
		if resp, body := postForm(t, c, s.URL+"/subscribe", form); resp.StatusCode != 200 && resp.StatusCode != 429 {
			t.Fatalf("submission %d: %d\n%s", i, resp.StatusCode, body)
		}
	}
	s.h.Wait()
	if got := s.smtp.Count(); got != 1 {
		t.Errorf("%d mails after 50 submissions, want 1", got)
	}
	su := mailertest.TextPart(t, s.smtp.Messages()[0].Data)
	if !strings.Contains(su, "Hello Flood,") {
		t.Errorf("the mail is not the first submission's:\n%s", su)
	}
	s.clock.add(10 * time.Minute)
	postForm(t, c, s.URL+"/subscribe", form)
	s.h.Wait()
	if got := s.smtp.Count(); got != 2 {
		t.Errorf("%d mails after the interval, want 2", got)
	}
}

// TestSignupPerIP checks the limit of submissions from one network.
func TestSignupPerIP(t *testing.T) {
	s := newSignupServer(t, func(su *Signup) { su.PerIP = 3 })
	c := browser(t)
	form := openForm(t, c, s)
	var codes []int
	for i := range 5 {
		form.Set("email", "reader"+string(rune('a'+i))+"@example.com")
		resp, _ := postForm(t, c, s.URL+"/subscribe", form)
		codes = append(codes, resp.StatusCode)
	}
	if want := []int{200, 200, 200, 429, 429}; !equalInts(codes, want) {
		t.Errorf("statuses %v, want %v", codes, want)
	}
	s.h.Wait()
	if got := s.smtp.Count(); got != 3 {
		t.Errorf("%d mails, want 3", got)
	}
	s.clock.add(time.Hour)
	form.Set("email", "later@example.com")
	if resp, _ := postForm(t, c, s.URL+"/subscribe", form); resp.StatusCode != 200 {
		t.Errorf("an hour later: %d, want 200", resp.StatusCode)
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestSignupJSON posts a sign-up as another site's page would, with its
// CORS preflight, and one from an origin not allowed.
func TestSignupJSON(t *testing.T) {
	s := newSignupServer(t, nil)
	pre, _ := http.NewRequest("OPTIONS", s.URL+"/subscribe", nil)
	pre.Header.Set("Origin", "https://blog.example.com")
	pre.Header.Set("Access-Control-Request-Method", "POST")
	resp, _ := do(t, pre)
	if resp.StatusCode != 204 || resp.Header.Get("Access-Control-Allow-Origin") != "https://blog.example.com" ||
		!strings.Contains(resp.Header.Get("Access-Control-Allow-Headers"), "Content-Type") {
		t.Errorf("preflight = %d %v", resp.StatusCode, resp.Header)
	}
	post := func(origin, body string) (*http.Response, map[string]string) {
		req, _ := http.NewRequest("POST", s.URL+"/subscribe", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		if origin != "" {
			req.Header.Set("Origin", origin)
			req.Header.Set("Sec-Fetch-Site", "cross-site")
		}
		resp, b := do(t, req)
		var m map[string]string
		json.Unmarshal([]byte(b), &m)
		return resp, m
	}
	resp, m := post("https://blog.example.com", `{"email":"bob@example.com","name":"Bob","topics":["birds"],"cadence":"daily"}`)
	if resp.StatusCode != 202 || m["status"] != "check your inbox" || resp.Header.Get("Access-Control-Allow-Origin") != "https://blog.example.com" {
		t.Errorf("JSON POST = %d %v %v", resp.StatusCode, m, resp.Header)
	}
	resp, m = post("https://blog.example.com", `{"email":"bob@"}`)
	if resp.StatusCode != 400 || m["field"] != "email" || !strings.Contains(m["error"], "not an email address") {
		t.Errorf("bad JSON POST = %d %v", resp.StatusCode, m)
	}
	resp, _ = post("https://evil.example", `{"email":"eve@example.com"}`)
	if resp.StatusCode != 403 || resp.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("JSON POST from another origin = %d %v", resp.StatusCode, resp.Header)
	}
	resp, m = post("", `{"email":"carol@example.com"}`)
	if resp.StatusCode != 202 {
		t.Errorf("JSON POST from a program = %d %v", resp.StatusCode, m)
	}
	s.h.Wait()
	got := map[string]bool{}
	for _, msg := range s.smtp.Messages() {
		got[msg.To[0]] = true
	}
	if len(got) != 2 || !got["bob@example.com"] || !got["carol@example.com"] {
		t.Errorf("mailed %v, want bob and carol", got)
	}
}

// TestSignupNoRedirect checks that no sign-up page redirects where a
// request says.
func TestSignupNoRedirect(t *testing.T) {
	s := newSignupServer(t, nil)
	c := browser(t)
	form := openForm(t, c, s)
	form.Set("email", "ann@example.com")
	for _, q := range []string{"next", "redirect", "return_to", "url"} {
		resp, _ := getPage(t, c, s.URL+"/subscribe?"+q+"=https://evil.example/")
		if loc := resp.Header.Get("Location"); loc != "" || resp.StatusCode != 200 {
			t.Errorf("GET ?%s= = %d Location %q", q, resp.StatusCode, loc)
		}
		form.Set(q, "https://evil.example/")
	}
	resp, _ := postForm(t, c, s.URL+"/subscribe?next=https://evil.example/", form)
	if loc := resp.Header.Get("Location"); loc != "" || resp.StatusCode != 200 {
		t.Errorf("POST = %d Location %q", resp.StatusCode, loc)
	}
}

// TestResubscribableReasons ties the store's list of reasons a sign-up
// lifts to the reasons this package and the bounce handling write.
func TestResubscribableReasons(t *testing.T) {
	for reason, want := range map[string]bool{
		ReasonOneClick: true, ReasonPage: true,
		digest.ReasonBounced: false, digest.ReasonSoftBounced: false, digest.ReasonComplained: false, "manual": false,
	} {
		if got := store.Resubscribable(reason); got != want {
			t.Errorf("Resubscribable(%q) = %v, want %v", reason, got, want)
		}
	}
}

// blockingState holds every RequestSignup until release is closed.
type blockingState struct {
	SignupState
	release chan struct{}
}

func (b blockingState) RequestSignup(ctx context.Context, r SignupRequest, interval time.Duration) (string, bool, error) {
	<-b.release
	return b.SignupState.RequestSignup(ctx, r, interval)
}

// TestSignupAnswersBeforeState checks that the form's answer does not wait
// for the state: whether the address is new, suppressed or mailed lately
// decides only what happens after the answer, so its timing tells nothing.
func TestSignupAnswersBeforeState(t *testing.T) {
	release := make(chan struct{})
	s := newSignupServer(t, func(su *Signup) { su.State = blockingState{su.State, release} })
	c := browser(t)
	form := openForm(t, c, s)
	form.Set("email", "ann@example.com")
	done := make(chan int, 1)
	go func() {
		resp, _ := postForm(t, c, s.URL+"/subscribe", form)
		done <- resp.StatusCode
	}()
	select {
	case code := <-done:
		if code != 200 {
			t.Errorf("status %d", code)
		}
	case <-time.After(3 * time.Second):
		close(release)
		<-done
		t.Fatal("the answer waits for the state")
	}
	if n := s.smtp.Count(); n != 0 {
		t.Errorf("%d mails before the state was asked", n)
	}
	close(release)
	s.h.Wait()
	if n := s.smtp.Count(); n != 1 {
		t.Errorf("%d mails after, want 1", n)
	}
}
