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

func runExtract(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	e := &env{stdout: &out, stderr: &errb, stdin: strings.NewReader(stdin)}
	code = Main(context.Background(), e, append([]string{"extract"}, args...))
	return code, out.String(), errb.String()
}

func TestExtract(t *testing.T) {
	const story = "The ferry service to the islands resumes on Monday after a month of repairs to the pier.\n\nTickets go on sale on Saturday, and the first boat leaves at seven in the morning."
	page := `<!doctype html><html><head><meta charset="iso-8859-1"><title>Ferries return</title></head><body>
<a href="#main">Skip to content</a>
<nav><a href="/">Home</a> <a href="/news">News</a></nav>
<article id="main"><h1>Ferries return</h1>
<p>The ferry service to the islands resumes on Monday after a month of repairs to the pier.[1]</p>
<p>Advertisement</p>
<p>Tickets go on sale on Saturday, and the first boat leaves at seven in the morning.</p>
<p>Share this article</p>
</article>
<footer>Privacy | Cookie policy</footer></body></html>`
	// The page as served is Latin-1; the test adds a non-ASCII word to see it decoded.
	latin1Page := strings.Replace(page, "month of repairs", "month of repairs (caf\xe9 included)", 1)
	wantLatin1 := strings.Replace(story, "month of repairs", "month of repairs (café included)", 1)

	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=iso-8859-1")
		w.Write([]byte(latin1Page))
	}))
	defer srv.Close()

	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}

	tests := []struct {
		name     string
		stdin    string
		args     []string
		wantCode int
		want     string // stdout
		wantErr  string // in stderr
	}{
		{name: "html file", args: []string{write("ferries.html", latin1Page)}, want: wantLatin1 + "\n"},
		{name: "url", args: []string{srv.URL + "/ferries"}, want: wantLatin1 + "\n"},
		{name: "stdin html", stdin: page, args: []string{"-"}, want: story + "\n"},
		{name: "title flag", stdin: page, args: []string{"-title", "-"}, want: "Ferries return\n\n" + story + "\n"},
		{name: "markdown file", args: []string{write("ferries.md", "---\ntitle: Ferries return\n---\n# Ferries return\n\nThe ferry service *resumes* on Monday.[2]\n")}, want: "The ferry service resumes on Monday.\n"}, // the heading repeats the title
		{name: "plain text stdin", stdin: "Skip to content\n" + story + "\n\n\nAdvertisement\n", args: []string{"-"}, want: story + "\n"},
		{name: "no argument", wantCode: exitUsage, wantErr: "want one FILE"},
		{name: "missing file", args: []string{filepath.Join(dir, "nope.html")}, wantCode: exitError, wantErr: "nope.html"},
		{name: "empty input", stdin: " \n ", args: []string{"-"}, wantCode: exitUsage, wantErr: "no content"},
		{name: "bad url", args: []string{srv.URL + "\x7f"}, wantCode: exitError, wantErr: "extract"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := runExtract(t, tt.stdin, tt.args...)
			if code != tt.wantCode {
				t.Fatalf("exit code = %d, want %d (stderr %q)", code, tt.wantCode, errOut)
			}
			if tt.wantErr == "" && out != tt.want {
				t.Errorf("stdout:\n got %q\nwant %q", out, tt.want)
			}
			if tt.wantErr != "" && !strings.Contains(errOut, tt.wantErr) {
				t.Errorf("stderr = %q, want it to mention %q", errOut, tt.wantErr)
			}
		})
	}
}
