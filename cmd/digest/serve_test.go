package main

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/digest-newsletter/digest/digest/store"
	"github.com/digest-newsletter/digest/digest/web"
)

// lockedBuffer is a bytes.Buffer safe to write from Main's goroutine while
// the test reads it.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func suppressedIn(t *testing.T, path string, emails ...string) map[string]bool {
	t.Helper()
	st, err := store.OpenReadOnly(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	got, err := st.Suppressed(t.Context(), emails)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func TestUnsubscribeCommand(t *testing.T) {
	tests := []struct {
		name       string
		args       []string
		wantCode   int
		wantOut    string
		suppressed map[string]bool
	}{
		{"one address", []string{"ann@example.com"}, exitOK, "ann@example.com: suppressed\n",
			map[string]bool{"ann@example.com": true}},
		{"several, in any case, twice", []string{"Ann@Example.com", "bob@example.com", "ann@example.com"}, exitOK,
			"ann@example.com: suppressed\nbob@example.com: suppressed\nann@example.com: already suppressed\n",
			map[string]bool{"ann@example.com": true, "bob@example.com": true}},
		{"a bad address writes nothing", []string{"ann@example.com", "not-an-address"}, exitUsage, "", map[string]bool{}},
		{"a display name is refused", []string{"Ann <ann@example.com>"}, exitUsage, "", map[string]bool{}},
		{"no address", nil, exitUsage, "", map[string]bool{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			state := filepath.Join(t.TempDir(), "digest.db")
			var stdout, stderr bytes.Buffer
			e := &env{stdout: &stdout, stderr: &stderr, stdin: strings.NewReader(""), environ: []string{"DIGEST_STATE=" + state}}
			code := Main(t.Context(), e, append([]string{"unsubscribe"}, tt.args...))
			if code != tt.wantCode {
				t.Fatalf("exit code %d, want %d; stderr:\n%s", code, tt.wantCode, stderr.String())
			}
			if got := stdout.String(); got != tt.wantOut {
				t.Errorf("stdout %q, want %q", got, tt.wantOut)
			}
			if code != exitOK {
				if stderr.Len() == 0 {
					t.Errorf("exit %d with nothing on stderr", code)
				}
				if _, err := os.Stat(state); !errors.Is(err, fs.ErrNotExist) {
					t.Errorf("state file touched on a usage error: %v", err)
				}
				return
			}
			got := suppressedIn(t, state, "ann@example.com", "bob@example.com")
			if len(got) != len(tt.suppressed) {
				t.Errorf("suppressed %v, want %v", got, tt.suppressed)
			}
			for email := range tt.suppressed {
				if !got[email] {
					t.Errorf("%s not suppressed", email)
				}
			}
		})
	}
}

func TestServeCommandNeedsSecret(t *testing.T) {
	var stdout, stderr bytes.Buffer
	e := &env{stdout: &stdout, stderr: &stderr, environ: []string{"DIGEST_STATE=" + filepath.Join(t.TempDir(), "digest.db")}}
	if code := Main(t.Context(), e, []string{"serve", "--addr", "127.0.0.1:0"}); code != exitUsage {
		t.Errorf("exit code %d, want %d", code, exitUsage)
	}
	if !strings.Contains(stderr.String(), "DIGEST_SECRET") {
		t.Errorf("stderr does not name DIGEST_SECRET:\n%s", stderr.String())
	}
}

func TestServeCommand(t *testing.T) {
	state := filepath.Join(t.TempDir(), "digest.db")
	secret := "serve test secret of 32 bytes or more"
	var stdout, stderr lockedBuffer
	e := &env{stdout: &stdout, stderr: &stderr, environ: []string{
		"DIGEST_STATE=" + state,
		"DIGEST_SECRET=" + secret,
		"DIGEST_BASE_URL=https://news.example.com",
	}}
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	exit := make(chan int, 1)
	go func() { exit <- Main(ctx, e, []string{"serve", "--addr", "127.0.0.1:0"}) }()

	var base string
	for deadline := time.Now().Add(10 * time.Second); base == ""; {
		select {
		case code := <-exit:
			t.Fatalf("serve exited with %d before serving; stderr:\n%s", code, stderr.String())
		case <-time.After(20 * time.Millisecond):
		}
		if _, rest, ok := strings.Cut(stdout.String(), "serving on "); ok {
			base, _, _ = strings.Cut(rest, " ")
		}
		if time.Now().After(deadline) {
			t.Fatal("serve did not start")
		}
	}

	// A run's unsubscribe link, posted as a mail client does (RFC 8058).
	link := web.UnsubscribeURL(base, []byte(secret), "ann@example.com")
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, link, strings.NewReader("List-Unsubscribe=One-Click"))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("one-click POST: status %d, want 200", resp.StatusCode)
	}
	forged := base + "/unsubscribe?" + url.Values{"e": {"bob@example.com"}, "t": {web.Token([]byte("guess"), "bob@example.com")}}.Encode()
	resp, err = http.Post(forged, "application/x-www-form-urlencoded", strings.NewReader("List-Unsubscribe=One-Click"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("forged POST: status %d, want 403", resp.StatusCode)
	}

	cancel()
	select {
	case code := <-exit:
		if code != exitOK {
			t.Errorf("exit code after SIGINT %d, want 0; stderr:\n%s", code, stderr.String())
		}
	case <-time.After(15 * time.Second):
		t.Fatal("serve did not stop after its context was cancelled")
	}
	got := suppressedIn(t, state, "ann@example.com", "bob@example.com")
	if !got["ann@example.com"] || got["bob@example.com"] {
		t.Errorf("suppressed %v, want ann only", got)
	}
}
