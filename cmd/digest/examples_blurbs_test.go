package main

import (
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

// TestExampleBlurbsReadWell summarizes every bundled example article and
// checks that each blurb is whole sentences: each ends with a full stop,
// question or exclamation mark, and the blurb closes every quotation and
// bracket it opens (the sourdough article's blurb once ended inside its
// opening quotation).
func TestExampleBlurbsReadWell(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(examplesDir, "articles", "*.md"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no example articles: %v", err)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			code, out, stderr := runSummarize(t, "", f)
			if code != exitOK {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			lines := strings.Split(strings.TrimSpace(out), "\n")
			for _, l := range lines {
				last, _ := utf8.DecodeLastRuneInString(strings.TrimRight(l, `"'”’)`))
				if !strings.ContainsRune(".!?", last) {
					t.Errorf("sentence does not end as one: %q", l)
				}
			}
			all := strings.Join(lines, " ")
			if strings.Count(all, `"`)%2 != 0 || strings.Count(all, "“") != strings.Count(all, "”") || strings.Count(all, "(") != strings.Count(all, ")") {
				t.Errorf("blurb leaves a quotation or bracket open:\n%s", out)
			}
		})
	}
}
