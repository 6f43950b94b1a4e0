package bounce_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/digest-newsletter/digest/digest"
	"github.com/digest-newsletter/digest/digest/bounce"
	"github.com/digest-newsletter/digest/digest/store"
)

const (
	bounceAddress = "bounces@example.org"
	secret        = "test secret"
	edition       = "2026-11-29"
)

// subscribers are the addresses the test edition was mailed to.
var subscribers = []string{
	"ann@example.net", "bob@example.com", "carol@gmail.com", "dave@outlook.com",
	"erin@yahoo.com", "frank@yahoo.com", "gus@example.net", "hank@example.com", "ivy@example.net",
}

var signer = bounce.NewSigner([]byte(secret))

var placeholder = regexp.MustCompile(`\{\{VERP:([^}]+)\}\}`)

// report reads a test report and puts in the VERP addresses it names.
func report(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "reports", name))
	if err != nil {
		t.Fatal(err)
	}
	return placeholder.ReplaceAllFunc(b, func(m []byte) []byte {
		email := string(placeholder.FindSubmatch(m)[1])
		return []byte(signer.ReturnPath(bounceAddress, edition, email))
	})
}

// newState returns a state in which the test edition was delivered to
// every subscriber, at 07:00 on its day.
func newState(t testing.TB) *store.Store {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "digest.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	deliver(t, st, edition, time.Date(2026, 11, 29, 7, 0, 0, 0, time.UTC), subscribers...)
	return st
}

// deliver freezes an edition (if new) and records it as sent to emails.
func deliver(t testing.TB, st *store.Store, id string, at time.Time, emails ...string) {
	t.Helper()
	ctx := context.Background()
	if ed, err := st.Edition(ctx, id); err != nil {
		t.Fatal(err)
	} else if ed == nil {
		if err := st.Freeze(ctx, &digest.Edition{ID: id, Cadence: digest.CadenceDaily, Subject: "The Digest", Created: at}); err != nil {
			t.Fatal(err)
		}
	}
	var ds []digest.Delivery
	for _, e := range emails {
		ds = append(ds, digest.Delivery{Edition: id, Channel: "smtp", Email: e, Status: digest.Sent, Reply: "250 OK",
			Attempts: 1, Updated: at, MessageID: digest.MessageID(id, e, "example.org")})
	}
	if err := st.Record(ctx, ds); err != nil {
		t.Fatal(err)
	}
}

func newProcessor(st *store.Store, now time.Time) *bounce.Processor {
	return &bounce.Processor{
		Store:         st,
		Signer:        signer,
		BounceAddress: bounceAddress,
		Plain:         []string{bounceAddress, "digest@example.org"},
		Now:           func() time.Time { return now },
	}
}

func suppressions(t testing.TB, st *store.Store) map[string]store.Suppression {
	t.Helper()
	list, err := st.Suppressions(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]store.Suppression{}
	for _, s := range list {
		out[s.Email] = s
	}
	return out
}

