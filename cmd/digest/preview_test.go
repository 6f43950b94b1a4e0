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
	"testing"
	"time"

	"github.com/digest-newsletter/digest/digest/subscriber"
)

// TestPreviewAsIsTheMessageTheRunSends: preview --as a topic subscriber far
// down a long list writes the subject, text and HTML the run mails them,
// byte for byte; and on the weekly day a weekly subscriber's preview is the
// weekly edition (issue 14).
func TestPreviewAsIsTheMessageTheRunSends(t *testing.T) {
	dir := t.TempDir()
	var list bytes.Buffer
	if err := subscriber.Generate(&list, 1500); err != nil {
		t.Fatal(err)
	}
	list.WriteString("sky@example.com,Sky,active,space;food,daily,UTC,\nwes@example.com,Wes,active,,weekly,UTC,\n")
	os.WriteFile(filepath.Join(dir, "list.csv"), list.Bytes(), 0o644)
	environ := []string{
		"DIGEST_SOURCES=../../examples/sources.txt",
		"DIGEST_SUBSCRIBERS=" + filepath.Join(dir, "list.csv"),
		"DIGEST_STATE=" + filepath.Join(dir, "digest.db"),
		"DIGEST_OUTBOX=" + filepath.Join(dir, "outbox"),
		"DIGEST_TIMEZONE=UTC",
		"DIGEST_WEEKLY_DAY=" + time.Now().UTC().Weekday().String(),
	}
	digest := func(args ...string) string {
		t.Helper()
		var out bytes.Buffer
		code := Main(context.Background(), &env{stdout: &out, stderr: &out, stdin: strings.NewReader(""), environ: environ}, args)
		if code != 0 {
			t.Fatalf("digest %v: exit %d:\n%s", args, code, out.String())
		}
		return out.String()
	}
	today := time.Now().UTC().Format(time.DateOnly)
	y, w := time.Now().UTC().ISOWeek()
	week := fmt.Sprintf("%d-W%02d", y, w)
	before := digest("preview", "--as", "sky@example.com", "--out", filepath.Join(dir, "before"))
	if !strings.Contains(before, "(2 of 11 items, topics space, food) as sky@example.com") {
		t.Errorf("preview --as sky: %s", before)
	}
	before = digest("preview", "--as", "wes@example.com", "--out", filepath.Join(dir, "wesbefore"))
	if !strings.Contains(before, "edition "+week+" (11 items) as wes@example.com") {
		t.Errorf("preview --as wes on the weekly day, before the run: %s", before)
	}
	digest("run", "--quiet")
	out := digest("preview", "--as", "sky@example.com", "--out", filepath.Join(dir, "sky"))
	if !strings.Contains(out, "edition "+today+" (2 of 11 items, topics space, food) as sky@example.com") {
		t.Errorf("preview --as sky after the run: %s", out)
	}
	out = digest("preview", "--as", "wes@example.com", "--out", filepath.Join(dir, "wes"))
	if !strings.Contains(out, "edition "+week+" (11 items) as wes@example.com") {
		t.Errorf("preview --as wes on the weekly day: %s", out)
	}
	for _, tt := range []struct{ preview, eml string }{
		{"before", filepath.Join("outbox", today, "sky@example.com.eml")},
		{"sky", filepath.Join("outbox", today, "sky@example.com.eml")},
		{"wes", filepath.Join("outbox", strings.ToLower(week), "wes@example.com.eml")},
		{"wesbefore", filepath.Join("outbox", strings.ToLower(week), "wes@example.com.eml")},
	} {
		subject, text, html := readEML(t, filepath.Join(dir, tt.eml))
		for _, part := range []struct{ file, sent string }{
			{"subject.txt", subject + "\n"}, {"message.txt", text}, {"index.html", html},
		} {
			b, err := os.ReadFile(filepath.Join(dir, tt.preview, part.file))
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.ReplaceAll(part.sent, "\r\n", "\n"); string(b) != got {
				t.Errorf("%s/%s differs from what %s holds:\npreview:\n%.600s\nsent:\n%.600s", tt.preview, part.file, tt.eml, b, got)
			}
		}
	}
}

// TestPreviewServeShowsEachSubscribersMessage: the --serve picker renders
// each subscriber's own message, also of one typed in from past the rows it
// lists, and says so when a run sends them none (issue 14).
func TestPreviewServeShowsEachSubscribersMessage(t *testing.T) {
	dir := t.TempDir()
	var list bytes.Buffer
	list.WriteString("email,name,status,topics,cadence,timezone,company\nall@example.com,All,,,,,\nsky@example.com,Sky,,space;food,,,\numa@example.com,Uma,unsubscribed,,,,\n")
	if err := subscriber.Generate(&list, 1200); err != nil {
		t.Fatal(err)
	}
	list.WriteString("far@example.com,Far,,space;food,,,\n")
	os.WriteFile(filepath.Join(dir, "list.csv"), bytes.Replace(list.Bytes(), []byte("\nemail,name,status,topics,cadence,timezone,company\n"), []byte("\n"), 1), 0o644)
	var stdout lockedBuffer
	e := &env{stdout: &stdout, stderr: &stdout, stdin: strings.NewReader(""), environ: []string{
		"DIGEST_SOURCES=../../examples/sources.txt",
		"DIGEST_SUBSCRIBERS=" + filepath.Join(dir, "list.csv"),
		"DIGEST_STATE=" + filepath.Join(dir, "digest.db"),
		"DIGEST_EDITION=2026-11-29",
		"DIGEST_TIMEZONE=UTC",
	}}
	ctx, cancel := context.WithCancel(t.Context())
	exit := make(chan int, 1)
	go func() { exit <- Main(ctx, e, []string{"preview", "--serve", "127.0.0.1:0"}) }()
	defer func() { cancel(); <-exit }()
	var base string
	for deadline := time.Now().Add(10 * time.Second); base == "" && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if _, rest, ok := strings.Cut(stdout.String(), " on http://"); ok {
			base = "http://" + strings.Fields(rest)[0]
		}
	}
	if base == "" {
		t.Fatalf("preview --serve did not start:\n%s", stdout.String())
	}
	get := func(path string) string {
		t.Helper()
		resp, err := http.Get(strings.TrimSuffix(base, "/") + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
	if text := get("/text?sub=1"); !strings.Contains(text, "Reading the Air of Distant Worlds") || strings.Contains(text, "Winter Tyres") {
		t.Errorf("Sky's text part is not their two stories:\n%s", text)
	}
	if text := get("/text?sub=0"); !strings.Contains(text, "Winter Tyres") {
		t.Errorf("All's text part lacks the first story:\n%s", text)
	}
	if page := get("/?sub=2"); !strings.Contains(page, "a run sends uma@example.com nothing: their status is unsubscribed") {
		t.Errorf("the page for Uma does not say a run sends her nothing:\n%.2000s", page)
	}
	page := get("/?email=FAR@example.com")
	if !strings.Contains(page, `src="/html?email=far%40example.com"`) || !strings.Contains(page, "Hello Far,") {
		t.Errorf("the page for far@example.com, row 1204, is not theirs:\n%.3000s", page)
	}
	if text := get("/text?email=far@example.com"); !strings.Contains(text, "Hello Far,") || strings.Contains(text, "Winter Tyres") {
		t.Errorf("far@example.com's text part is not their two stories:\n%s", text)
	}
	if page := get("/?email=nobody@example.com"); !strings.Contains(page, "nobody@example.com is neither in") || strings.Contains(page, "Hello All") {
		t.Errorf("an address not in the list is not said to be so:\n%.2000s", page)
	}
}
