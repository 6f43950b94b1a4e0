package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/httptest"
	"net/mail"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/digest-newsletter/digest/digest/mailer/mailertest"
	"github.com/digest-newsletter/digest/digest/render/browsertest"
)

// waitTitle waits until the page's title is want.
func waitTitle(t *testing.T, ctx context.Context, want string) {
	t.Helper()
	var got string
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		title, err := chromedp.Run(ctx, chromedp.Evaluate[string]("document.title"))
		if err == nil && title == want {
			return
		}
		got = title
	}
	page, _ := chromedp.Run(ctx, chromedp.Evaluate[string]("document.body ? document.body.innerText : ''"))
	t.Fatalf("page title %q, want %q; the page says:\n%s", got, want, page)
}

// shot saves a screenshot of the page as NAME.png in the folder named by
// DIGEST_SIGNUP_SHOTS, if set.
func shot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	dir := os.Getenv("DIGEST_SIGNUP_SHOTS")
	if dir == "" {
		return
	}
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		t.Fatal(err)
	}
}

// mailHTML returns the decoded text/html part of a raw message.
func mailHTML(t *testing.T, raw []byte) string {
	t.Helper()
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	_, params, _ := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	mr := multipart.NewReader(msg.Body, params["boundary"])
	for {
		p, err := mr.NextPart()
		if err != nil {
			t.Fatalf("no HTML part: %v", err)
		}
		if strings.HasPrefix(p.Header.Get("Content-Type"), "text/html") {
			b, _ := io.ReadAll(p)
			return string(b)
		}
	}
}