// TestReports feeds each sample report to a fresh state and checks what is
// suppressed, counted or left.
func TestReports(t *testing.T) {
	now := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		file       string
		format     string
		action     string
		email      string // suppressed or counted
		reason     string // suppression reason; "" when only counted
		status     string
		why        string // for left: part of the reason
		softCount  int
		wantDetail string
	}{
		{file: "postfix-hard.eml", format: "dsn", action: "suppressed", email: "ann@example.net", reason: "bounced", status: "5.1.1", wantDetail: "User unknown"},
		{file: "exim-hard.eml", format: "plain", action: "suppressed", email: "bob@example.com", reason: "bounced", status: "5.1.1", wantDetail: "Recipient address rejected"},
		{file: "gmail-hard.eml", format: "dsn", action: "suppressed", email: "carol@gmail.com", reason: "bounced", status: "5.1.1", wantDetail: "does not exist"},
		{file: "outlook-hard.eml", format: "dsn", action: "suppressed", email: "dave@outlook.com", reason: "bounced", status: "5.1.10", wantDetail: "RecipientNotFound"},
		{file: "yahoo-soft.eml", format: "plain", action: "counted", email: "erin@yahoo.com", status: "4.2.2", softCount: 1},
		{file: "postfix-delayed.eml", format: "dsn", action: "counted", email: "gus@example.net", status: "4.4.1", softCount: 1},
		{file: "yahoo-arf.eml", format: "arf", action: "suppressed", email: "frank@yahoo.com", reason: "complained"},
		{file: "autoreply.eml", action: "left", why: "not a bounce"},
		{file: "malformed-dsn.eml", action: "left", why: "malformed"},
		{file: "forged-token.eml", format: "dsn", action: "left", why: "does not verify"},
		{file: "not-on-list.eml", format: "dsn", action: "left", why: "not on the list"},
	} {
		t.Run(tc.file, func(t *testing.T) {
			st := newState(t)
			p := newProcessor(st, now)
			data := report(t, tc.file)
			out, err := p.Process(t.Context(), bounce.Message{Name: tc.file, Data: data, Size: int64(len(data))})
			if err != nil {
				t.Fatal(err)
			}
			if out.Action != tc.action || out.Format != tc.format {
				t.Fatalf("action %q format %q (why %q), want %q %q", out.Action, out.Format, out.Why, tc.action, tc.format)
			}
			sup := suppressions(t, st)
			if tc.action == "left" {
				if !strings.Contains(out.Why, tc.why) {
					t.Errorf("why %q, want it to say %q", out.Why, tc.why)
				}
				if len(sup) != 0 {
					t.Errorf("suppressed %v, want none", sup)
				}
				return
			}
			if len(out.Bounces) != 1 {
				t.Fatalf("bounces %+v, want one", out.Bounces)
			}
			b := out.Bounces[0]
			if b.Email != tc.email || b.Edition != edition || b.Status != tc.status || b.SoftCount != tc.softCount {
				t.Errorf("bounce %+v, want %s on %s status %q soft count %d", b, tc.email, edition, tc.status, tc.softCount)
			}
			if tc.reason == "" {
				if len(sup) != 0 {
					t.Errorf("suppressed %v, want none", sup)
				}
				return
			}
			if len(sup) != 1 || sup[tc.email].Reason != tc.reason {
				t.Fatalf("suppressed %v, want only %s (%s)", sup, tc.email, tc.reason)
			}
			if !strings.Contains(sup[tc.email].Detail, tc.wantDetail) || !strings.Contains(sup[tc.email].Detail, tc.status) {
				t.Errorf("detail %q, want the status %q and %q", sup[tc.email].Detail, tc.status, tc.wantDetail)
			}
		})
	}
}

// TestTokenCaseAndForgery checks that a token survives a server that
// upper-cases the local part, and that changing one character of it, or
// using it for another address, does not verify.
func TestTokenCaseAndForgery(t *testing.T) {
	st := newState(t)
	p := newProcessor(st, time.Now())
	rp := signer.ReturnPath(bounceAddress, edition, "ann@example.net")
	if local, _, _ := strings.Cut(rp, "@"); len(local) > 64 {
		t.Fatalf("local part %q is %d bytes, more than 64", local, len(local))
	}
	dsn := func(to string) bounce.Message {
		b := fmt.Sprintf("From: MAILER-DAEMON@mx.example.net\r\nTo: %s\r\nSubject: Undelivered Mail\r\n"+
			"Content-Type: multipart/report; report-type=delivery-status; boundary=x\r\n\r\n--x\r\n"+
			"Content-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx\r\n\r\n"+
			"Final-Recipient: rfc822; bob@example.com\r\nAction: failed\r\nStatus: 5.1.1\r\n\r\n--x--\r\n", to)
		return bounce.Message{Name: to, Data: []byte(b), Size: int64(len(b))}
	}
	tok, _ := bounce.TokenOf(bounceAddress, rp)
	flipped := []byte(tok)
	flipped[20] = map[bool]byte{true: 'b', false: 'a'}[flipped[20] == 'a']
	forged := "bounces+" + string(flipped) + "@example.org"
	other := signer.ReturnPath(bounceAddress, edition, "stranger@example.net")
	wrongKey := bounce.NewSigner([]byte("another key")).ReturnPath(bounceAddress, edition, "bob@example.com")
	for _, to := range []string{forged, other, wrongKey} {
		out, err := p.Process(t.Context(), dsn(to))
		if err != nil {
			t.Fatal(err)
		}
		if out.Action != bounce.ActionLeft || !strings.Contains(out.Why, "does not verify") {
			t.Errorf("to %s: %+v, want left: does not verify", to, out)
		}
	}
	if sup := suppressions(t, st); len(sup) != 0 {
		t.Fatalf("suppressed %v, want none (the Final-Recipient of a report to a VERP address is never used)", sup)
	}
	out, err := p.Process(t.Context(), dsn(strings.ToUpper(rp)))
	if err != nil {
		t.Fatal(err)
	}
	if out.Action != bounce.ActionSuppressed || out.Bounces[0].Email != "ann@example.net" {
		t.Fatalf("upper-cased token: %+v, want ann@example.net suppressed (by the token, not bob of Final-Recipient)", out)
	}
}

