package digest_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/mail"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/time/rate"

	"github.com/digest-newsletter/digest/digest"
	"github.com/digest-newsletter/digest/digest/mailer"
	"github.com/digest-newsletter/digest/digest/mailer/mailertest"
	"github.com/digest-newsletter/digest/digest/render"
	"github.com/digest-newsletter/digest/digest/store"
	"github.com/digest-newsletter/digest/digest/subscriber"
)

var testNow = time.Date(2026, 11, 29, 7, 0, 0, 0, time.UTC)

// fixture is one newsletter: a state, a frozen edition, a subscriber list
// and an SMTP server on loopback.
type fixture struct {
	t      *testing.T
	st     *store.Store
	srv    *mailertest.Server
	ed     *digest.Edition
	list   string
	emails []string
}

func newFixture(t *testing.T, n int, opts ...mailertest.Option) *fixture {
	t.Helper()
	dir := t.TempDir()
	st, err := store.Open(context.Background(), filepath.Join(dir, "digest.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	ed := &digest.Edition{
		ID: "2026-11-29", Cadence: digest.CadenceDaily, Created: testNow,
		Items: []digest.Item{
			{Article: digest.Article{ID: "https://example.com/a", URL: "https://example.com/a", Title: "Tides of the Thames", Source: "River News", Published: testNow.Add(-time.Hour), Tags: []string{"rivers"}}, Blurb: []string{"The river rose."}},
			{Article: digest.Article{ID: "https://example.com/b", URL: "https://example.com/b", Title: "Sourdough at altitude", Source: "Bread Blog", Published: testNow.Add(-2 * time.Hour), Tags: []string{"baking"}}, Blurb: []string{"Bake longer."}},
		},
	}
	if err := st.Freeze(context.Background(), ed); err != nil {
		t.Fatal(err)
	}
	f := &fixture{t: t, st: st, srv: mailertest.NewServer(t, opts...), ed: ed, list: filepath.Join(dir, "subscribers.csv")}
	var csv strings.Builder
	csv.WriteString("email,name,topics,cadence\n")
	for i := 1; i <= n; i++ {
		email := fmt.Sprintf("reader%02d@example.com", i)
		f.emails = append(f.emails, email)
		fmt.Fprintf(&csv, "%s,Reader %d,,\n", email, i)
	}
	f.writeList(csv.String())
	return f
}

func (f *fixture) writeList(csv string) {
	if err := os.WriteFile(f.list, []byte(csv), 0o644); err != nil {
		f.t.Fatal(err)
	}
}

func (f *fixture) dispatcher() *digest.Dispatcher {
	f.t.Helper()
	r, err := render.New(render.Options{Name: "Test Digest", Now: func() time.Time { return testNow }})
	if err != nil {
		f.t.Fatal(err)
	}
	tr, err := mailer.NewSMTP(mailer.SMTPConfig{URL: f.srv.URL(), Timeout: 2 * time.Second, PerConn: 100})
	if err != nil {
		f.t.Fatal(err)
	}
	return &digest.Dispatcher{
		Store: f.st, Renderer: r, Transport: tr,
		Subscribers: &subscriber.File{Path: f.list},
		Now:         func() time.Time { return testNow },
		From:        "Test Digest <news@example.org>",
		ListID:      "Test Digest <test.example.org>",
		Workers:     2,
		Attempts:    3,
		Backoff:     func(int) time.Duration { return time.Millisecond },
		MaxFailures: 50,
	}
}

func (f *fixture) deliver(d *digest.Dispatcher) *digest.Report {
	f.t.Helper()
	rep, err := d.Deliver(context.Background(), digest.Editions{Daily: f.ed})
	if err != nil {
		f.t.Fatalf("Deliver: %v", err)
	}
	return rep
}

// received counts the messages the server accepted per recipient.
func (f *fixture) received() map[string]int {
	n := map[string]int{}
	for _, m := range f.srv.Messages() {
		if len(m.To) != 1 {
			f.t.Errorf("a message had %d recipients, want 1", len(m.To))
		}
		for _, to := range m.To {
			n[to]++
		}
	}
	return n
}

func (f *fixture) journal() map[string]digest.Delivery {
	rows, err := f.st.Deliveries(context.Background(), f.ed.ID, "smtp", f.emails)
	if err != nil {
		f.t.Fatal(err)
	}
	return rows
}

// exactlyOnce fails unless every address but the excepted ones received
// exactly one message, and the excepted ones none.
func (f *fixture) exactlyOnce(except ...string) {
	f.t.Helper()
	got := f.received()
	for _, e := range f.emails {
		want := 1
		for _, x := range except {
			if x == e {
				want = 0
			}
		}
		if got[e] != want {
			f.t.Errorf("%s received %d messages, want %d", e, got[e], want)
		}
	}
}

func TestDeliverOncePerSubscriber(t *testing.T) {
	f := newFixture(t, 5)
	rep := f.deliver(f.dispatcher())
	if rep.Sent != 5 || !rep.Complete() {
		t.Fatalf("report: %s; want 5 sent and complete", rep.Summary())
	}
	f.exactlyOnce()
	for _, m := range f.srv.Messages() {
		msg, err := mail.ReadMessage(bytes.NewReader(m.Data))
		if err != nil {
			t.Fatal(err)
		}
		to := m.To[0]
		if got := msg.Header.Get("To"); !strings.Contains(got, to) {
			t.Errorf("To = %q, want %s", got, to)
		}
		wantID := "<" + digest.MessageID(f.ed.ID, to, "example.org") + ">"
		if got := msg.Header.Get("Message-Id"); got != wantID {
			t.Errorf("Message-ID = %q, want %q", got, wantID)
		}
		body := string(m.Data)
		ti, hi := strings.Index(body, "text/plain"), strings.Index(body, "text/html")
		if ti < 0 || hi < 0 || ti > hi {
			t.Errorf("message to %s: text/plain at %d, text/html at %d; want text first", to, ti, hi)
		}
		// The item titles, their links and the personal greeting
		// (reader01@example.com is "Reader 1").
		n := strings.TrimLeft(to[len("reader"):len("reader00")], "0")
		for _, want := range []string{"Tides of the Thames", "https://example.com/a", "https://example.com/b", "Hello Reader " + n + ","} {
			if !strings.Contains(body, want) {
				t.Errorf("message to %s lacks %q", to, want)
			}
		}
	}
	for email, row := range f.journal() {
		if row.Status != digest.Sent || row.MessageID == "" || !strings.HasPrefix(row.Reply, "250") {
			t.Errorf("journal %s = %+v, want sent with a Message-ID and the 250 reply", email, row)
		}
	}

	// The same edition again: nothing is sent.
	rep = f.deliver(f.dispatcher())
	if rep.Sent != 0 || rep.AlreadySent != 5 {
		t.Errorf("second run: %s; want 0 sent, 5 already sent", rep.Summary())
	}
	f.exactlyOnce()
}

func reply(code int) error { return mailertest.Reply(code, "test reply") }

func TestDeliverFaults(t *testing.T) {
	const bob = "reader02@example.com"
	tests := []struct {
		name  string
		fault mailertest.Fault
		// after the first run
		status  digest.DeliveryStatus // bob's journal status
		inReply string
		// after a second run with the fault cleared
		bobGets int
	}{
		{"550 at RCPT fails for good", func(stage, rcpt string, n int) error {
			if stage == mailertest.StageRcpt && rcpt == bob {
				return reply(550)
			}
			return nil
		}, digest.Failed, "550", 0},
		{"554 at DATA fails for good", func(stage, rcpt string, n int) error {
			if stage == mailertest.StageData && rcpt == bob {
				return reply(554)
			}
			return nil
		}, digest.Failed, "554", 0},
		{"451 at RCPT every time is deferred, then sent by the next run", func(stage, rcpt string, n int) error {
			if stage == mailertest.StageRcpt && rcpt == bob {
				return reply(451)
			}
			return nil
		}, digest.Deferred, "451", 1},
		{"452 at DATA every time is deferred, then sent by the next run", func(stage, rcpt string, n int) error {
			if stage == mailertest.StageData && rcpt == bob {
				return reply(452)
			}
			return nil
		}, digest.Deferred, "452", 1},
		{"421 at MAIL every time is deferred, then sent by the next run", func(stage, rcpt string, n int) error {
			if stage == mailertest.StageMail {
				return nil
			}
			if stage == mailertest.StageRcpt && rcpt == bob {
				return reply(421)
			}
			return nil
		}, digest.Deferred, "421", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, 4, mailertest.WithFault(tt.fault))
			rep := f.deliver(f.dispatcher())
			row := f.journal()[bob]
			if row.Status != tt.status || !strings.Contains(row.Reply, tt.inReply) {
				t.Fatalf("bob's journal row = %s %q, want %s with %q (report: %s)", row.Status, row.Reply, tt.status, tt.inReply, rep.Summary())
			}
			if rep.Sent != 3 || rep.Complete() {
				t.Errorf("report %s; want 3 sent and incomplete", rep.Summary())
			}
			f.srv.SetFault(nil)
			f.deliver(f.dispatcher())
			if tt.bobGets == 1 {
				f.exactlyOnce()
			} else {
				f.exactlyOnce(bob)
			}
		})
	}
}

