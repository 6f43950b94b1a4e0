package render

import (
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/digest-newsletter/digest/digest"
	"github.com/digest-newsletter/digest/templates"
)

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

func TestPreviewHandler(t *testing.T) {
	dir := t.TempDir()
	subjectFile := filepath.Join(dir, templates.Subject)
	write := func(src string, mtime time.Time) {
		t.Helper()
		if err := os.WriteFile(subjectFile, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		// Set the time explicitly: two writes within the file system's
		// time granularity must still count as a change.
		if err := os.Chtimes(subjectFile, mtime, mtime); err != nil {
			t.Fatal(err)
		}
	}
	write("First {{ .Subscriber.Name }}", clock)
	var loads atomic.Int32
	load := func() (*Renderer, error) {
		loads.Add(1)
		return New(Options{Dir: dir, Name: "The Digest", Now: func() time.Time { return clock }})
	}
	subs := []digest.Subscriber{
		{Email: "ada@example.org", Name: "Ada"},
		{Email: "bob@example.org", Name: "Bob <b>"},
	}
	srv := httptest.NewServer(PreviewHandler(load, testEdition(3), subs, dir, nil, nil, nil))
	defer srv.Close()

	code, page := get(t, srv.URL+"/")
	if code != http.StatusOK {
		t.Fatalf("GET /: %d\n%s", code, page)
	}
	for _, want := range []string{"First Ada", `<iframe title="HTML part" sandbox src="/html?sub=0" style="width: 640px">`, "Story number 3", "bob@example.org (Bob &lt;b&gt;)", `fetch("/version"`} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}

	t.Run("pick a subscriber", func(t *testing.T) {
		_, page := get(t, srv.URL+"/?sub=1")
		if !strings.Contains(page, "First Bob &lt;b&gt;") || !strings.Contains(page, `src="/html?sub=1"`) {
			t.Errorf("page for subscriber 1 does not render as Bob:\n%s", page)
		}
		_, html := get(t, srv.URL+"/html?sub=1")
		if !strings.Contains(html, "bob@example.org") || !strings.Contains(html, "<table") {
			t.Errorf("/html?sub=1 is not Bob's HTML part")
		}
		_, byEmail := get(t, srv.URL+"/?email=BOB@example.org&w=375")
		if !strings.Contains(byEmail, "First Bob &lt;b&gt;") || !strings.Contains(byEmail, `style="width: 375px"`) {
			t.Errorf("?email=BOB@example.org&w=375 does not render as Bob at 375 px")
		}
		_, text := get(t, srv.URL+"/text?sub=1")
		if !strings.Contains(text, "You receive The Digest at bob@example.org.") {
			t.Errorf("/text?sub=1 is not Bob's text part:\n%s", text)
		}
	})

	_, v1 := get(t, srv.URL+"/version")
	_, again := get(t, srv.URL+"/version")
	if v1 != again {
		t.Errorf("version changed from %q to %q with no file change", v1, again)
	}
	loadsBefore := loads.Load()

	t.Run("reload on change", func(t *testing.T) {
		write("Second {{ .Subscriber.Name }}", clock.Add(time.Second))
		_, v2 := get(t, srv.URL+"/version")
		if v2 == v1 {
			t.Fatalf("version still %q after the template changed", v2)
		}
		if n := loads.Load() - loadsBefore; n != 1 {
			t.Errorf("load called %d times after one change, want once", n)
		}
		_, page := get(t, srv.URL+"/")
		if !strings.Contains(page, "Second Ada") || !strings.Contains(page, `data-version="`+v2+`"`) {
			t.Errorf("page not re-rendered with the new template")
		}
	})

	t.Run("template error shown", func(t *testing.T) {
		write("Broken {{ .Nope }", clock.Add(2*time.Second))
		_, page := get(t, srv.URL+"/")
		if !strings.Contains(page, `class="error"`) || !strings.Contains(page, subjectFile+":1:") {
			t.Errorf("page does not show the template error with its place:\n%s", page)
		}
		code, _ := get(t, srv.URL+"/html")
		if code != http.StatusInternalServerError {
			t.Errorf("/html with a broken template: %d, want 500", code)
		}
		// Deleting the file falls back to the default subject.
		if err := os.Remove(subjectFile); err != nil {
			t.Fatal(err)
		}
		_, page = get(t, srv.URL+"/")
		if !strings.Contains(page, "The Digest — 29 November 2026: Story number 1") {
			t.Errorf("page does not fall back to the default subject:\n%.600s", page)
		}
	})
}

func TestWritePreview(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "preview")
	c := &digest.Compiled{Subject: digest.Plain("S"), Text: digest.Plain("T\n"), HTML: digest.Plain("<p>H</p>")}
	if err := WritePreview(dir, c); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{"index.html": "<p>H</p>", "message.txt": "T\n", "subject.txt": "S\n"} {
		got, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != want {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
}
