package summary

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/digest-newsletter/digest/digest"
	"github.com/digest-newsletter/digest/digest/store"
	"github.com/google/go-cmp/cmp"
)

var _ Cache = (*store.Store)(nil)

// model is an httptest server speaking the chat-completions API. Its answer
// depends on the URL path: /ok, /hallucinate-number, /hallucinate-name,
// /empty, /error, /slow, /garbage.
type model struct {
	srv      *httptest.Server
	requests atomic.Int32
	mu       sync.Mutex
	inFlight int
	peak     int
	lastReq  chatRequest
	lastAuth string
}

const goodAnswer = "Floods swept through Millbrook on Tuesday, forcing hundreds of families from their homes.\n- The river rose three metres after a week of heavy rain."

func newModel(t *testing.T) *model {
	m := &model{}
	m.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		m.requests.Add(1)
		m.mu.Lock()
		m.inFlight++
		m.peak = max(m.peak, m.inFlight)
		m.lastAuth = r.Header.Get("Authorization")
		json.NewDecoder(r.Body).Decode(&m.lastReq)
		m.mu.Unlock()
		defer func() {
			m.mu.Lock()
			m.inFlight--
			m.mu.Unlock()
		}()
		answer := ""
		switch r.URL.Path {
		case "/ok":
			time.Sleep(20 * time.Millisecond)
			answer = goodAnswer
		case "/hallucinate-number":
			answer = "Floods forced 4,000 families from their homes in Millbrook."
		case "/hallucinate-name":
			answer = "Mayor Jane Holloway said floods forced families from Millbrook."
		case "/empty":
			answer = " \n "
		case "/error":
			w.WriteHeader(http.StatusTooManyRequests)
			io.WriteString(w, `{"error":{"message":"rate limited"}}`)
			return
		case "/slow":
			select {
			case <-time.After(5 * time.Second):
			case <-r.Context().Done():
			}
			answer = goodAnswer
		case "/garbage":
			io.WriteString(w, "<html>not json</html>")
			return
		}
		json.NewEncoder(w).Encode(map[string]any{
			"choices": []any{map[string]any{"message": map[string]string{"role": "assistant", "content": answer}}},
		})
	}))
	t.Cleanup(m.srv.Close)
	return m
}

var floods = digest.Article{ID: "https://example.com/floods", Title: "Floods hit Millbrook", Text: `Floods swept through the river town of Millbrook on Tuesday, forcing hundreds of families from their homes. The river rose three metres overnight after a week of heavy rain across the valley. Officials said the flood defences built in 2010 had failed in two places.`}

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func TestLLM(t *testing.T) {
	m := newModel(t)
	fallback, _ := New(Options{}).Summarize(context.Background(), floods)
	tests := []struct {
		path string
		want []string
	}{
		{"/ok", []string{"Floods swept through Millbrook on Tuesday, forcing hundreds of families from their homes.", "The river rose three metres after a week of heavy rain."}},
		{"/hallucinate-number", fallback},
		{"/hallucinate-name", fallback},
		{"/empty", fallback},
		{"/error", fallback},
		{"/slow", fallback},
		{"/garbage", fallback},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			l := &LLM{URL: m.srv.URL + tt.path, Model: "test-model", Key: "sk-test", Timeout: 300 * time.Millisecond, Fallback: New(Options{}), Logger: quietLogger()}
			start := time.Now()
			got, err := l.Summarize(context.Background(), floods)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("blurb mismatch (-want +got):\n%s", diff)
			}
			if d := time.Since(start); d > 2*time.Second {
				t.Errorf("took %v, want the timeout to cut it short", d)
			}
		})
	}
	if m.lastAuth != "Bearer sk-test" {
		t.Errorf("Authorization = %q", m.lastAuth)
	}
	if m.lastReq.Model != "test-model" || len(m.lastReq.Messages) != 2 || !strings.Contains(m.lastReq.Messages[1].Content, "Millbrook") {
		t.Errorf("request = %+v", m.lastReq)
	}
}

