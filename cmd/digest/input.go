package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"
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
		b, err := io.ReadAll(io.LimitReader(e.stdin, maxInput))
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
		b, err := io.ReadAll(io.LimitReader(resp.Body, maxInput))
		return &input{Name: arg, ContentType: resp.Header.Get("Content-Type"), Body: b}, err
	default:
		b, err := os.ReadFile(arg)
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

func looksHTML(b []byte) bool {
	head := bytes.ToLower(bytes.TrimSpace(b[:min(len(b), 512)]))
	return bytes.HasPrefix(head, []byte("<!doctype html")) || bytes.HasPrefix(head, []byte("<html")) || bytes.Contains(head, []byte("<body"))
}

// userAgent names the project in every request it makes.
const userAgent = "digest/1.0 (+https://github.com/digest-newsletter/digest)"
