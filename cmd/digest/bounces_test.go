package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"
	"github.com/emersion/go-msgauth/dkim"
	"github.com/emersion/go-smtp"

	"github.com/digest-newsletter/digest/digest"
	"github.com/digest-newsletter/digest/digest/bounce"
	"github.com/digest-newsletter/digest/digest/mailer/mailertest"
	"github.com/digest-newsletter/digest/digest/store"
)

// bounceFixture is a state in which edition 2026-11-29 went to n
// subscribers, and a Maildir holding a hard bounce for each.
type bounceFixture struct {
	state, box string
	environ    []string
}

func newBounceFixture(t *testing.T, n int) *bounceFixture {
	t.Helper()
	return newBounceFixtureOn(t, false, n)
}

// newBounceFixtureOn is newBounceFixture on a PostgreSQL state if postgres
// is set.
func newBounceFixtureOn(t *testing.T, postgres bool, n int) *bounceFixture {
	t.Helper()
	dir := t.TempDir()
	f := &bounceFixture{state: filepath.Join(dir, "digest.db"), box: filepath.Join(dir, "box")}
	if postgres {
		f.state = newPostgresState(t)
	}
	f.environ = []string{"DIGEST_STATE=" + f.state, "DIGEST_FROM=digest@example.org"}
	st, err := store.Open(t.Context(), f.state)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	at := time.Date(2026, 11, 29, 7, 0, 0, 0, time.UTC)
	if err := st.Freeze(t.Context(), &digest.Edition{ID: "2026-11-29", Cadence: digest.CadenceDaily, Created: at}); err != nil {
		t.Fatal(err)
	}
	var ds []digest.Delivery
	for _, sub := range []string{"cur", "new", "tmp"} {
		os.MkdirAll(filepath.Join(f.box, sub), 0o700)
	}
	for i := range n {
		email := fmt.Sprintf("reader%d@example.net", i)
		ds = append(ds, digest.Delivery{Edition: "2026-11-29", Channel: "smtp", Email: email, Status: digest.Sent, Attempts: 1, Updated: at})
		dsn := fmt.Sprintf("From: MAILER-DAEMON@mx.example.net\nTo: digest@example.org\nSubject: Undelivered Mail\n"+
			"Content-Type: multipart/report; report-type=delivery-status; boundary=x\n\n--x\n"+
			"Content-Type: message/delivery-status\n\nReporting-MTA: dns; mx\n\n"+
			"Final-Recipient: rfc822; %s\nAction: failed\nStatus: 5.1.1\n\n--x--\n", email)
		if err := os.WriteFile(filepath.Join(f.box, "new", fmt.Sprintf("%d.eml", i)), []byte(dsn), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.Record(t.Context(), ds); err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *bounceFixture) run(args ...string) (int, string) {
	var out bytes.Buffer
	code := Main(context.Background(), &env{stdout: &out, stderr: &out, stdin: strings.NewReader(""), environ: f.environ},
		append([]string{"bounces", f.box}, args...))
	return code, out.String()
}

// TestBouncesLocked checks that digest bounces does not read while
// another one holds its lock: exit 4, the mailbox untouched.
func TestBouncesLocked(t *testing.T) {
	f := newBounceFixture(t, 2)
	unlock, err := store.Lock(bouncesLockPath(f.state))
	if err != nil {
		t.Fatal(err)
	}
	code, out := f.run()
	unlock()
	if code != exitLocked || !strings.Contains(out, "another digest bounces is reading") {
		t.Fatalf("exit %d, output %q; want %d and the reason", code, out, exitLocked)
	}
	if left, _ := filepath.Glob(filepath.Join(f.box, "new", "*")); len(left) != 2 {
		t.Fatalf("%d messages left in new, want 2 untouched", len(left))
	}
	if code, out := f.run(); code != exitOK || !strings.Contains(out, "2 suppressed") {
		t.Fatalf("after unlock: exit %d, %q", code, out)
	}
}

// TestBouncesLockedThroughLink checks that the lock of digest bounces
// belongs to the state file, not to the path: held through the real path,
// a run through a symbolic link in another folder exits 4 and reads
// nothing.
func TestBouncesLockedThroughLink(t *testing.T) {
	f := newBounceFixture(t, 2)
	link := filepath.Join(t.TempDir(), "link.db")
	if err := os.Symlink(f.state, link); err != nil {
		t.Fatal(err)
	}
	unlock, err := store.Lock(bouncesLockPath(f.state))
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	f.environ = slices.DeleteFunc(f.environ, func(kv string) bool { return strings.HasPrefix(kv, "DIGEST_STATE=") })
	f.environ = append(f.environ, "DIGEST_STATE="+link)
	code, out := f.run()
	if code != exitLocked || !strings.Contains(out, "another digest bounces is reading") {
		t.Fatalf("through a link: exit %d, output %q; want %d and the reason", code, out, exitLocked)
	}
	if left, _ := filepath.Glob(filepath.Join(f.box, "new", "*")); len(left) != 2 {
		t.Fatalf("%d messages left in new, want 2 untouched", len(left))
	}
}

// TestBouncesTwiceAtOnce starts digest bounces twice at once on one
// mailbox: each ends with exit 0 or 4, every report is recorded once and
// every address suppressed once.
func TestBouncesTwiceAtOnce(t *testing.T) {
	forEachState(t, testBouncesTwiceAtOnce)
}

func testBouncesTwiceAtOnce(t *testing.T, postgres bool) {
	const n = 40
	f := newBounceFixtureOn(t, postgres, n)
	var wg sync.WaitGroup
	codes := make([]int, 4)
	for i := range codes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var out string
			codes[i], out = f.run()
			t.Log(out)
		}()
	}
	wg.Wait()
	for _, c := range codes {
		if c != exitOK && c != exitLocked {
			t.Fatalf("exit codes %v, want only 0 or 4", codes)
		}
	}
	code, out := f.run()
	if code != exitOK || !strings.Contains(out, "bounces: 0 messages") && !strings.Contains(out, fmt.Sprintf("%d suppressed", n)) {
		t.Fatalf("last run: exit %d, %q", code, out)
	}
	st, err := store.OpenReadOnly(t.Context(), f.state)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	totals, err := st.BounceTotals(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	sup, err := st.Suppressions(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if totals[digest.HardBounce] != n || len(sup) != n {
		t.Fatalf("%d hard bounces recorded, %d suppressed; want %d each", totals[digest.HardBounce], len(sup), n)
	}
	if done, _ := filepath.Glob(filepath.Join(f.box, ".Processed", "cur", "*")); len(done) != n {
		t.Fatalf("%d in .Processed, want %d", len(done), n)
	}
}

// TestBouncesIMAP reads a folder of an in-process IMAP server on loopback
// (plain imap://, which only loopback allows) with the password from a
// file: the bounce moves to Processed and its address is suppressed.
func TestBouncesIMAP(t *testing.T) {
	f := newBounceFixture(t, 3)
	mem := imapmemserver.New()
	user := imapmemserver.NewUser("bounces", "s3cret")
	user.Create("Bounces", nil)
	for i := range 3 {
		b, err := os.ReadFile(filepath.Join(f.box, "new", fmt.Sprintf("%d.eml", i)))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := user.Append("Bounces", imapLiteral{bytes.NewReader(b)}, &imap.AppendOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	mem.AddUser(user)
	srv := imapserver.New(&imapserver.Options{
		NewSession: func(*imapserver.Conn) (imapserver.Session, *imapserver.GreetingData, error) {
			return mem.NewSession(), nil, nil
		},
		Caps:         imap.CapSet{imap.CapIMAP4rev1: {}},
		InsecureAuth: true,
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	defer srv.Close()
	pwFile := filepath.Join(t.TempDir(), "imap-password")
	os.WriteFile(pwFile, []byte("s3cret\n"), 0o600)
	f.environ = append(f.environ, "DIGEST_IMAP_PASSWORD_FILE="+pwFile)
	url := "imap://bounces@" + ln.Addr().String() + "/Bounces"

	var out bytes.Buffer
	code := Main(t.Context(), &env{stdout: &out, stderr: &out, environ: f.environ}, []string{"bounces", url})
	if code != exitOK || !strings.Contains(out.String(), "bounces: 3 messages: 3 suppressed, 0 counted, 0 left") ||
		!strings.Contains(out.String(), "Bounces uid 1: suppressed reader0@example.net (bounced; 5.1.1 hard") {
		t.Fatalf("exit %d:\n%s", code, out.String())
	}
	out.Reset()
	if code := Main(t.Context(), &env{stdout: &out, stderr: &out, environ: f.environ}, []string{"bounces", url}); code != exitOK ||
		!strings.Contains(out.String(), "bounces: 0 messages") {
		t.Fatalf("rerun: exit %d:\n%s", code, out.String())
	}

	// A wrong password is an error, not bad input; a password in the URL
	// is bad input.
	os.WriteFile(pwFile, []byte("wrong\n"), 0o600)
	out.Reset()
	if code := Main(t.Context(), &env{stdout: &out, stderr: &out, environ: f.environ}, []string{"bounces", url}); code != exitError ||
		!strings.Contains(out.String(), "login as bounces") {
		t.Fatalf("wrong password: exit %d:\n%s", code, out.String())
	}
	out.Reset()
	bad := "imap://bounces:pw@" + ln.Addr().String() + "/Bounces"
	if code := Main(t.Context(), &env{stdout: &out, stderr: &out, environ: f.environ}, []string{"bounces", bad}); code != exitUsage ||
		!strings.Contains(out.String(), "holds a password") {
		t.Fatalf("password in URL: exit %d:\n%s", code, out.String())
	}
}

type imapLiteral struct{ *bytes.Reader }

func (l imapLiteral) Size() int64 { return l.Reader.Size() }

// TestSMTPRefusals delivers to a server that refuses one address with 550
// 5.1.1 (no such mailbox) and another with 550 5.7.1 (a spam filter) at
// RCPT: the first is suppressed for later editions, the second only
// counted; the next edition skips exactly the first.
func TestSMTPRefusals(t *testing.T) {
	dir := t.TempDir()
	news := filepath.Join(dir, "news")
	os.MkdirAll(news, 0o755)
	article := func(name, title, date string) {
		t.Helper()
		b := fmt.Sprintf("---\ntitle: %s\ndate: %s\nurl: https://example.com/%s\n---\n\nThe story of %s has a few plain sentences. It says little. It ends here.\n", title, date, name, title)
		if err := os.WriteFile(filepath.Join(news, name+".md"), []byte(b), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	article("first", "A First Story", "2026-11-28T08:00:00Z")
	os.WriteFile(filepath.Join(dir, "sources.txt"), []byte("news name=News\n"), 0o644)
	list := filepath.Join(dir, "subscribers.csv")
	os.WriteFile(list, []byte("email\nann@example.net\nbob@example.net\ncarol@example.net\n"), 0o644)
	srv := mailertest.NewServer(t, mailertest.WithFault(func(stage, rcpt string, _ int) error {
		if stage != mailertest.StageRcpt {
			return nil
		}
		switch rcpt {
		case "bob@example.net":
			return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "<bob@example.net>: Recipient address rejected: User unknown"}
		case "carol@example.net":
			return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 7, 1}, Message: "Message rejected as spam"}
		}
		return nil
	}))
	state := filepath.Join(dir, "digest.db")
	environ := []string{"DIGEST_SMTP_URL=" + srv.URL(), "DIGEST_STATE=" + state, "DIGEST_SUBSCRIBERS=" + list,
		"DIGEST_SOURCES=" + filepath.Join(dir, "sources.txt"), "DIGEST_FROM=digest@example.org", "DIGEST_TIMEZONE=UTC"}
	run := func(edition string) string {
		t.Helper()
		var out bytes.Buffer
		code := Main(t.Context(), &env{stdout: &out, stderr: &out, environ: environ}, []string{"run", "--edition", edition})
		if code != exitOK && code != exitPartial {
			t.Fatalf("run %s: exit %d\n%s", edition, code, out.String())
		}
		return out.String()
	}
	metrics := filepath.Join(dir, "digest.prom")
	environ = append(environ, "DIGEST_METRICS_FILE="+metrics)
	out := run("2026-11-29")
	if !strings.Contains(out, "sent 1, failed 2") {
		t.Fatalf("first edition:\n%s", out)
	}
	// The run's metrics count the refusals as bounces.
	if prom, _ := os.ReadFile(metrics); !bytes.Contains(prom, []byte("\ndigest_bounces_total{kind=\"hard\"} 1\n")) ||
		!bytes.Contains(prom, []byte("\ndigest_bounces_total{kind=\"soft\"} 1\n")) || !bytes.Contains(prom, []byte("\ndigest_last_run_exit_code 3\n")) {
		t.Errorf("metrics file:\n%s", prom)
	}
	st, err := store.OpenReadOnly(t.Context(), state)
	if err != nil {
		t.Fatal(err)
	}
	sup, err := st.Suppressions(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	counts, err := st.BounceCountsByEdition(t.Context(), []string{"2026-11-29"})
	st.Close()
	if err != nil {
		t.Fatal(err)
	}
	if len(sup) != 1 || sup[0].Email != "bob@example.net" || sup[0].Reason != "bounced" || !strings.Contains(sup[0].Detail, "5.1.1") {
		t.Fatalf("suppressed %+v, want only bob@example.net, bounced, 5.1.1", sup)
	}
	if c := counts["2026-11-29"]; c.Hard != 1 || c.Soft != 1 {
		t.Fatalf("bounce counts %+v, want 1 hard (bob) and 1 soft (carol)", c)
	}

	article("second", "A Second Story", "2026-11-29T08:00:00Z")
	srv.SetFault(nil)
	before := srv.Count()
	out = run("2026-11-30")
	if !strings.Contains(out, "sent 2, failed 0") {
		t.Fatalf("second edition:\n%s", out)
	}
	var to []string
	for _, m := range srv.Messages()[before:] {
		to = append(to, m.To...)
	}
	if fmt.Sprint(to) != "[ann@example.net carol@example.net]" && fmt.Sprint(to) != "[carol@example.net ann@example.net]" {
		t.Fatalf("second edition went to %v, want ann and carol (bob suppressed, carol only counted)", to)
	}
}

// TestVERPReturnPath delivers with DIGEST_BOUNCE_ADDRESS set, DKIM signing
// and one connection: each message's MAIL FROM is its own signed VERP
// address while its From header is unchanged, every DKIM signature
// verifies, and the pipelined lookahead still holds (the envelope
// announced ahead of each message is the one it uses, so the connection
// is never closed to recover from a mismatch).
func TestVERPReturnPath(t *testing.T) {
	dir := t.TempDir()
	news := filepath.Join(dir, "news")
	os.MkdirAll(news, 0o755)
	os.WriteFile(filepath.Join(news, "first.md"), []byte("---\ntitle: A First Story\ndate: 2026-11-28T08:00:00Z\nurl: https://example.com/first\n---\n\nThe first story has a few plain sentences. It says little. It ends here.\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "sources.txt"), []byte("news name=News\n"), 0o644)
	var csv strings.Builder
	csv.WriteString("email\n")
	const n = 12
	for i := range n {
		fmt.Fprintf(&csv, "reader%02d@example.net\n", i)
	}
	list := filepath.Join(dir, "subscribers.csv")
	os.WriteFile(list, []byte(csv.String()), 0o644)
	pub, priv, _ := ed25519.GenerateKey(rand.Reader)
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	keyFile := filepath.Join(dir, "dkim.pem")
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600)
	record := "v=DKIM1; k=ed25519; p=" + base64.StdEncoding.EncodeToString(pub)

	srv := mailertest.NewServer(t)
	const secret = "verp-test-secret-of-32-bytes-or-more"
	environ := []string{"DIGEST_SMTP_URL=" + srv.URL(), "DIGEST_STATE=" + filepath.Join(dir, "digest.db"),
		"DIGEST_SUBSCRIBERS=" + list, "DIGEST_SOURCES=" + filepath.Join(dir, "sources.txt"),
		"DIGEST_FROM=The Digest <digest@example.org>", "DIGEST_TIMEZONE=UTC", "DIGEST_SMTP_CONCURRENCY=1",
		"DIGEST_DKIM_KEY_FILE=" + keyFile, "DIGEST_DKIM_SELECTOR=digest",
		"DIGEST_BOUNCE_ADDRESS=bounces@example.org", "DIGEST_SECRET=" + secret}
	var out bytes.Buffer
	if code := Main(t.Context(), &env{stdout: &out, stderr: &out, environ: environ}, []string{"run", "--edition", "2026-11-29"}); code != exitOK {
		t.Fatalf("exit %d\n%s", code, out.String())
	}
	msgs := srv.Messages()
	if len(msgs) != n {
		t.Fatalf("%d messages, want %d", len(msgs), n)
	}
	signer := bounce.NewSigner([]byte(secret))
	lookup := func(domain string) ([]string, error) {
		if domain != "digest._domainkey.example.org" {
			return nil, fmt.Errorf("no TXT record for %s", domain)
		}
		return []string{record}, nil
	}
	for _, m := range msgs {
		to := m.To[0]
		if want := signer.ReturnPath("bounces@example.org", "2026-11-29", to); m.From != want {
			t.Errorf("MAIL FROM of the message to %s: %q, want %q", to, m.From, want)
		}
		if local, _, _ := strings.Cut(m.From, "@"); len(local) > 64 {
			t.Errorf("local part %q longer than 64 bytes", local)
		}
		if !bytes.Contains(m.Data, []byte("\r\nFrom: \"The Digest\" <digest@example.org>\r\n")) && !bytes.Contains(m.Data, []byte("\r\nFrom: The Digest <digest@example.org>\r\n")) {
			t.Errorf("message to %s: From header changed:\n%.600s", to, m.Data)
		}
		vs, err := dkim.VerifyWithOptions(bytes.NewReader(m.Data), &dkim.VerifyOptions{LookupTXT: lookup})
		if err != nil || len(vs) != 1 || vs[0].Err != nil {
			t.Errorf("message to %s: DKIM: %v %+v", to, err, vs)
		}
	}
	if c := srv.Connections(); c != 1 {
		t.Errorf("%d connections, want 1: an announced envelope that did not match its message closes the connection", c)
	}
}
