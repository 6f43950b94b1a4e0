//go:build e2e

package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestMailpitSignup signs a new reader up through digest serve as a
// program would (a JSON POST), reads the confirmation mail through
// mailpit's API, confirms, runs, and checks the new address received
// exactly one digest (and the list's reader one too).
func TestMailpitSignup(t *testing.T) {
	m := newMailpit(t)
	dir := t.TempDir()
	list := filepath.Join(dir, "subscribers.csv")
	os.WriteFile(list, []byte("email,name\nann@example.com,Ann\n"), 0o644)
	addr := freeAddr(t)
	environ := []string{
		"DIGEST_SMTP_URL=smtp://" + m.smtp,
		"DIGEST_STATE=" + filepath.Join(dir, "digest.db"),
		"DIGEST_SOURCES=../../examples/sources.txt",
		"DIGEST_SUBSCRIBERS=" + list,
		"DIGEST_TIMEZONE=UTC",
		"DIGEST_EDITION=2026-12-07",
		"DIGEST_BASE_URL=http://" + addr,
		"DIGEST_SECRET=mailpit-signup-secret-0123456789abcdef",
		"DIGEST_SIGNUP=1",
	}
	base := startServe(t, environ, addr)

	b, _ := json.Marshal(map[string]any{"email": "new.reader@example.com", "name": "New Reader"})
	resp, err := http.Post(base+"/subscribe", "application/json", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("sign-up: %d", resp.StatusCode)
	}
	var id string
	for deadline := time.Now().Add(15 * time.Second); id == "" && time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		for _, s := range m.messages() {
			if len(s.To) == 1 && s.To[0].Address == "new.reader@example.com" && strings.HasPrefix(s.Subject, "Confirm your subscription") {
				id = s.ID
			}
		}
	}
	if id == "" {
		t.Fatal("no confirmation mail in mailpit")
	}
	var msg struct{ Text, HTML string }
	m.do(http.MethodGet, "/api/v1/message/"+id, nil, &msg)
	link := confirmLinkRE.FindString(msg.Text)
	if !strings.HasPrefix(link, base+"/confirm?t=") || !strings.Contains(msg.HTML, "Confirm my subscription") {
		t.Fatalf("confirmation mail: link %q\n%s", link, msg.Text)
	}
	u, _ := url.Parse(link)
	get, err := http.Get(link)
	if err != nil {
		t.Fatal(err)
	}
	get.Body.Close()
	resp, err = http.PostForm(base+"/confirm", url.Values{"t": {u.Query().Get("t")}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if get.StatusCode != 200 || resp.StatusCode != 200 {
		t.Fatalf("confirm page %d, confirm %d", get.StatusCode, resp.StatusCode)
	}

	if code, out := m.runDigest(environ, "run"); code != exitOK {
		t.Fatalf("run: exit %d\n%s", code, outputTail(out))
	}
	if code, out := m.runDigest(environ, "run"); code != exitOK {
		t.Fatalf("second run: exit %d\n%s", code, outputTail(out))
	}
	digests := map[string]int{}
	for _, s := range m.messages() {
		if !strings.HasPrefix(s.Subject, "Confirm your subscription") {
			for _, to := range s.To {
				digests[strings.ToLower(to.Address)]++
			}
		}
	}
	if digests["new.reader@example.com"] != 1 || digests["ann@example.com"] != 1 || len(digests) != 2 {
		t.Errorf("digests received: %v, want one each for new.reader@ and ann@", digests)
	}
	t.Logf("digests received: %v", digests)
}
