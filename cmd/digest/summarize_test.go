package main

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const floodStory = `Floods swept through the river town of Millbrook on Tuesday, forcing hundreds of families from their homes.

The river rose three metres overnight after a week of heavy rain across the valley. Emergency crews used boats to rescue residents trapped on rooftops in the lower town.

"We lost everything," said one resident. Officials said the flood defences built in 2010 had failed in two places. The town council will meet on Friday to plan the clean-up of the flooded streets.

Forecasters expect more rain in the valley next week, which could bring the river up again.
`

const floodLede = "Floods swept through the river town of Millbrook on Tuesday, forcing hundreds of families from their homes."

func runSummarize(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	e := &env{stdout: &out, stderr: &errb, stdin: strings.NewReader(stdin)}
	code = Main(context.Background(), e, append([]string{"summarize"}, args...))
	return code, out.String(), errb.String()
}

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestSummarize(t *testing.T) {
	page := `<!doctype html><html><head><title>Floods hit Millbrook</title></head><body>
<nav><a href="/">Home</a> <a href="/news">News</a> <a href="/sport">Sport</a></nav>
<article><h1>Floods hit Millbrook</h1>` + "<p>" + strings.ReplaceAll(floodStory, "\n\n", "</p><p>") + `</p></article>
<footer>Copyright 2026 Millbrook Gazette. All rights reserved. Click here to subscribe to our newsletter.</footer>
</body></html>`
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write([]byte(page))
	}))
	defer srv.Close()

	tests := []struct {
		name      string
		stdin     string
		args      []string
		wantLines int // 0: from 1 to 3
	}{
		{"plain text file", "", []string{writeFile(t, "story.txt", floodStory)}, 0},
		{"standard input", floodStory, []string{"-"}, 0},
		{"markdown", "", []string{writeFile(t, "story.md", "# Floods hit Millbrook\n\n"+floodStory)}, 0},
		{"html file", "", []string{writeFile(t, "story.html", page)}, 0},
		{"url", "", []string{srv.URL + "/floods"}, 0},
		{"page:url, as in the sources list", "", []string{"page:" + srv.URL + "/floods"}, 0},
		{"one sentence", "", []string{"--sentences", "1", writeFile(t, "story.txt", floodStory)}, 1},
		{"small word budget", "", []string{"--words", "20", writeFile(t, "story.txt", floodStory)}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, stderr := runSummarize(t, tt.stdin, tt.args...)
			if code != exitOK {
				t.Fatalf("exit %d, stderr %q", code, stderr)
			}
			lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
			if tt.wantLines > 0 && len(lines) != tt.wantLines || len(lines) < 1 || len(lines) > 3 {
				t.Fatalf("got %d lines, want %d (1..3 if 0):\n%s", len(lines), tt.wantLines, out)
			}
			if lines[0] != floodLede {
				t.Errorf("first line = %q, want the lede %q", lines[0], floodLede)
			}
			for _, l := range lines {
				if !strings.Contains(strings.Join(strings.Fields(floodStory), " "), l) {
					t.Errorf("line %q is not a sentence of the story", l)
				}
			}
		})
	}
}

func TestSummarizeErrors(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		wantCode int
	}{
		{"no argument", nil, exitUsage},
		{"two arguments", []string{"a", "b"}, exitUsage},
		{"negative words", []string{"--words", "-1", "-"}, exitUsage},
		{"missing file", []string{filepath.Join(t.TempDir(), "none.txt")}, exitError},
		{"empty file", []string{writeFile(t, "empty.txt", "  \n")}, exitUsage},
		{"page: without a URL", []string{"page:story.html"}, exitUsage},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, stderr := runSummarize(t, "", tt.args...)
			if code != tt.wantCode {
				t.Errorf("exit %d, want %d (stdout %q, stderr %q)", code, tt.wantCode, out, stderr)
			}
			if stderr == "" {
				t.Error("no error message")
			}
		})
	}
}

// TestSummarizeFeed checks that a feed given to summarize is refused with
// a message that says what it is and what to do, rather than summarized as
// text with tags in it.
func TestSummarizeFeed(t *testing.T) {
	tests := []struct{ name, file, content, kind string }{
		{"rss", "news.xml", "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!-- generated -->\n<rss version=\"2.0\"><channel><title>Millbrook Gazette</title><item><title>Floods hit Millbrook</title><description>Floods swept through the river town of Millbrook on Tuesday.</description></item></channel></rss>\n", "RSS"},
		{"atom", "news.atom", "<feed xmlns=\"http://www.w3.org/2005/Atom\"><title>Millbrook Gazette</title><entry><title>Floods hit Millbrook</title><content>Floods swept through the town.</content></entry></feed>", "Atom"},
		{"json feed", "feed.json", `{"version": "https://jsonfeed.org/version/1.1", "title": "Millbrook Gazette", "items": [{"id": "1", "content_text": "Floods swept through the town."}]}`, "JSON Feed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, stderr := runSummarize(t, "", writeFile(t, tt.file, tt.content))
			if code != exitUsage {
				t.Errorf("exit %d, want %d (stdout %q)", code, exitUsage, out)
			}
			if !strings.Contains(stderr, tt.file) || !strings.Contains(stderr, "is a feed ("+tt.kind+")") {
				t.Errorf("stderr = %q, want the file named as a feed (%s)", stderr, tt.kind)
			}
			if out != "" {
				t.Errorf("stdout = %q, want nothing", out)
			}
		})
	}
}

// TestSummarizeHidesNothing checks that the summary printed carries no
// control, bidi or zero-width character of the page, as an edition would
// not: a terminal escape in a page does not reach the terminal. (Reading
// the page already drops them; summarize's CleanBlurb is a second guard,
// for summarizers that do not.)
func TestSummarizeHidesNothing(t *testing.T) {
	story := strings.Replace(floodStory, "Floods swept", "\x1b[2J\x1b[31mFloods\u202E swept\u200B", 1)
	code, out, stderr := runSummarize(t, "", writeFile(t, "story.txt", story))
	if code != exitOK {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	if strings.ContainsAny(out, "\x1b\u202E\u200B") {
		t.Errorf("summary carries a hidden character: %q", out)
	}
	if first, _, _ := strings.Cut(out, "\n"); first != "[2J[31m"+floodLede {
		t.Errorf("first line %q, want the lede with only the visible part of the escapes", first)
	}
}
