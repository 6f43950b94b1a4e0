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
	page, err := extract.Any(in.Body, in.Name, in.ContentType)
	if errors.Is(err, extract.ErrNoContent) {
		return page, in.Name, &digest.InputError{File: in.Name, Err: err}
	}
	if err != nil {
		return page, in.Name, fmt.Errorf("%s: %w", in.Name, err)
	}
	return page, in.Name, nil
}

func looksHTML(b []byte) bool {
	head := bytes.ToLower(bytes.TrimSpace(b[:min(len(b), 512)]))
	return bytes.HasPrefix(head, []byte("<!doctype html")) || bytes.HasPrefix(head, []byte("<html")) || bytes.Contains(head, []byte("<body"))
}

// userAgent names the project in every request it makes.
const userAgent = "digest/1.0 (+https://github.com/digest-newsletter/digest)"
