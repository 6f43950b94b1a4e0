package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"io/fs"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/http"
	"net/http/httptest"
	"net/mail"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
)

// pageOf returns an article page whose every sentence says word, so that
// any blurb made from it says it too.
func pageOf(title, word string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "<!doctype html><html><head><title>%s</title></head><body><article><h1>%s</h1>", title, title)
	for i := range 6 {
		fmt.Fprintf(&b, "<p>Paragraph %d of this page is about %s, and it says %s again in a sentence long enough to be kept by the extractor.</p>", i, word, word)
	}
	b.WriteString("</article></body></html>")
	return b.String()
}

// messageText returns the decoded text of every part of the .eml files
// under dir.
func messageText(t *testing.T, dir string) string {
	t.Helper()
	var all strings.Builder
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".eml") {
			return err
		}
		raw, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		msg, err := mail.ReadMessage(bytes.NewReader(raw))
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		all.WriteString(msg.Header.Get("Subject") + "\n")
		_, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		parts := multipart.NewReader(msg.Body, params["boundary"])
		for {
			p, err := parts.NextRawPart()
			if err == io.EOF {
				break
			}
			if err != nil {
				return fmt.Errorf("%s: %w", path, err)
			}
			var r io.Reader = p
			if strings.EqualFold(p.Header.Get("Content-Transfer-Encoding"), "quoted-printable") {
				r = quotedprintable.NewReader(p)
			}
			b, err := io.ReadAll(r)
			if err != nil {
				return fmt.Errorf("%s: %w", path, err)
			}
			all.Write(b)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return all.String()
}

// TestRunInternalAddresses runs digest on an intranet feed (on loopback,
// as the operator wrote it) with the fulltext option: its own page is
// read and mailed, while its links to another loopback port and to the
// cloud metadata address are refused. No message carries the internal
// page's text, and the run's warnings name each refused address.
func TestRunInternalAddresses(t *testing.T) {
	const secret = "hunter2secret"
	var secretHits atomic.Int32
	internal := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		secretHits.Add(1)
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprint(w, pageOf("Admin", secret))
	}))
	defer internal.Close()
	var intranet *httptest.Server
	intranet = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/feed.xml":
			w.Header().Set("Content-Type", "application/rss+xml")
			fmt.Fprintf(w, `<?xml version="1.0"?><rss version="2.0"><channel><title>Intranet</title><link>%[1]s/</link><description>d</description>
<item><title>Roadmap</title><link>%[1]s/roadmap</link><pubDate>Sat, 28 Nov 2026 08:00:00 +0000</pubDate><description>Teaser one.</description></item>
<item><title>Admin</title><link>%[2]s/admin</link><pubDate>Sat, 28 Nov 2026 07:00:00 +0000</pubDate><description>Teaser two.</description></item>
<item><title>Metadata</title><link>http://169.254.169.254/latest/meta-data/</link><pubDate>Sat, 28 Nov 2026 06:00:00 +0000</pubDate><description>Teaser three.</description></item>
<item><title>Moved</title><link>%[1]s/moved</link><pubDate>Sat, 28 Nov 2026 05:00:00 +0000</pubDate><description>Teaser four.</description></item>
</channel></rss>`, intranet.URL, internal.URL)
		case "/moved":
			http.Redirect(w, r, internal.URL+"/moved-here", http.StatusFound)
		default:
			w.Header().Set("Content-Type", "text/html")
			fmt.Fprint(w, pageOf("Roadmap", "the roadmap"))
		}
	}))
	defer intranet.Close()

	dir := t.TempDir()
	sources := filepath.Join(dir, "sources.txt")
	list := filepath.Join(dir, "list.csv")
	os.WriteFile(sources, []byte(intranet.URL+"/feed.xml fulltext name=Intranet\n"), 0o644)
	os.WriteFile(list, []byte("email,name\nann@example.com,Ann\n"), 0o644)
	var out bytes.Buffer
	code := Main(context.Background(), &env{stdout: &out, stderr: &out, stdin: strings.NewReader(""), environ: []string{
		"DIGEST_SOURCES=" + sources,
		"DIGEST_SUBSCRIBERS=" + list,
		"DIGEST_STATE=" + filepath.Join(dir, "digest.db"),
		"DIGEST_OUTBOX=" + filepath.Join(dir, "outbox"),
		"DIGEST_TIMEZONE=UTC",
		"DIGEST_EDITION=2026-11-29",
	}}, []string{"run"})
	if code != 0 {
		t.Fatalf("exit %d:\n%s", code, out.String())
	}
	text := messageText(t, filepath.Join(dir, "outbox"))
	if !strings.Contains(text, "the roadmap") {
		t.Errorf("the message lacks the intranet's own page (its fulltext):\n%s", text)
	}
	if strings.Contains(text, secret) {
		t.Errorf("the message carries the internal page's text:\n%s", text)
	}
	if got := secretHits.Load(); got != 0 {
		t.Errorf("the internal server answered %d requests, want 0", got)
	}
	internalAddr := strings.TrimPrefix(internal.URL, "http://")
	for _, want := range []string{
		"url=" + internal.URL + "/admin",
		"internal address refused: " + internalAddr,
		"redirected to " + internal.URL + "/moved-here: source: internal address refused: " + internalAddr,
		"internal address refused: 169.254.169.254:80; link-local and cloud metadata addresses are never fetched",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the run's output does not say %q:\n%s", want, out.String())
		}
	}
}
