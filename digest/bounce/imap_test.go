package bounce_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"

	"github.com/digest-newsletter/digest/digest/bounce"
)

// imapServer starts an in-process IMAP server on loopback holding the
// messages in the folder Bounces of user "bounces" (password "pw"). With
// useTLS it speaks imaps, with a certificate the returned config trusts.
func imapServer(t *testing.T, useTLS bool, msgs [][]byte) (addr string, roots *tls.Config) {
	t.Helper()
	mem := imapmemserver.New()
	user := imapmemserver.NewUser("bounces", "pw")
	if err := user.Create("Bounces", nil); err != nil {
		t.Fatal(err)
	}
	for _, m := range msgs {
		if _, err := user.Append("Bounces", literal{bytes.NewReader(m), int64(len(m))}, &imap.AppendOptions{Time: time.Now()}); err != nil {
			t.Fatal(err)
		}
	}
	mem.AddUser(user)
	srv := imapserver.New(&imapserver.Options{
		NewSession: func(*imapserver.Conn) (imapserver.Session, *imapserver.GreetingData, error) {
			return mem.NewSession(), nil, nil
		},
		Caps:         imap.CapSet{imap.CapIMAP4rev1: {}, imap.CapIMAP4rev2: {}},
		InsecureAuth: true,
		Logger:       discardLogger{},
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if useTLS {
		h := httptest.NewUnstartedServer(nil)
		h.StartTLS()
		t.Cleanup(h.Close)
		pool := x509.NewCertPool()
		pool.AddCert(h.Certificate())
		ln = tls.NewListener(ln, &tls.Config{Certificates: h.TLS.Certificates})
		roots = &tls.Config{RootCAs: pool}
	}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return ln.Addr().String(), roots
}

type literal struct {
	*bytes.Reader
	n int64
}

func (l literal) Size() int64 { return l.n }

type discardLogger struct{}

func (discardLogger) Printf(string, ...any) {}

// folderCount returns how many messages an IMAP folder holds.
func folderCount(t *testing.T, addr string, roots *tls.Config, folder string) uint32 {
	t.Helper()
	c, err := imapclient.DialTLS(addr, &imapclient.Options{TLSConfig: roots})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Login("bounces", "pw").Wait(); err != nil {
		t.Fatal(err)
	}
	sd, err := c.Status(folder, &imap.StatusOptions{NumMessages: true}).Wait()
	if err != nil {
		return 0
	}
	return *sd.NumMessages
}

// TestIMAP reads the samples and the 10 MB message from an IMAP folder
// over TLS: the reports acted on move to Processed, the others stay; a
// rerun reads the five left and changes nothing.
func TestIMAP(t *testing.T) {
	st := newState(t)
	var msgs [][]byte
	for _, f := range allReports {
		// IMAP servers hold messages with CRLF line ends.
		msgs = append(msgs, bytes.ReplaceAll(report(t, f), []byte("\n"), []byte("\r\n")))
	}
	msgs = append(msgs, bigAttachment())
	addr, roots := imapServer(t, true, msgs)
	url := "imaps://bounces@" + addr + "/Bounces"
	for run, want := range []string{"5 2 5 0", "0 0 5 0"} {
		mb, err := bounce.DialIMAP(t.Context(), bounce.IMAPConfig{URL: url, Password: "pw", TLSConfig: roots})
		if err != nil {
			t.Fatal(err)
		}
		sum, err := newProcessor(st, time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)).Run(t.Context(), mb)
		mb.Close()
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
	if n := folderCount(t, addr, roots, "Bounces"); n != 5 {
		t.Errorf("%d left in Bounces, want 5", n)
	}
	if n := folderCount(t, addr, roots, "Processed"); n != 7 {
		t.Errorf("%d in Processed, want 7", n)
	}
	if n := len(suppressions(t, st)); n != 5 {
		t.Errorf("%d suppressed, want 5", n)
	}
}

// TestIMAPErrors checks the refusals: a wrong password, a folder that does
// not exist, a password in the URL, plain imap:// to a host not on
// loopback.
func TestIMAPErrors(t *testing.T) {
	addr, roots := imapServer(t, true, nil)
	for _, tc := range []struct{ url, password, want string }{
		{"imaps://bounces@" + addr + "/Bounces", "wrong", "login as bounces"},
		{"imaps://bounces@" + addr + "/Nowhere", "pw", "select Nowhere"},
		{"imaps://bounces:pw@" + addr + "/Bounces", "", "holds a password"},
		{"imap://bounces@mail.example.org/Bounces", "pw", "only to a loopback host"},
		{"imaps://" + addr + "/Bounces", "pw", "no user"},
	} {
		ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
		_, err := bounce.DialIMAP(ctx, bounce.IMAPConfig{URL: tc.url, Password: tc.password, TLSConfig: roots})
		cancel()
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want %q", tc.url, err, tc.want)
		}
	}
}
