package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestRunLogs runs digest to the outbox with each log setting, with one
// source that fails so there is a warning to show.
func TestRunLogs(t *testing.T) {
	tests := []struct {
		name string
		args []string
		// check looks at every line of stderr.
		check func(t *testing.T, lines []string)
	}{
		{name: "text", args: nil, check: func(t *testing.T, lines []string) {
			wantSome(t, lines, "level=INFO")
			wantSome(t, lines, `level=WARN msg="source failed"`)
			wantLast(t, lines, "edition [2026-11-29] via outbox: sent 4, failed 0")
		}},
		{name: "text quiet: warnings and the summary only", args: []string{"--quiet"}, check: func(t *testing.T, lines []string) {
			for _, l := range lines[:len(lines)-1] {
				if !strings.Contains(l, "level=WARN") && !strings.Contains(l, "level=ERROR") {
					t.Errorf("quiet output has a line that is neither a warning nor the summary: %q", l)
				}
			}
			wantSome(t, lines, `level=WARN msg="source failed"`)
			wantLast(t, lines, "edition [2026-11-29] via outbox: sent 4, failed 0")
		}},
		{name: "json", args: []string{"--log-format", "json"}, check: func(t *testing.T, lines []string) {
			levels := map[string]int{}
			for _, l := range lines {
				var rec struct{ Level, Msg string }
				if err := json.Unmarshal([]byte(l), &rec); err != nil {
					t.Errorf("not a JSON line: %q: %v", l, err)
				}
				levels[rec.Level]++
			}
			if levels["INFO"] < 2 || levels["WARN"] < 1 {
				t.Errorf("levels %v, want info and warning records", levels)
			}
			wantLast(t, lines, `"summary":true`)
		}},
		{name: "json quiet", args: []string{"--log-format", "json", "--quiet"}, check: func(t *testing.T, lines []string) {
			for _, l := range lines[:len(lines)-1] {
				var rec struct{ Level string }
				if err := json.Unmarshal([]byte(l), &rec); err != nil || rec.Level != "WARN" {
					t.Errorf("quiet JSON line %q: level %q, err %v; want WARN", l, rec.Level, err)
				}
			}
			wantLast(t, lines, `"msg":"edition [2026-11-29] via outbox: sent 4, failed 0`)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			sources := filepath.Join(dir, "sources.txt")
			abs, _ := filepath.Abs("../../examples")
			list := "articles\n" + "broken.xml\n"
			if err := os.CopyFS(dir, os.DirFS(abs)); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, "broken.xml"), []byte("<rss><channel><item>"), 0o644); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(sources, []byte(list), 0o644); err != nil {
				t.Fatal(err)
			}
			environ := []string{"DIGEST_SOURCES=" + sources, "DIGEST_STATE=" + filepath.Join(dir, "digest.db"),
				"DIGEST_OUTBOX=" + filepath.Join(dir, "outbox"), "DIGEST_SUBSCRIBERS=../../subscribers.example.csv",
				"DIGEST_EDITION=2026-11-29", "DIGEST_TIMEZONE=UTC"}
			var stdout, stderr bytes.Buffer
			code := Main(context.Background(), &env{stdout: &stdout, stderr: &stderr, environ: environ}, append([]string{"run"}, tt.args...))
			if code != 0 {
				t.Fatalf("exit %d:\n%s", code, stderr.String())
			}
			if stdout.Len() > 0 {
				t.Errorf("stdout: %q", stdout.String())
			}
			if strings.ContainsAny(stderr.String(), "\r\x1b") {
				t.Errorf("control characters off a terminal: %q", stderr.String())
			}
			tt.check(t, strings.Split(strings.TrimRight(stderr.String(), "\n"), "\n"))
		})
	}
}

func wantSome(t *testing.T, lines []string, sub string) {
	t.Helper()
	for _, l := range lines {
		if strings.Contains(l, sub) {
			return
		}
	}
	t.Errorf("no line contains %q:\n%s", sub, strings.Join(lines, "\n"))
}

func wantLast(t *testing.T, lines []string, sub string) {
	t.Helper()
	if !strings.Contains(lines[len(lines)-1], sub) {
		t.Errorf("last line %q, want one containing %q", lines[len(lines)-1], sub)
	}
}