// TestSoftBouncePolicy checks that soft bounces suppress after the limit
// on distinct editions, that two on one edition count once, that a
// delivery since resets the count, and that bounces older than the window
// do not count.
func TestSoftBouncePolicy(t *testing.T) {
	day := func(d int) time.Time { return time.Date(2026, 11, d, 7, 0, 0, 0, time.UTC) }
	id := func(d int) string { return fmt.Sprintf("2026-11-%02d", d) }
	softDSN := func(ed string, n int) bounce.Message {
		to := signer.ReturnPath(bounceAddress, ed, "erin@yahoo.com")
		b := fmt.Sprintf("From: MAILER-DAEMON@mx\r\nTo: %s\r\nSubject: failure notice\r\nX-N: %d\r\n\r\n<erin@yahoo.com>:\r\n452 4.2.2 over quota\r\n", to, n)
		return bounce.Message{Name: ed, Data: []byte(b), Size: int64(len(b))}
	}
	ctx := t.Context()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "digest.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	p := func(now time.Time) *bounce.Processor { return newProcessor(st, now) }
	deliver(t, st, id(1), day(1), "erin@yahoo.com")
	check := func(ed, n int, at time.Time, wantCount int, wantSuppressed bool) {
		t.Helper()
		out, err := p(at).Process(ctx, softDSN(id(ed), n))
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Bounces) != 1 {
			t.Fatalf("bounce of %s: %+v", id(ed), out)
		}
		if b := out.Bounces[0]; b.SoftCount != wantCount || b.Suppressed != wantSuppressed {
			t.Fatalf("bounce of %s: count %d suppressed %v, want %d %v", id(ed), b.SoftCount, b.Suppressed, wantCount, wantSuppressed)
		}
	}
	check(1, 1, day(1).Add(time.Hour), 1, false)
	check(1, 2, day(1).Add(2*time.Hour), 1, false) // the same edition again: one edition
	deliver(t, st, id(2), day(2), "erin@yahoo.com")
	deliver(t, st, id(3), day(3), "erin@yahoo.com")
	check(2, 1, day(3).Add(time.Hour), 0, false) // edition 3 went through since edition 2
	check(3, 1, day(3).Add(2*time.Hour), 3, true)

	// A resubscribe starts the count over, and a delivery that does not
	// bounce resets it too.
	if _, err := st.Unsuppress(ctx, []string{"erin@yahoo.com"}, day(4)); err != nil {
		t.Fatal(err)
	}
	deliver(t, st, id(5), day(5), "erin@yahoo.com")
	deliver(t, st, id(6), day(6), "erin@yahoo.com")
	check(5, 1, day(6).Add(time.Hour), 0, false) // 6 went through since 5
	check(6, 1, day(6).Add(2*time.Hour), 2, false)
	deliver(t, st, id(7), day(7), "erin@yahoo.com")
	check(7, 1, day(7).Add(time.Hour), 3, true)

	// Bounces older than the window do not count.
	if _, err := st.Unsuppress(ctx, []string{"erin@yahoo.com"}, day(8).Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	deliver(t, st, id(8), day(8), "erin@yahoo.com")
	check(8, 1, day(8).Add(time.Hour), 1, false)
	later := day(8).Add(31 * 24 * time.Hour)
	deliver(t, st, "2027-01-09", later.Add(-time.Hour), "erin@yahoo.com")
	out, err := p(later).Process(ctx, func() bounce.Message {
		to := signer.ReturnPath(bounceAddress, "2027-01-09", "erin@yahoo.com")
		b := "From: MAILER-DAEMON@mx\r\nTo: " + to + "\r\nSubject: failure notice\r\n\r\n452 4.2.2 over quota\r\n"
		return bounce.Message{Name: "x", Data: []byte(b), Size: int64(len(b))}
	}())
	if err != nil {
		t.Fatal(err)
	}
	if b := out.Bounces[0]; b.SoftCount != 1 || b.Suppressed {
		t.Fatalf("after the window: count %d suppressed %v, want 1 false", b.SoftCount, b.Suppressed)
	}
}

