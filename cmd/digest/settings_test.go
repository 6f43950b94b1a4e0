package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/digest-newsletter/digest/digest"
	"github.com/digest-newsletter/digest/digest/mailer/mailertest"
	"github.com/digest-newsletter/digest/digest/store"
	"github.com/digest-newsletter/digest/digest/subscriber"
)

// A password the server refuses is the operator's to fix: the run stops
// with exit 2 and says what to fix, everyone stays pending (nobody is
// deferred and retried for two days), and the run after the fix mails each
// subscriber once.
func TestRunStopsOnRefusedLoginWithEveryonePending(t *testing.T) {
	dir := t.TempDir()
	f := &crashFixture{dir: dir, state: filepath.Join(dir, "digest.db"), list: filepath.Join(dir, "subscribers.csv"), n: 20,
		srv: mailertest.NewServer(t, mailertest.WithAuth("news", "right"))}
	var b bytes.Buffer
	if err := subscriber.Generate(&b, f.n); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(f.list, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	run := func(password string) (int, string) {
		var out bytes.Buffer
		environ := append(f.environ(), "DIGEST_SMTP_USERNAME=news", "DIGEST_SMTP_PASSWORD="+password)
		code := Main(context.Background(), &env{stdout: &out, stderr: &out, stdin: strings.NewReader(""), environ: environ}, []string{"run"})
		return code, out.String()
	}
	code, out := run("wrong")
	if code != exitUsage {
		t.Fatalf("exit %d, want %d; output:\n%s", code, exitUsage, out)
	}
	for _, want := range []string{"535", "check the SMTP user and password", "20 deliveries stay pending"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "wrong") {
		t.Errorf("output shows the password:\n%s", out)
	}
	st, err := store.OpenReadOnly(context.Background(), f.state)
	if err != nil {
		t.Fatal(err)
	}
	emails, _ := subscriberEmails(f.list)
	rows, err := st.Deliveries(context.Background(), "2026-11-29", "smtp", emails)
	st.Close()
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range emails {
		if s := rows[e].Status; s != "" && s != digest.Pending {
			t.Errorf("%s: journal %s, want pending", e, s)
		}
	}
	if f.srv.Count() != 0 {
		t.Fatalf("server received %d messages", f.srv.Count())
	}
	if code, out := run("right"); code != exitOK {
		t.Fatalf("after the fix: exit %d; output:\n%s", code, out)
	}
	if f.check(t) != 0 || f.srv.Count() != f.n {
		t.Errorf("after the fix the server has %d messages, want %d, each once", f.srv.Count(), f.n)
	}
}

// subscriberEmails lists the addresses of a generated subscriber file.
func subscriberEmails(path string) ([]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, line := range strings.Split(string(b), "\n")[1:] {
		if e, _, ok := strings.Cut(line, ","); ok {
			out = append(out, e)
		}
	}
	return out, nil
}
