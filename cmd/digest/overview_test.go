package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestOverviewNamesTheSubscribersOwnStories: a subscriber with topics
// reads, in the "in this issue" line and the inbox preheader, the stories
// their message holds, not the edition's first three (issue 14).
func TestOverviewNamesTheSubscribersOwnStories(t *testing.T) {
	dir := t.TempDir()
	list := filepath.Join(dir, "list.csv")
	os.WriteFile(list, []byte("email,name,topics\nall@example.com,All,\nsky@example.com,Sky,space;food\n"), 0o644)
	var out bytes.Buffer
	code := Main(context.Background(), &env{stdout: &out, stderr: &out, stdin: strings.NewReader(""), environ: []string{
		"DIGEST_SOURCES=../../examples/sources.txt",
		"DIGEST_SUBSCRIBERS=" + list,
		"DIGEST_STATE=" + filepath.Join(dir, "digest.db"),
		"DIGEST_OUTBOX=" + filepath.Join(dir, "outbox"),
		"DIGEST_EDITION=2026-11-29",
		"DIGEST_TIMEZONE=UTC",
	}}, []string{"run"})
	if code != 0 {
		t.Fatalf("exit %d:\n%s", code, out.String())
	}
	const own = "In this issue: Reading the Air of Distant Worlds; and Keeping a Sourdough Starter Alive Through Winter."
	_, text, html := readEML(t, filepath.Join(dir, "outbox", "2026-11-29", "sky@example.com.eml"))
	text = strings.Join(strings.Fields(text), " ") // unwrapped
	if !strings.Contains(text, own) {
		t.Errorf("the topic subscriber's text does not say %q:\n%s", own, text)
	}
	if !strings.Contains(html, `opacity: 0;">`+own) && !strings.Contains(html, `opacity:0">`+own) {
		t.Errorf("the topic subscriber's preheader is not %q", own)
	}
	if strings.Contains(text, "more stories") || strings.Contains(html, "Winter Tyres") {
		t.Errorf("the topic subscriber's message names stories they do not get:\n%s", text)
	}
	_, text, _ = readEML(t, filepath.Join(dir, "outbox", "2026-11-29", "all@example.com.eml"))
	text = strings.Join(strings.Fields(text), " ")
	if !strings.Contains(text, "In this issue: Winter Tyres for Commuters: Are Studs Worth It?; Reading the Air of Distant Worlds; The New Canal Towpath Link Opens Next Month; and 8 more stories.") {
		t.Errorf("the whole edition's overview changed:\n%s", text)
	}
}
