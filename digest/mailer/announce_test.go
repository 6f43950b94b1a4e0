package mailer

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/digest-newsletter/digest/digest"
	"github.com/digest-newsletter/digest/digest/mailer/mailertest"
)

// stages records the stages the server has seen, as "RCPT b@example.org".
type stages struct {
	mu   sync.Mutex
	seen []string
	then mailertest.Fault // consulted after recording; nil: no fault
}

func (s *stages) fault(stage, rcpt string, n int) error {
	s.mu.Lock()
	s.seen = append(s.seen, stage+" "+rcpt)
	s.mu.Unlock()
	if s.then != nil {
		return s.then(stage, rcpt, n)
	}
	return nil
}

// waitFor waits until the server has seen stage, or fails the test.
func (s *stages) waitFor(t *testing.T, stage string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		s.mu.Lock()
		ok := slices.Contains(s.seen, stage)
		s.mu.Unlock()
		if ok {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("the server never saw %q; it saw %q", stage, s.seen)
}

// recipients lists the recipient of each message the server accepted.
func recipients(srv *mailertest.Server) []string {
	var to []string
	for _, m := range srv.Messages() {
		to = append(to, m.To...)
	}
	return to
}

func announce(t *testing.T, c digest.Conn, to string) {
	t.Helper()
	a, ok := c.(digest.Announcer)
	if !ok {
		t.Fatalf("%T is not a digest.Announcer", c)
	}
	a.Announce("news@example.com", to)
}

func TestAnnouncedEnvelopeGoesOutBehindTheDot(t *testing.T) {
	st := &stages{}
	srv := mailertest.NewServer(t, mailertest.WithFault(st.fault))
	c := open(t, SMTPConfig{URL: srv.URL(), Timeout: 5 * time.Second})
	rcpts := []string{"a@example.org", "b@example.org", "c@example.org"}
	for i, to := range rcpts {
		if i+1 < len(rcpts) {
			announce(t, c, rcpts[i+1])
		}
		if _, err := c.Send(context.Background(), testMessage(to)); err != nil {
			t.Fatalf("send to %s: %v", to, err)
		}
		if i+1 < len(rcpts) {
			// The next envelope reached the server before its message
			// was handed to Send.
			st.waitFor(t, "RCPT "+rcpts[i+1])
		}
	}
	if got := recipients(srv); !slices.Equal(got, rcpts) {
		t.Errorf("server got messages to %v, want %v, once each", got, rcpts)
	}
	for i, m := range srv.Messages() {
		p := parse(t, m.Data)
		if got := p.header.Get("To"); got == "" || len(p.bodies) != 2 {
			t.Errorf("message %d: To %q, %d parts: not the whole message", i, got, len(p.bodies))
		}
	}
	if got := srv.Connections(); got != 1 {
		t.Errorf("server saw %d connections, want 1", got)
	}
}

// sendAnnouncingB sends a message to a, with b announced, and waits until
// the server has seen b's envelope.
func sendAnnouncingB(t *testing.T) (*mailertest.Server, digest.Conn) {
	t.Helper()
	st := &stages{}
	srv := mailertest.NewServer(t, mailertest.WithFault(st.fault))
	c := open(t, SMTPConfig{URL: srv.URL(), Timeout: 5 * time.Second})
	announce(t, c, "b@example.org")
	if _, err := c.Send(context.Background(), testMessage("a@example.org")); err != nil {
		t.Fatal(err)
	}
	st.waitFor(t, "RCPT b@example.org")
	return srv, c
}

func TestAnnouncedEnvelopeNeverDeliversAlone(t *testing.T) {
	t.Run("another message is sent", func(t *testing.T) {
		srv, c := sendAnnouncingB(t)
		if _, err := c.Send(context.Background(), testMessage("c@example.org")); err != nil {
			t.Fatalf("send to c, not the announced b: %v", err)
		}
		if got, want := recipients(srv), []string{"a@example.org", "c@example.org"}; !slices.Equal(got, want) {
			t.Errorf("server got messages to %v, want %v: b was announced, never sent", got, want)
		}
	})
	t.Run("the connection is closed", func(t *testing.T) {
		srv, c := sendAnnouncingB(t)
		c.Close()
		time.Sleep(50 * time.Millisecond) // let the server see the close
		if got, want := recipients(srv), []string{"a@example.org"}; !slices.Equal(got, want) {
			t.Errorf("server got messages to %v, want %v", got, want)
		}
	})
}

func TestAnnouncedEnvelopeRefusals(t *testing.T) {
	t.Run("the announced recipient is refused", func(t *testing.T) {
		srv := mailertest.NewServer(t, mailertest.WithFault(mailertest.FailRcpt(mailertest.StageRcpt, 550, "b@example.org")))
		c := open(t, SMTPConfig{URL: srv.URL(), Timeout: 5 * time.Second})
		announce(t, c, "b@example.org")
		if _, err := c.Send(context.Background(), testMessage("a@example.org")); err != nil {
			t.Fatal(err)
		}
		_, err := c.Send(context.Background(), testMessage("b@example.org"))
		var se *digest.SendError
		if !errors.As(err, &se) || se.Code != 550 || !se.Permanent {
			t.Fatalf("send to the refused b: %v, want a permanent 550", err)
		}
		if _, err := c.Send(context.Background(), testMessage("c@example.org")); err != nil {
			t.Fatalf("send after the refusal: %v", err)
		}
		if got, want := recipients(srv), []string{"a@example.org", "c@example.org"}; !slices.Equal(got, want) {
			t.Errorf("server got messages to %v, want %v", got, want)
		}
	})
	t.Run("the message before it is refused", func(t *testing.T) {
		srv := mailertest.NewServer(t, mailertest.WithFault(mailertest.FailRcpt(mailertest.StageData, 554, "a@example.org")))
		c := open(t, SMTPConfig{URL: srv.URL(), Timeout: 5 * time.Second})
		announce(t, c, "b@example.org")
		_, err := c.Send(context.Background(), testMessage("a@example.org"))
		var se *digest.SendError
		if !errors.As(err, &se) || se.Code != 554 {
			t.Fatalf("send to a: %v, want a 554", err)
		}
		if _, err := c.Send(context.Background(), testMessage("b@example.org")); err != nil {
			t.Fatalf("send to b after a's refusal: %v", err)
		}
		if got, want := recipients(srv), []string{"b@example.org"}; !slices.Equal(got, want) {
			t.Errorf("server got messages to %v, want %v", got, want)
		}
		if got := srv.Connections(); got != 1 {
			t.Errorf("server saw %d connections, want 1: a refusal at DATA keeps the connection", got)
		}
	})
}

func TestAnnounceRespectsPerConn(t *testing.T) {
	srv := mailertest.NewServer(t)
	c := open(t, SMTPConfig{URL: srv.URL(), Timeout: 5 * time.Second, PerConn: 2})
	var rcpts []string
	for i := range 5 {
		rcpts = append(rcpts, string(rune('a'+i))+"@example.org")
	}
	for i, to := range rcpts {
		if i+1 < len(rcpts) {
			announce(t, c, rcpts[i+1])
		}
		if _, err := c.Send(context.Background(), testMessage(to)); err != nil {
			t.Fatalf("send to %s: %v", to, err)
		}
	}
	if got := recipients(srv); !slices.Equal(got, rcpts) {
		t.Errorf("server got messages to %v, want %v, once each", got, rcpts)
	}
	if got, want := srv.Connections(), 3; got != want {
		t.Errorf("server saw %d connections, want %d (2 messages each)", got, want)
	}
}
