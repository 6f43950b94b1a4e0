package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/digest-newsletter/digest/digest"
	"github.com/digest-newsletter/digest/digest/extract"
)

// maxInput caps what extract and summarize read from a file, URL or stdin.
const maxInput = 10 << 20

// input is one document given on the command line.
type input struct {
	Name        string // file path, URL or "-"
	ContentType string // from the server, or guessed from the name ("" if unknown)
	Body        []byte
}

// readInput reads FILE, URL or - (standard input) for the extract and
// summarize commands.
func readInput(ctx context.Context, e *env, arg string) (*input, error) {
	if rest, ok := strings.CutPrefix(arg, "page:"); ok {
		// As in the sources list: page:URL is a web page to read whole.
		if !strings.HasPrefix(rest, "http://") && !strings.HasPrefix(rest, "https://") {
			return nil, usageError{fmt.Errorf("page %q is not an http or https URL", rest)}
		}
		arg = rest
	}
	switch {
	case arg == "-":
		b, err := readCapped(e.stdin, "-")
		return &input{Name: "-", Body: b}, err
	case strings.HasPrefix(arg, "http://") || strings.HasPrefix(arg, "https://"):
		ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, arg, nil)
		if err != nil {
			return nil, err
		}
		req.Header.Set("User-Agent", userAgent)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return nil, fmt.Errorf("fetch %s: %w", arg, err)
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return nil, fmt.Errorf("fetch %s: %s", arg, resp.Status)
		}
		b, err := readCapped(resp.Body, arg)
		return &input{Name: arg, ContentType: resp.Header.Get("Content-Type"), Body: b}, err
	default:
		f, err := os.Open(arg)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		b, err := readCapped(f, arg)
		if err != nil {
			return nil, err
		}
		ct := ""
		switch strings.ToLower(filepath.Ext(arg)) {
		case ".html", ".htm":
			ct = "text/html"
		case ".md", ".markdown":
			ct = "text/markdown"
		case ".txt":
			ct = "text/plain"
		}
		if ct == "" && looksHTML(b) {
			ct = "text/html"
		}
		return &input{Name: arg, ContentType: ct, Body: b}, nil
	}
}

// readCapped reads r whole, refusing more than maxInput bytes rather than
// cutting the document short.
func readCapped(r io.Reader, name string) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, maxInput+1))
	if err != nil {
		return nil, err
	}
	if len(b) > maxInput {
		return nil, fmt.Errorf("%s: larger than %d MiB", name, maxInput>>20)
	}
	return b, nil
}

// readPage reads FILE, URL or - and returns its clean main text, as the
// summarizer sees it. A document with no text is an input error.
func readPage(ctx context.Context, e *env, arg string) (extract.Page, string, error) {
	in, err := readInput(ctx, e, arg)
	if err != nil {
		return extract.Page{}, arg, err
	}
	if kind := feedKind(in.Body, in.ContentType); kind != "" {
		return extract.Page{}, in.Name, &digest.InputError{File: in.Name,
			Err: fmt.Errorf("is a feed (%s), not an article: give one of its articles' URLs, or list the feed in the sources file", kind)}
	}
	page, err := extract.Any(in.Body, in.Name, in.ContentType)
	if errors.Is(err, extract.ErrNoContent) {
		return page, in.Name, &digest.InputError{File: in.Name, Err: err}
	}
	if err != nil {
		return page, in.Name, fmt.Errorf("%s: %w", in.Name, err)
	}
	return page, in.Name, nil
}

// feedKind names the kind of feed b is (RSS, Atom, RSS 1.0 or JSON Feed),
// judged by contentType or by the document's first element, or returns ""
// for anything else.
func feedKind(b []byte, contentType string) string {
	ct := strings.ToLower(contentType)
	switch {
	case strings.Contains(ct, "rss+xml"):
		return "RSS"
	case strings.Contains(ct, "atom+xml"):
		return "Atom"
	case strings.Contains(ct, "feed+json"):
		return "JSON Feed"
	}
	head := bytes.TrimPrefix(b[:min(len(b), 4096)], []byte("\xef\xbb\xbf"))
	head = bytes.TrimSpace(head)
	if bytes.HasPrefix(head, []byte("{")) {
		if bytes.Contains(head, []byte("jsonfeed.org/version")) {
			return "JSON Feed"
		}
		return ""
	}
	// Skip the XML declaration, comments and processing instructions.
	for {
		switch {
		case bytes.HasPrefix(head, []byte("<?")):
			i := bytes.Index(head, []byte("?>"))
			if i < 0 {
				return ""
			}
			head = bytes.TrimSpace(head[i+2:])
			continue
		case bytes.HasPrefix(head, []byte("<!--")):
			i := bytes.Index(head, []byte("-->"))
			if i < 0 {
				return ""
			}
			head = bytes.TrimSpace(head[i+3:])
			continue
		}
		break
	}
	for prefix, kind := range map[string]string{"<rss": "RSS", "<feed": "Atom", "<rdf:RDF": "RSS 1.0"} {
		if bytes.HasPrefix(head, []byte(prefix)) && len(head) > len(prefix) && strings.ContainsRune(" \t\r\n>", rune(head[len(prefix)])) {
			return kind
		}
	}
	return ""
}

func looksHTML(b []byte) bool {
	head := bytes.ToLower(bytes.TrimSpace(b[:min(len(b), 512)]))
	return bytes.HasPrefix(head, []byte("<!doctype html")) || bytes.HasPrefix(head, []byte("<html")) || bytes.Contains(head, []byte("<body"))
}

// userAgent names the project in every request it makes.
const userAgent = "digest/1.0 (+https://github.com/digest-newsletter/digest)"
