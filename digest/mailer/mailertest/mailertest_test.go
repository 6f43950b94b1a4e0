package mailertest_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/digest-newsletter/digest/digest/mailer/mailertest"
	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

func send(t *testing.T, c *smtp.Client, to string) error {
	t.Helper()
	if err := c.Mail("news@example.com", nil); err != nil {
		return err
	}
	if err := c.Rcpt(to, nil); err != nil {
		return err
	}
	w, err := c.Data()
	if err != nil {
		return err
	}
	if _, err := w.Write([]byte("Subject: hi\r\n\r\nhello\r\n")); err != nil {
		return err
	}
	return w.Close()
}

func TestServerRecordsMessages(t *testing.T) {
	srv := mailertest.NewServer(t)
	c, err := smtp.Dial(srv.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for _, to := range []string{"a@example.com", "b@example.com"} {
		if err := send(t, c, to); err != nil {
			t.Fatalf("send %s: %v", to, err)
		}
	}
	msgs := srv.Messages()
	if got, want := len(msgs), 2; got != want {
		t.Fatalf("got %d messages, want %d", got, want)
	}
	if got, want := msgs[1].To[0], "b@example.com"; got != want {
		t.Errorf("second message to %q, want %q", got, want)
	}
	if got, want := msgs[0].From, "news@example.com"; got != want {
		t.Errorf("from %q, want %q", got, want)
	}
	if !strings.Contains(string(msgs[0].Data), "hello") {
		t.Errorf("data %q lacks the body", msgs[0].Data)
	}
	if got, want := srv.Connections(), 1; got != want {
		t.Errorf("got %d connections, want %d", got, want)
	}
}

func TestServerFaults(t *testing.T) {
	tests := []struct {
		name  string
		fault mailertest.Fault
		code  int // 0: a non-SMTP error (dropped connection)
	}{
		{"mail 451", mailertest.FailAll(mailertest.StageMail, 451), 451},
		{"rcpt 550", mailertest.FailRcpt(mailertest.StageRcpt, 550, "a@example.com"), 550},
		{"data 554", mailertest.FailFirst(1, mailertest.StageData, 554), 554},
		{"rcpt 421", mailertest.FailAll(mailertest.StageRcpt, 421), 421},
		{"drop data", mailertest.DropAt(mailertest.StageData), 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := mailertest.NewServer(t, mailertest.WithFault(tt.fault))
			c, err := smtp.Dial(srv.Addr())
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			err = send(t, c, "a@example.com")
			var se *smtp.SMTPError
			switch {
			case err == nil:
				t.Fatal("send succeeded, want an error")
			case tt.code == 0 && errors.As(err, &se):
				t.Fatalf("got SMTP error %v, want a dropped connection", err)
			case tt.code != 0 && (!errors.As(err, &se) || se.Code != tt.code):
				t.Fatalf("got %v, want code %d", err, tt.code)
			}
			if got := srv.Count(); got != 0 {
				t.Errorf("server kept %d messages, want 0", got)
			}
		})
	}
}

func TestServerAuthAndTLS(t *testing.T) {
	tests := []struct {
		name string
		opts []mailertest.Option
		auth sasl.Client
	}{
		{"plain auth", []mailertest.Option{mailertest.WithAuth("u", "p")}, sasl.NewPlainClient("", "u", "p")},
		{"login auth", []mailertest.Option{mailertest.WithAuth("u", "p")}, sasl.NewLoginClient("u", "p")},
		{"starttls", []mailertest.Option{mailertest.WithSTARTTLS(), mailertest.WithAuth("u", "p")}, sasl.NewPlainClient("", "u", "p")},
		{"implicit tls", []mailertest.Option{mailertest.WithImplicitTLS()}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := mailertest.NewServer(t, tt.opts...)
			var c *smtp.Client
			var err error
			switch {
			case strings.HasPrefix(srv.URL(), "smtps:"):
				c, err = smtp.DialTLS(srv.Addr(), srv.ClientTLSConfig())
			case strings.Contains(srv.URL(), "starttls"):
				c, err = smtp.DialStartTLS(srv.Addr(), srv.ClientTLSConfig())
			default:
				c, err = smtp.Dial(srv.Addr())
			}
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			if tt.auth != nil {
				if err := send(t, c, "a@example.com"); err == nil {
					t.Fatal("send before AUTH succeeded")
				}
				if err := c.Auth(tt.auth); err != nil {
					t.Fatalf("auth: %v", err)
				}
			}
			if err := send(t, c, "a@example.com"); err != nil {
				t.Fatalf("send: %v", err)
			}
			if got, want := srv.Count(), 1; got != want {
				t.Errorf("got %d messages, want %d", got, want)
			}
		})
	}
}

// TestCloseBeforeServe: a server closed at once, before its Serve
// goroutine has run, still stops; the test's cleanup does not hang.
func TestCloseBeforeServe(t *testing.T) {
	for range 200 {
		done := make(chan struct{})
		go func() {
			defer close(done)
			t.Run("close", func(t *testing.T) { mailertest.NewServer(t).Close() })
		}()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Fatal("a server closed before it served never stopped")
		}
	}
}