func TestLLMNoFallback(t *testing.T) {
	m := newModel(t)
	l := &LLM{URL: m.srv.URL + "/hallucinate-number", Model: "m", Logger: quietLogger()}
	_, err := l.Summarize(context.Background(), floods)
	if !errors.Is(err, ErrUngrounded) {
		t.Errorf("err = %v, want ErrUngrounded", err)
	}
}

// TestLLMCache runs against the real SQLite store: the second summary of an
// article comes from the cache, an edited article is asked again, and a
// fallback blurb is never cached.
func TestLLMCache(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	m := newModel(t)
	l := &LLM{URL: m.srv.URL + "/ok", Model: "m", Cache: st, Fallback: New(Options{}), Logger: quietLogger()}
	first, err := l.Summarize(ctx, floods)
	if err != nil {
		t.Fatal(err)
	}
	second, err := l.Summarize(ctx, floods)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(first, second); diff != "" {
		t.Errorf("cached blurb differs (-first +second):\n%s", diff)
	}
	if n := m.requests.Load(); n != 1 {
		t.Errorf("%d requests for the same article, want 1", n)
	}
	edited := floods
	edited.Text += " The council met on Friday."
	if _, err := l.Summarize(ctx, edited); err != nil {
		t.Fatal(err)
	}
	if n := m.requests.Load(); n != 2 {
		t.Errorf("%d requests after an edit, want 2", n)
	}

	bad := &LLM{URL: m.srv.URL + "/error", Model: "m2", Cache: st, Fallback: New(Options{}), Logger: quietLogger()}
	if _, err := bad.Summarize(ctx, floods); err != nil {
		t.Fatal(err)
	}
	if got, err := st.LoadBlurb(ctx, CacheKey("m2", floods)); err != nil || got != nil {
		t.Errorf("fallback blurb cached: %q, %v", got, err)
	}
}

func TestLLMConcurrency(t *testing.T) {
	m := newModel(t)
	l := &LLM{URL: m.srv.URL + "/ok", Model: "m", Concurrency: 2, Fallback: New(Options{}), Logger: quietLogger()}
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			a := floods
			a.ID += string(rune('a' + i))
			if _, err := l.Summarize(context.Background(), a); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if m.peak > 2 {
		t.Errorf("%d requests in flight at once, want at most 2", m.peak)
	}
	if n := m.requests.Load(); n != 8 {
		t.Errorf("%d requests, want 8", n)
	}
}

func TestGrounded(t *testing.T) {
	article := "Apple's chief Tim Cook said sales of 1,200 units rose 3.5% in the U.S. on Tuesday. Residents queued."
	tests := []struct {
		name  string
		blurb string
		ok    bool
	}{
		{"faithful", "Tim Cook said sales rose 3.5% in the U.S.", true},
		{"number reformatted", "Apple sold 1200 units.", true},
		{"plural of a word", "Resident queues formed on Tuesday.", true},
		{"sentence opener", "However, sales rose.", true},
		{"invented number", "Sales rose 4% on Tuesday.", false},
		{"invented name", "Apple's chief Tim Smith spoke.", false},
		{"invented name opening", "Microsoft said sales rose.", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := grounded(Split(tt.blurb), article)
			if (err == nil) != tt.ok {
				t.Errorf("grounded(%q) = %v, want ok=%v", tt.blurb, err, tt.ok)
			}
		})
	}
}

func TestLLMCancelled(t *testing.T) {
	m := newModel(t)
	var buf bytes.Buffer
	l := &LLM{URL: m.srv.URL + "/slow", Model: "m", Fallback: New(Options{}), Logger: slog.New(slog.NewTextHandler(&buf, nil))}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if _, err := l.Summarize(ctx, floods); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err = %v, want the caller's deadline", err)
	}
}