func TestDeliverRetriesWithinTheRun(t *testing.T) {
	tests := []struct {
		name  string
		fault func(fails *atomic.Int32) mailertest.Fault
	}{
		{"451 at RCPT twice", func(fails *atomic.Int32) mailertest.Fault {
			return func(stage, rcpt string, n int) error {
				if stage == mailertest.StageRcpt && rcpt == "reader01@example.com" && fails.Add(1) <= 2 {
					return reply(451)
				}
				return nil
			}
		}},
		{"421 at MAIL closes the connection once", func(fails *atomic.Int32) mailertest.Fault {
			return func(stage, rcpt string, n int) error {
				if stage == mailertest.StageMail && fails.Add(1) == 1 {
					return reply(421)
				}
				return nil
			}
		}},
		{"connection dropped at MAIL", func(fails *atomic.Int32) mailertest.Fault {
			return func(stage, rcpt string, n int) error {
				if stage == mailertest.StageMail && fails.Add(1) == 1 {
					return mailertest.ErrDrop
				}
				return nil
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var fails atomic.Int32
			f := newFixture(t, 4, mailertest.WithFault(tt.fault(&fails)))
			rep := f.deliver(f.dispatcher())
			if rep.Sent != 4 || !rep.Complete() {
				t.Errorf("report %s; want all 4 sent", rep.Summary())
			}
			f.exactlyOnce()
		})
	}
}

func TestDeliverStallTimesOut(t *testing.T) {
	var stalled atomic.Bool
	f := newFixture(t, 3, mailertest.WithFault(func(stage, rcpt string, n int) error {
		if stage == mailertest.StageRcpt && rcpt == "reader01@example.com" && stalled.CompareAndSwap(false, true) {
			return mailertest.Stall(5 * time.Second)
		}
		return nil
	}))
	d := f.dispatcher()
	tr, _ := mailer.NewSMTP(mailer.SMTPConfig{URL: f.srv.URL(), Timeout: 300 * time.Millisecond, PerConn: 100})
	d.Transport = tr
	start := time.Now()
	rep := f.deliver(d)
	if took := time.Since(start); took > 4*time.Second {
		t.Errorf("a stalled server held the run for %s; the command timeout is 300ms", took)
	}
	if rep.Sent != 3 {
		t.Errorf("report %s; want 3 sent (the stalled message retried on a new connection)", rep.Summary())
	}
	f.exactlyOnce()
}

func TestDeliverStopsAfterConsecutiveFailures(t *testing.T) {
	f := newFixture(t, 30, mailertest.WithFault(func(stage, rcpt string, n int) error {
		if stage == mailertest.StageMail {
			return reply(421)
		}
		return nil
	}))
	d := f.dispatcher()
	d.MaxFailures = 3
	d.Attempts = 1
	d.Workers = 1
	rep := f.deliver(d)
	if rep.Stopped == "" || rep.Pending == 0 || rep.Sent != 0 {
		t.Fatalf("report %s, stopped %q; want a stop with the rest pending", rep.Summary(), rep.Stopped)
	}
	if rep.Deferred+rep.Pending != 30 {
		t.Errorf("deferred %d + pending %d != 30: somebody was lost", rep.Deferred, rep.Pending)
	}
	// The server recovers: the next run delivers to everybody once.
	f.srv.SetFault(nil)
	rep = f.deliver(f.dispatcher())
	if rep.Sent != 30 {
		t.Errorf("rerun: %s; want 30 sent", rep.Summary())
	}
	f.exactlyOnce()
}

func TestDeliverInterruptedLeavesTheRestPending(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	f := newFixture(t, 40, mailertest.WithFault(func(stage, rcpt string, n int) error {
		if stage == mailertest.StageData && n == 5 {
			// SIGINT arrives with the fifth DATA command: while the fifth
			// message is in flight, or, as the worker writes each envelope
			// behind the previous message, while the fourth one is.
			cancel()
		}
		return nil
	}))
	d := f.dispatcher()
	d.Workers = 1
	rep, err := d.Deliver(ctx, digest.Editions{Daily: f.ed})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Stopped != "interrupted" || rep.Sent < 4 || rep.Sent == 40 || rep.Unknown != 0 {
		t.Fatalf("interrupted run: %s (stopped %q); want some sent, the rest pending, none unknown", rep.Summary(), rep.Stopped)
	}
	if rep.Sent+rep.Pending != 40 {
		t.Errorf("sent %d + pending %d != 40", rep.Sent, rep.Pending)
	}
	rep = f.deliver(f.dispatcher())
	f.exactlyOnce()
}

func TestDeliverUnknownIsNotResent(t *testing.T) {
	f := newFixture(t, 3)
	ctx := context.Background()
	carol := "reader03@example.com"
	// A crashed run left carol in sending.
	if err := f.st.Record(ctx, []digest.Delivery{{Edition: f.ed.ID, Channel: "smtp", Email: carol, Status: digest.Sending, Updated: testNow}}); err != nil {
		t.Fatal(err)
	}
	rep := f.deliver(f.dispatcher())
	if rep.Unknown != 1 || rep.Sent != 2 {
		t.Fatalf("report %s; want 2 sent and 1 unknown", rep.Summary())
	}
	f.exactlyOnce(carol)
	d := f.dispatcher()
	d.ResendUnknown = true
	rep = f.deliver(d)
	if rep.Sent != 1 {
		t.Fatalf("--resend-unknown: %s; want 1 sent", rep.Summary())
	}
	f.exactlyOnce()
}

func TestDeliverSkipsAndFilters(t *testing.T) {
	f := newFixture(t, 0)
	f.writeList("email,name,status,topics,cadence\n" +
		"ann@example.com,Ann,,,\n" +
		"bob@example.com,Bob,unsubscribed,,\n" +
		"cat@example.com,Cat,,baking,\n" +
		"dan@example.com,Dan,,chess,\n" +
		"eve@example.com,Eve,,,weekly\n" +
		"fay@example.com,Fay,,,\n" +
		"not-an-address,Nobody,,,\n")
	f.emails = []string{"ann@example.com", "cat@example.com", "fay@example.com"}
	if err := f.st.Suppress(context.Background(), "fay@example.com", "one-click", testNow); err != nil {
		t.Fatal(err)
	}
	rep := f.deliver(f.dispatcher())
	want := digest.Report{Sent: 2, Skipped: 2, Empty: 1, NotToday: 1, Invalid: 1}
	got := digest.Report{Sent: rep.Sent, Skipped: rep.Skipped, Empty: rep.Empty, NotToday: rep.NotToday, Invalid: rep.Invalid}
	if got.Sent != want.Sent || got.Skipped != want.Skipped || got.Empty != want.Empty || got.NotToday != want.NotToday || got.Invalid != want.Invalid {
		t.Errorf("counts: sent %d skipped %d empty %d not-today %d invalid %d; want %d %d %d %d %d",
			got.Sent, got.Skipped, got.Empty, got.NotToday, got.Invalid, want.Sent, want.Skipped, want.Empty, want.NotToday, want.Invalid)
	}
	f.exactlyOnce("fay@example.com")
	for _, m := range f.srv.Messages() {
		body := string(m.Data)
		if m.To[0] == "cat@example.com" && (strings.Contains(body, "Tides of the Thames") || !strings.Contains(body, "Sourdough")) {
			t.Errorf("cat (topics: baking) got the wrong items")
		}
	}
}

func TestDeferredGivenUpWhenTheEditionIsOld(t *testing.T) {
	f := newFixture(t, 2)
	ctx := context.Background()
	if err := f.st.Record(ctx, []digest.Delivery{{Edition: f.ed.ID, Channel: "smtp", Email: "reader01@example.com", Status: digest.Deferred, Reply: "451 try later", Updated: testNow}}); err != nil {
		t.Fatal(err)
	}
	d := f.dispatcher()
	d.Now = func() time.Time { return testNow.Add(72 * time.Hour) }
	rep := f.deliver(d)
	if rep.Failed != 1 || rep.Sent != 1 {
		t.Fatalf("report %s; want the stale deferral failed and the other sent", rep.Summary())
	}
	if row := f.journal()["reader01@example.com"]; row.Status != digest.Failed || !strings.Contains(row.Reply, "451 try later") {
		t.Errorf("journal row %+v, want failed keeping the last reply", row)
	}
	f.exactlyOnce("reader01@example.com")
}

func TestDeliverLostReplyIsUnknownNotResent(t *testing.T) {
	const ann = "reader01@example.com"
	var lost atomic.Bool
	f := newFixture(t, 3, mailertest.WithFault(func(stage, rcpt string, n int) error {
		if stage == mailertest.StageData && rcpt == ann && lost.CompareAndSwap(false, true) {
			return mailertest.ErrLostReply // queued, then the connection died before "250"
		}
		return nil
	}))
	rep := f.deliver(f.dispatcher())
	if rep.Unknown != 1 || rep.Sent != 2 {
		t.Fatalf("report %s; want 2 sent, 1 unknown", rep.Summary())
	}
	if row := f.journal()[ann]; row.Status != digest.Sending {
		t.Errorf("journal row %s, want sending (unknown)", row.Status)
	}
	rep = f.deliver(f.dispatcher())
	if rep.Sent != 0 || rep.Unknown != 1 {
		t.Errorf("rerun: %s; want nothing sent and the unknown reported", rep.Summary())
	}
	f.exactlyOnce() // ann has her one message: the server kept it
}

func TestDeliverAddressListedTwiceOnce(t *testing.T) {
	f := newFixture(t, 0)
	var csv strings.Builder
	csv.WriteString("email,name\n")
	for i := range 600 { // more than one claim batch, so duplicates span batches
		fmt.Fprintf(&csv, "reader%03d@example.com,R\n", i%400)
	}
	f.writeList(csv.String())
	for i := range 400 {
		f.emails = append(f.emails, fmt.Sprintf("reader%03d@example.com", i))
	}
	d := f.dispatcher()
	d.Subscribers = &subscriber.File{Path: f.list, KeepDuplicates: true}
	rep := f.deliver(d)
	if rep.Sent != 400 || rep.Invalid != 200 || rep.Unknown != 0 {
		t.Errorf("report %s; want 400 sent and the 200 repeated rows skipped as invalid", rep.Summary())
	}
	f.exactlyOnce()
}

// TestDeliverSharesOneRateAndReusesConnections: DIGEST_SMTP_RATE is one
// token bucket for all workers, and each worker keeps its connection.
func TestDeliverSharesOneRateAndReusesConnections(t *testing.T) {
	f := newFixture(t, 11)
	d := f.dispatcher()
	d.Workers = 2
	d.Limiter = rate.NewLimiter(20, 1) // 20 messages a second, burst 1
	start := time.Now()
	rep := f.deliver(d)
	took := time.Since(start)
	if rep.Sent != 11 {
		t.Fatalf("report %s; want 11 sent", rep.Summary())
	}
	// 11 messages at 20/s need at least 10 intervals of 50 ms, whatever
	// the number of workers: a lower bound, so it cannot flake.
	if took < 500*time.Millisecond {
		t.Errorf("11 messages took %s at 20/s shared by 2 workers; want at least 500ms", took)
	}
	if n := f.srv.Connections(); n != 2 {
		t.Errorf("%d connections for 11 messages on 2 workers, want 2 (one each, reused)", n)
	}
	f.exactlyOnce()
}

// A failure of the settings (a refused login, no usable AUTH, a TLS
// handshake that fails) is the operator's to fix: the run stops at the
// first one, nobody is deferred, everyone stays owed, and the run after
// the fix mails each subscriber once.
func TestDeliverSettingsFailureStopsTheRunLeavingEveryonePending(t *testing.T) {
	tests := []struct {
		name    string
		opts    []mailertest.Option
		url     func(srv *mailertest.Server) string
		fixed   func(srv *mailertest.Server) string
		trusted bool // the fixed run trusts the server's certificate
	}{
		{
			name:  "login refused",
			opts:  []mailertest.Option{mailertest.WithAuth("news", "right")},
			url:   func(srv *mailertest.Server) string { return strings.Replace(srv.URL(), "//", "//news:wrong@", 1) },
			fixed: func(srv *mailertest.Server) string { return strings.Replace(srv.URL(), "//", "//news:right@", 1) },
		},
		{
			name: "no AUTH offered",
			url:  func(srv *mailertest.Server) string { return strings.Replace(srv.URL(), "//", "//news:right@", 1) },
			fixed: func(srv *mailertest.Server) string {
				return srv.URL()
			},
		},
		{
			name:    "certificate not trusted",
			opts:    []mailertest.Option{mailertest.WithSTARTTLS()},
			url:     func(srv *mailertest.Server) string { return srv.URL() },
			fixed:   func(srv *mailertest.Server) string { return srv.URL() },
			trusted: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, 6, tt.opts...)
			d := f.dispatcher()
			tr, err := mailer.NewSMTP(mailer.SMTPConfig{URL: tt.url(f.srv), Timeout: 2 * time.Second})
			if err != nil {
				t.Fatal(err)
			}
			d.Transport = tr
			rep, err := d.Deliver(context.Background(), digest.Editions{Daily: f.ed})
			var se *digest.SettingsError
			if !errors.As(err, &se) {
				t.Fatalf("Deliver error %v, want a *digest.SettingsError", err)
			}
			if rep.Deferred != 0 || rep.Sent != 0 || rep.Pending != 6 || rep.Stopped == "" {
				t.Errorf("report %s (stopped %q); want all 6 pending, none deferred, stopped", rep.Summary(), rep.Stopped)
			}
			for email, row := range f.journal() {
				if row.Status != digest.Pending {
					t.Errorf("%s: journal %s, want pending", email, row.Status)
				}
			}
			if f.srv.Count() != 0 {
				t.Errorf("server received %d messages, want 0", f.srv.Count())
			}

			d = f.dispatcher()
			cfg := mailer.SMTPConfig{URL: tt.fixed(f.srv), Timeout: 2 * time.Second}
			if tt.trusted {
				cfg.TLSConfig = f.srv.ClientTLSConfig()
			}
			if d.Transport, err = mailer.NewSMTP(cfg); err != nil {
				t.Fatal(err)
			}
			if rep := f.deliver(d); rep.Sent != 6 || !rep.Complete() {
				t.Errorf("after the fix: %s; want all 6 sent", rep.Summary())
			}
			f.exactlyOnce()
		})
	}
}
