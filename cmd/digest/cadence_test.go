package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/mail"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestRunServesDailyAndWeeklyFromOneCronLine: on the weekly day one run
// sends the daily edition to daily subscribers and the week's edition to
// weekly ones, each with its own edition ID; on other days weekly
// subscribers are skipped.
func TestRunServesDailyAndWeeklyFromOneCronLine(t *testing.T) {
	now := time.Now().UTC()
	today, tomorrow := now.Weekday(), now.Add(24*time.Hour).Weekday()
	y, w := now.ISOWeek()
	week := fmt.Sprintf("%d-w%02d", y, w) // the outbox folder of 2026-W48
	for _, tt := range []struct {
		name       string
		weeklyDay  time.Weekday
		wantWeekly bool
	}{
		{"on the weekly day", today, true},
		{"on another day", tomorrow, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			list := filepath.Join(dir, "list.csv")
			os.WriteFile(list, []byte("email,name,cadence\nann@example.com,Ann,daily\nwes@example.com,Wes,weekly\n"), 0o644)
			var out bytes.Buffer
			code := Main(context.Background(), &env{stdout: &out, stderr: &out, stdin: strings.NewReader(""), environ: []string{
				"DIGEST_SOURCES=../../examples/sources.txt",
				"DIGEST_SUBSCRIBERS=" + list,
				"DIGEST_STATE=" + filepath.Join(dir, "digest.db"),
				"DIGEST_OUTBOX=" + filepath.Join(dir, "outbox"),
				"DIGEST_TIMEZONE=UTC",
				"DIGEST_WEEKLY_DAY=" + tt.weeklyDay.String(),
			}}, []string{"run"})
			if code != 0 {
				t.Fatalf("exit %d:\n%s", code, out.String())
			}
			daily := filepath.Join(dir, "outbox", now.Format(time.DateOnly), "ann@example.com.eml")
			weekly := filepath.Join(dir, "outbox", week, "wes@example.com.eml")
			if _, err := os.Stat(daily); err != nil {
				t.Errorf("daily subscriber: %v", err)
			}
			_, err := os.Stat(weekly)
			if got := err == nil; got != tt.wantWeekly {
				t.Errorf("weekly message written = %v, want %v\n%s", got, tt.wantWeekly, out.String())
			}
			if _, err := os.Stat(filepath.Join(dir, "outbox", now.Format(time.DateOnly), "wes@example.com.eml")); err == nil {
				t.Error("the weekly subscriber got the daily edition")
			}
			if !tt.wantWeekly {
				return
			}
			// The weekly message is named by its week, not by the day it
			// was sent (issue 14).
			subject, body, _ := readEML(t, weekly)
			wantWeek := fmt.Sprintf("Week %d (", w)
			if !strings.Contains(subject, wantWeek) || strings.Contains(subject, now.Format("2 January 2006")) {
				t.Errorf("weekly subject %q, want it to name %q and not today", subject, wantWeek)
			}
			if !strings.Contains(body, wantWeek) {
				t.Errorf("weekly message's text does not name %q", wantWeek)
			}
		})
	}
}

// readEML returns the decoded subject, the text part and the HTML part of
// an .eml file.
func readEML(t *testing.T, path string) (subject, text, html string) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	m, err := mail.ReadMessage(f)
	if err != nil {
		t.Fatal(err)
	}
	subject, err = new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject"))
	if err != nil {
		t.Fatal(err)
	}
	_, params, err := mime.ParseMediaType(m.Header.Get("Content-Type"))
	if err != nil {
		t.Fatal(err)
	}
	mr := multipart.NewReader(m.Body, params["boundary"])
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			return subject, text, html
		}
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		b, err := io.ReadAll(p) // quoted-printable is decoded by the reader
		if err != nil {
			t.Fatal(err)
		}
		switch ct := p.Header.Get("Content-Type"); {
		case strings.HasPrefix(ct, "text/plain"):
			text = string(b)
		case strings.HasPrefix(ct, "text/html"):
			html = string(b)
		}
	}
}