// writeMaildir makes a Maildir holding the named reports in new.
func writeMaildir(t testing.TB, dir string, files map[string][]byte) {
	t.Helper()
	for _, sub := range []string{"cur", "new", "tmp"} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(dir, "new", name), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

var allReports = []string{
	"postfix-hard.eml", "exim-hard.eml", "gmail-hard.eml", "outlook-hard.eml", "yahoo-soft.eml",
	"postfix-delayed.eml", "yahoo-arf.eml", "autoreply.eml", "malformed-dsn.eml", "forged-token.eml", "not-on-list.eml",
}

// bigAttachment is a plain "Mail delivery failed" message to the plain
// bounce address with a 10 MB attachment and no VERP address: it cannot
// be attributed.
func bigAttachment() []byte {
	var b bytes.Buffer
	b.WriteString("From: MAILER-DAEMON@mx.example.net\r\nTo: bounces@example.org\r\nSubject: Mail delivery failed\r\n" +
		"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=big\r\n\r\n--big\r\nContent-Type: text/plain\r\n\r\n" +
		"550 5.1.1 ann@example.net: no such user\r\n--big\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n")
	line := strings.Repeat("QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFB", 1) + "\r\n"
	for b.Len() < 10<<20 {
		b.WriteString(line)
	}
	b.WriteString("--big--\r\n")
	return b.Bytes()
}

// TestMaildir runs every sample through a Maildir: the reports acted on
// move to .Processed, the others stay in new; a rerun changes nothing.
func TestMaildir(t *testing.T) {
	st := newState(t)
	dir := filepath.Join(t.TempDir(), "Bounces")
	files := map[string][]byte{"zz-big.eml": bigAttachment()}
	for _, f := range allReports {
		files[f] = report(t, f)
	}
	writeMaildir(t, dir, files)
	mb, err := bounce.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	sum, err := newProcessor(st, time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)).Run(t.Context(), mb)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Suppressed != 5 || sum.Counted != 2 || sum.Left != 5 || sum.Already != 0 {
		for _, o := range sum.Outcomes {
			t.Logf("%s: %s %s", o.Message, o.Action, o.Why)
		}
		t.Fatalf("suppressed %d counted %d left %d already %d, want 5 2 5 0", sum.Suppressed, sum.Counted, sum.Left, sum.Already)
	}
	left, _ := filepath.Glob(filepath.Join(dir, "new", "*"))
	done, _ := filepath.Glob(filepath.Join(dir, ".Processed", "cur", "*"))
	if len(left) != 5 || len(done) != 7 {
		t.Fatalf("%d left in new, %d in .Processed/cur; want 5 and 7", len(left), len(done))
	}
	want := map[string]string{"ann@example.net": "bounced", "bob@example.com": "bounced", "carol@gmail.com": "bounced",
		"dave@outlook.com": "bounced", "frank@yahoo.com": "complained"}
	got := map[string]string{}
	for e, s := range suppressions(t, st) {
		got[e] = s.Reason
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("suppressed %v, want %v", got, want)
	}

	// A rerun reads the five left and changes nothing.
	sum, err = newProcessor(st, time.Now()).Run(t.Context(), mb)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Suppressed+sum.Counted+sum.Already != 0 || sum.Left != 5 {
		t.Fatalf("rerun: %+v, want only the 5 left", sum)
	}
	// A report copied back into new (a crash between the state's commit
	// and the move) is seen as done and filed away again.
	b, _ := os.ReadFile(done[0])
	os.WriteFile(filepath.Join(dir, "new", "again.eml"), b, 0o600)
	sum, err = newProcessor(st, time.Now()).Run(t.Context(), mb)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Already != 1 || sum.Suppressed+sum.Counted != 0 {
		t.Fatalf("copy of a processed report: %+v, want already 1", sum)
	}
	totals, err := st.BounceTotals(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if totals[digest.HardBounce] != 4 || totals[digest.SoftBounce] != 2 || totals[digest.Complaint] != 1 {
		t.Fatalf("totals %v, want 4 hard, 2 soft, 1 complaint", totals)
	}
}

// TestMbox reads the samples from an mbox file, with a body line that
// starts with "From " quoted, and a rerun is a no-op.
func TestMbox(t *testing.T) {
	st := newState(t)
	var b bytes.Buffer
	for _, f := range allReports {
		fmt.Fprintf(&b, "From MAILER-DAEMON Sun Nov 29 07:02:11 2026\n")
		body := report(t, f)
		body = bytes.ReplaceAll(body, []byte("\nFrom "), []byte("\n>From "))
		b.Write(body)
		b.WriteString("\n")
	}
	b.WriteString("From MAILER-DAEMON Sun Nov 29 07:02:11 2026\n")
	b.Write(bigAttachment())
	b.WriteString("\n")
	path := filepath.Join(t.TempDir(), "bounces.mbox")
	if err := os.WriteFile(path, b.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	mb, err := bounce.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	for run, want := range []string{"5 2 5 0", "0 0 5 7"} {
		sum, err := newProcessor(st, time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)).Run(t.Context(), mb)
		if err != nil {
			t.Fatal(err)
		}
		got := fmt.Sprintf("%d %d %d %d", sum.Suppressed, sum.Counted, sum.Left, sum.Already)
		if got != want {
			for _, o := range sum.Outcomes {
				t.Logf("%s: %s %s", o.Message, o.Action, o.Why)
			}
			t.Fatalf("run %d: suppressed, counted, left, already: %s, want %s", run+1, got, want)
		}
	}
	if n := len(suppressions(t, st)); n != 5 {
		t.Fatalf("%d suppressed, want 5", n)
	}
}

// TestDiagnosticCleaned checks that a server's diagnostic with terminal
// controls, bidi and zero-width characters is kept as clean text in the suppression list.
func TestDiagnosticCleaned(t *testing.T) {
	st := newState(t)
	to := signer.ReturnPath(bounceAddress, edition, "ann@example.net")
	b := "From: MAILER-DAEMON@mx\r\nTo: " + to + "\r\nSubject: Undelivered Mail\r\n" +
		"Content-Type: multipart/report; report-type=delivery-status; boundary=x\r\n\r\n--x\r\n" +
		"Content-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx\r\n\r\n" +
		"Final-Recipient: rfc822; ann@example.net\r\nAction: failed\r\nStatus: 5.1.1\r\n" +
		"Diagnostic-Code: smtp; 550 5.1.1 go\u200bne\u202e txt.exe\u0085\r\n\r\n--x--\r\n"
	if _, err := newProcessor(st, time.Now()).Process(t.Context(), bounce.Message{Name: "x", Data: []byte(b), Size: int64(len(b))}); err != nil {
		t.Fatal(err)
	}
	d := suppressions(t, st)["ann@example.net"].Detail
	if strings.ContainsAny(d, "\u200b\u202e\u0085") || !strings.Contains(d, "gone") {
		t.Fatalf("detail %q, want it clean of controls and still saying gone", d)
	}
}

// TestLargeReturnedMessage checks that a notification returning a 10 MB
// message is still read: its status part comes first, and only the first
// MaxReportBytes are kept.
func TestLargeReturnedMessage(t *testing.T) {
	st := newState(t)
	dsn := report(t, "postfix-hard.eml")
	i := bytes.LastIndex(dsn, []byte("--3F1A21C0A2B.1764399731/mail.example.org--"))
	var b bytes.Buffer
	b.Write(dsn[:i])
	b.WriteString("--3F1A21C0A2B.1764399731/mail.example.org\nContent-Type: message/rfc822\n\nSubject: big\n\n")
	for b.Len() < 10<<20 {
		b.WriteString(strings.Repeat("x", 76) + "\n")
	}
	b.WriteString("\n--3F1A21C0A2B.1764399731/mail.example.org--\n")
	dir := filepath.Join(t.TempDir(), "box")
	writeMaildir(t, dir, map[string][]byte{"big.eml": b.Bytes()})
	mb, _ := bounce.Open(dir)
	var seen bounce.Message
	sum, err := newProcessor(st, time.Now()).Run(t.Context(), recordingMailbox{mb, &seen})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Suppressed != 1 || suppressions(t, st)["ann@example.net"].Reason != "bounced" {
		t.Fatalf("%+v, want ann@example.net suppressed", sum.Outcomes)
	}
	if len(seen.Data) != bounce.MaxReportBytes || seen.Size != int64(b.Len()) {
		t.Fatalf("kept %d bytes of %d, want %d of %d", len(seen.Data), seen.Size, bounce.MaxReportBytes, b.Len())
	}
}

// recordingMailbox keeps the last message it handed out.
type recordingMailbox struct {
	bounce.Mailbox
	last *bounce.Message
}

func (r recordingMailbox) Each(ctx context.Context, fn func(bounce.Message) error) error {
	return r.Mailbox.Each(ctx, func(m bounce.Message) error {
		*r.last = m
		return fn(m)
	})
}
