package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/mail"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/digest-newsletter/digest/digest/mailer/mailertest"
	"github.com/digest-newsletter/digest/digest/store"
)

// startServe runs digest serve in this process until the test ends and
// returns its base URL. addr is where it listens; empty: a free port.
func startServe(t *testing.T, environ []string, addr ...string) string {
	t.Helper()
	var stdout, stderr lockedBuffer
	e := &env{stdout: &stdout, stderr: &stderr, environ: environ}
	ctx, cancel := context.WithCancel(context.WithoutCancel(t.Context()))
	exit := make(chan int, 1)
	exited := false
	listen := "127.0.0.1:0"
	if len(addr) > 0 {
		listen = addr[0]
	}
	go func() { exit <- Main(ctx, e, []string{"serve", "--addr", listen}) }()
	t.Cleanup(func() {
		cancel()
		if exited {
			return
		}
		select {
		case code := <-exit:
			if code != exitOK {
				t.Errorf("serve exited with %d; stderr:\n%s", code, stderr.String())
			}
		case <-time.After(15 * time.Second):
			t.Error("serve did not stop")
		}
	})
	for deadline := time.Now().Add(10 * time.Second); ; {
		select {
		case code := <-exit:
			exited = true
			t.Fatalf("serve exited with %d before serving; stderr:\n%s", code, stderr.String())
		case <-time.After(20 * time.Millisecond):
		}
		if _, rest, ok := strings.Cut(stdout.String(), "serving on "); ok {
			base, _, _ := strings.Cut(rest, " ")
			return base
		}
		if time.Now().After(deadline) {
			t.Fatal("serve did not start")
		}
	}
}

// signUp posts a sign-up as JSON, as a program does, and returns the
// status.
func signUp(t *testing.T, base, email, name string) int {
	t.Helper()
	b, _ := json.Marshal(map[string]string{"email": email, "name": name})
	resp, err := http.Post(base+"/subscribe", "application/json", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

var confirmLinkRE = regexp.MustCompile(`https?://\S+/confirm\?t=\S+`)

// confirmFromMail finds the confirmation mail to email, and presses the
// button of its link's page on the server at base.
func confirmFromMail(t *testing.T, srv *mailertest.Server, base, email string) {
	t.Helper()
	var link string
	for _, m := range srv.Messages() {
		if m.To[0] == email {
			link = confirmLinkRE.FindString(mailertest.TextPart(t, m.Data))
		}
	}
	if link == "" {
		t.Fatalf("no confirmation mail to %s", email)
	}
	u, err := url.Parse(link)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.PostForm(base+"/confirm", url.Values{"t": {u.Query().Get("t")}})
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), "You are subscribed") {
		t.Fatalf("confirming %s: %d\n%s", email, resp.StatusCode, body)
	}
}