// freeAddr returns a loopback address with a free port.
func freeAddr(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// TestSignupInChromium signs a reader up as a person does: it fills in the
// form in headless Chromium, follows the link of the confirmation mail,
// presses the button, and checks that the next run mails the reader the
// edition once. With DIGEST_SIGNUP_SHOTS=DIR it saves screenshots of the
// form, the page after it, the confirmation page and the confirmation
// mail, light and dark.
func TestSignupInChromium(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a browser")
	}
	ctx := browsertest.Start(t, 90*time.Second)
	dir := t.TempDir()
	srv := mailertest.NewServer(t)
	list := filepath.Join(dir, "subscribers.csv")
	os.WriteFile(list, []byte("email,name\nann@example.com,Ann\n"), 0o644)
	addr := freeAddr(t)
	environ := []string{
		"DIGEST_STATE=" + filepath.Join(dir, "digest.db"),
		"DIGEST_SUBSCRIBERS=" + list,
		"DIGEST_SOURCES=../../examples/sources.txt",
		"DIGEST_EDITION=2026-11-29",
		"DIGEST_SMTP_URL=" + srv.URL(),
		"DIGEST_BASE_URL=http://" + addr,
		"DIGEST_SECRET=chromium-test-secret-0123456789abcdef",
		"DIGEST_NAME=Bird Notes",
		"DIGEST_FROM=Bird Notes <news@example.com>",
		"DIGEST_SIGNUP=1",
		"DIGEST_SIGNUP_TOPICS=birds,science,go",
		"DIGEST_SIGNUP_CADENCES=daily,weekly",
		"DIGEST_TIMEZONE=UTC",
	}
	base := startServe(t, environ, addr)

	for _, s := range []string{"light", "dark"} {
		if err := chromedp.Do(ctx, browsertest.ColorScheme(s), chromedp.Navigate(base+"/subscribe")); err != nil {
			t.Fatal(err)
		}
		waitTitle(t, ctx, "Subscribe to Bird Notes")
		shot(t, ctx, "form-"+s)
	}
	// A person's mistake first: the form says what is wrong and keeps the
	// name typed.
	err := chromedp.Do(ctx,
		browsertest.ColorScheme("light"),
		chromedp.SendKeys(chromedp.CSS("#email"), "rita@@example.com"),
		chromedp.SendKeys(chromedp.CSS("#name"), "Rita Reader"),
		chromedp.Click(chromedp.CSS("#topic-birds")),
		chromedp.Click(chromedp.CSS("button[type=submit]")),
	)
	if err != nil {
		t.Fatal(err)
	}
	waitTitle(t, ctx, "Subscribe to Bird Notes")
	alert, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("[role=alert]")))
	if err != nil || !strings.Contains(alert, "more than one @") {
		t.Fatalf("error shown: %q, %v", alert, err)
	}
	kept, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector("#name").value + "|" + document.querySelector("#topic-birds").checked`))
	if err != nil || kept != "Rita Reader|true" {
		t.Errorf("the form kept %q (%v), want the name and the topic", kept, err)
	}
	shot(t, ctx, "form-error-light")
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`(document.querySelector("#email").value = "") === ""`)); err != nil {
		t.Fatal(err)
	}
	err = chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.CSS("#email"), "rita@example.com"),
		chromedp.Click(chromedp.CSS("#cadence-daily")),
		chromedp.Click(chromedp.CSS("button[type=submit]")),
	)
	if err != nil {
		t.Fatal(err)
	}
	waitTitle(t, ctx, "Check your inbox")
	shot(t, ctx, "sent-light")

	var raw []byte
	for deadline := time.Now().Add(10 * time.Second); raw == nil && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		for _, m := range srv.Messages() {
			if m.To[0] == "rita@example.com" {
				raw = m.Data
			}
		}
	}
	if raw == nil {
		t.Fatal("no confirmation mail to rita@example.com")
	}
	if text := mailertest.TextPart(t, raw); !strings.Contains(text, "Hello Rita Reader,") || !strings.Contains(text, "topics: birds") {
		t.Errorf("confirmation mail's text:\n%s", text)
	}
	link := confirmLinkRE.FindString(mailertest.TextPart(t, raw))
	if !strings.HasPrefix(link, base+"/confirm?t=") {
		t.Fatalf("link %q does not point to %s", link, base)
	}
	html := mailHTML(t, raw)
	mailSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, html)
	}))
	defer mailSrv.Close()
	for _, s := range []string{"light", "dark"} {
		if err := chromedp.Do(ctx, browsertest.ColorScheme(s), chromedp.Navigate(mailSrv.URL)); err != nil {
			t.Fatal(err)
		}
		shot(t, ctx, "mail-"+s)
		if err := chromedp.Do(ctx, chromedp.Navigate(link)); err != nil {
			t.Fatal(err)
		}
		waitTitle(t, ctx, "Confirm your subscription")
		shot(t, ctx, "confirm-"+s)
	}
	// The dark page after the form, for the record.
	if err := chromedp.Do(ctx, chromedp.Navigate(base+"/subscribe")); err != nil {
		t.Fatal(err)
	}
	waitTitle(t, ctx, "Subscribe to Bird Notes")
	err = chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.CSS("#email"), "sam@example.com"),
		chromedp.Click(chromedp.CSS("button[type=submit]")),
	)
	if err != nil {
		t.Fatal(err)
	}
	waitTitle(t, ctx, "Check your inbox")
	shot(t, ctx, "sent-dark")

	// Follow the mail's link and press the button.
	if err := chromedp.Do(ctx, browsertest.ColorScheme("light"), chromedp.Navigate(link)); err != nil {
		t.Fatal(err)
	}
	waitTitle(t, ctx, "Confirm your subscription")
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("button[type=submit]"))); err != nil {
		t.Fatal(err)
	}
	waitTitle(t, ctx, "You are subscribed")
	shot(t, ctx, "confirmed-light")

	var out bytes.Buffer
	if code := Main(t.Context(), &env{stdout: &out, stderr: &out, stdin: strings.NewReader(""), environ: environ}, []string{"run"}); code != exitOK {
		t.Fatalf("run: exit %d\n%s", code, out.String())
	}
	for email, want := range map[string]int{"rita@example.com": 1, "ann@example.com": 1, "sam@example.com": 0} {
		if n := digestsTo(t, srv, "2026-11-29", email); n != want {
			t.Errorf("%s got the edition %d times, want %d", email, n, want)
		}
	}
}