// TestSignupThenRun signs readers up through digest serve and checks what
// the next run mails: the list and the new sign-ups, an address in both
// once as the list has it, never a suppressed one; and nothing on a second
// run.
func TestSignupThenRun(t *testing.T) {
	dir := t.TempDir()
	srv := mailertest.NewServer(t)
	list := filepath.Join(dir, "subscribers.csv")
	os.WriteFile(list, []byte("email,name,status\nann@example.com,Ann from the list,\nbob@example.com,Bob,unsubscribed\n"), 0o644)
	environ := []string{
		"DIGEST_STATE=" + filepath.Join(dir, "digest.db"),
		"DIGEST_SUBSCRIBERS=" + list,
		"DIGEST_SOURCES=../../examples/sources.txt",
		"DIGEST_EDITION=2026-11-29",
		"DIGEST_SMTP_URL=" + srv.URL(),
		"DIGEST_BASE_URL=https://news.example.org",
		"DIGEST_SECRET=signup test secret of 32 bytes or more",
		"DIGEST_SIGNUP=1",
		"DIGEST_TIMEZONE=UTC",
	}
	base := startServe(t, environ)
	for _, email := range []string{"carol@example.com", "ann@example.com", "bob@example.com", "dave@example.com"} {
		if code := signUp(t, base, email, "Signed-up "+email[:3]); code != http.StatusAccepted {
			t.Fatalf("sign-up of %s: %d", email, code)
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for srv.Count() < 4 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	for _, email := range []string{"carol@example.com", "ann@example.com", "bob@example.com", "dave@example.com"} {
		confirmFromMail(t, srv, base, email)
	}
	st, err := store.Open(t.Context(), filepath.Join(dir, "digest.db"))
	if err != nil {
		t.Fatal(err)
	}
	st.Suppress(t.Context(), "dave@example.com", "complaint", time.Now())
	st.Close()
	confirmations := srv.Count()

	run := func() string {
		var out bytes.Buffer
		code := Main(t.Context(), &env{stdout: &out, stderr: &out, stdin: strings.NewReader(""), environ: environ}, []string{"run"})
		if code != exitOK {
			t.Fatalf("run: exit %d\n%s", code, out.String())
		}
		return out.String()
	}
	run()
	got := map[string][]string{}
	for _, m := range srv.Messages()[confirmations:] {
		msg, _ := mail.ReadMessage(bytes.NewReader(m.Data))
		got[m.To[0]] = append(got[m.To[0]], msg.Header.Get("To"))
	}
	want := map[string][]string{
		"ann@example.com":   {`"Ann from the list" <ann@example.com>`},
		"carol@example.com": {`"Signed-up car" <carol@example.com>`},
	}
	if len(got) != len(want) || strings.Join(got["ann@example.com"], "|") != want["ann@example.com"][0] ||
		strings.Join(got["carol@example.com"], "|") != want["carol@example.com"][0] {
		t.Errorf("the run mailed %q, want %q", got, want)
	}
	before := srv.Count()
	out := run()
	if srv.Count() != before {
		t.Errorf("a second run of the edition sent %d messages\n%s", srv.Count()-before, out)
	}

	var stdout, stderr bytes.Buffer
	e := &env{stdout: &stdout, stderr: &stderr, stdin: strings.NewReader(""), environ: environ}
	if code := Main(t.Context(), e, []string{"subscribers", "export"}); code != exitOK {
		t.Fatalf("subscribers export: exit %d\n%s", code, stderr.String())
	}
	wantCSV := "email,name,status,topics,cadence\n" +
		"ann@example.com,Ann from the list,,,\n" +
		"bob@example.com,Bob,unsubscribed,,\n" +
		"carol@example.com,Signed-up car,,,daily\n" +
		"dave@example.com,Signed-up dav,unsubscribed,,daily\n"
	if got := stdout.String(); got != wantCSV {
		t.Errorf("subscribers export:\n%s\nwant:\n%s", got, wantCSV)
	}
	stdout.Reset()
	Main(t.Context(), e, []string{"check", "--offline"})
	if want := "sign-ups: 4 confirmed (1 of them suppressed), 0 waiting for confirmation\n"; !strings.Contains(stdout.String(), want) {
		t.Errorf("check does not say %q:\n%s", want, stdout.String())
	}
}

// digestsTo counts the messages of the edition that reached email.
func digestsTo(t *testing.T, srv *mailertest.Server, edition, email string) int {
	t.Helper()
	n := 0
	for _, m := range srv.Messages() {
		msg, err := mail.ReadMessage(bytes.NewReader(m.Data))
		if err != nil {
			t.Fatal(err)
		}
		if m.To[0] == email && strings.HasPrefix(msg.Header.Get("Message-Id"), "<"+edition+".") {
			n++
		}
	}
	return n
}

// TestSignupWelcome checks DIGEST_WELCOME=latest: a new sign-up gets the
// edition a run froze at once, and the next run of that edition does not
// mail it again.
func TestSignupWelcome(t *testing.T) {
	dir := t.TempDir()
	srv := mailertest.NewServer(t)
	list := filepath.Join(dir, "subscribers.csv")
	os.WriteFile(list, []byte("email,name\nann@example.com,Ann\n"), 0o644)
	environ := []string{
		"DIGEST_STATE=" + filepath.Join(dir, "digest.db"),
		"DIGEST_SUBSCRIBERS=" + list,
		"DIGEST_SOURCES=../../examples/sources.txt",
		"DIGEST_EDITION=2026-11-29",
		"DIGEST_SMTP_URL=" + srv.URL(),
		"DIGEST_BASE_URL=https://news.example.org",
		"DIGEST_SECRET=signup test secret of 32 bytes or more",
		"DIGEST_SIGNUP=1",
		"DIGEST_WELCOME=latest",
		"DIGEST_TIMEZONE=UTC",
	}
	run := func() {
		var out bytes.Buffer
		if code := Main(t.Context(), &env{stdout: &out, stderr: &out, stdin: strings.NewReader(""), environ: environ}, []string{"run"}); code != exitOK {
			t.Fatalf("run: exit %d\n%s", code, out.String())
		}
	}
	run()
	base := startServe(t, environ)
	if code := signUp(t, base, "carol@example.com", "Carol"); code != http.StatusAccepted {
		t.Fatalf("sign-up: %d", code)
	}
	deadline := time.Now().Add(10 * time.Second)
	for srv.Count() < 2 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	confirmFromMail(t, srv, base, "carol@example.com")
	for digestsTo(t, srv, "2026-11-29", "carol@example.com") == 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if n := digestsTo(t, srv, "2026-11-29", "carol@example.com"); n != 1 {
		t.Fatalf("carol got %d welcome editions, want 1", n)
	}
	// The welcome holds the run lock until its delivery is recorded.
	for {
		unlock, err := store.Lock(filepath.Join(dir, "digest.db"))
		if err == nil {
			unlock()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the welcome keeps the lock: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	run()
	for _, email := range []string{"ann@example.com", "carol@example.com"} {
		if n := digestsTo(t, srv, "2026-11-29", email); n != 1 {
			t.Errorf("%s got edition 2026-11-29 %d times, want once", email, n)
		}
	}
}
