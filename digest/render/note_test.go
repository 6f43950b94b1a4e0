package render

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestNote(t *testing.T) {
	tests := []struct {
		name     string
		src      string
		subject  string
		html     string // a part the HTML must contain
		text     string
		links    int
		noInHTML string
	}{
		{
			name:    "front matter",
			src:     "---\nsubject: 'Issue #100'\nauthor: me\n---\nHi **there**.\n",
			subject: "Issue #100",
			html:    "<p>Hi <strong>there</strong>.</p>",
			text:    "Hi there.",
		},
		{
			name: "no closing front matter line is text",
			src:  "---\nsubject: x\nHello",
			html: "subject: x",
		},
		{
			name:  "heading, list, quote, code",
			src:   "# News\n\nWe have:\n\n- one [thing](https://a.example/1)\n- two\n\n1. first\n2. second\n\n> quoted\n\n    code line\n",
			html:  "<h1>News</h1>",
			text:  "News\n====\n\nWe have:\n\n- one thing [1]\n\n- two\n\n1. first\n\n2. second\n\n> quoted\n\n    code line\n\n[1] https://a.example/1",
			links: 1,
		},
		{
			name:  "long paragraph wraps at 72",
			src:   strings.Repeat("word ", 30),
			text:  strings.TrimSpace(strings.Repeat("word ", 14)) + "\n" + strings.TrimSpace(strings.Repeat("word ", 14)) + "\nword word",
			html:  "<p>word word",
			links: 0,
		},
		{
			name:     "bad links are text only",
			src:      "[js](javascript:alert(1)) [rel](/x) [ok](http://b.example/)",
			text:     "js rel ok [1]\n\n[1] http://b.example/",
			links:    1,
			noInHTML: "javascript",
		},
		{
			name:     "raw HTML escaped in HTML, dropped from text",
			src:      "a <script>alert(1)</script> b\n\n<div onclick=\"x()\">block</div>\n",
			html:     "a &lt;script&gt;alert(1)&lt;/script&gt; b",
			text:     "a alert(1) b",
			noInHTML: "<script",
		},
	}
	md := newMarkdown(false)
	policy := newPolicy()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, err := renderNote(md, policy, false, tt.src, 72)
			if err != nil {
				t.Fatal(err)
			}
			if n.subject != tt.subject {
				t.Errorf("subject = %q, want %q", n.subject, tt.subject)
			}
			if !strings.Contains(string(n.html), tt.html) {
				t.Errorf("HTML lacks %q:\n%s", tt.html, n.html)
			}
			if tt.noInHTML != "" && strings.Contains(string(n.html), tt.noInHTML) {
				t.Errorf("HTML contains %q:\n%s", tt.noInHTML, n.html)
			}
			if tt.text != "" {
				if diff := cmp.Diff(tt.text, n.text); diff != "" {
					t.Errorf("text (-want +got):\n%s", diff)
				}
			}
			if n.links != tt.links {
				t.Errorf("links = %d, want %d", n.links, tt.links)
			}
		})
	}
}

func TestWrap(t *testing.T) {
	tests := []struct {
		name  string
		width int
		in    string
		want  string
	}{
		{"short", 10, "a b c", "a b c"},
		{"breaks at spaces", 10, "aaaa bbbb cccc", "aaaa bbbb\ncccc"},
		{"exact width", 9, "aaaa bbbb", "aaaa bbbb"},
		{"long word alone", 5, "x https://example.com/long y", "x\nhttps://example.com/long\ny"},
		{"keeps line breaks", 20, "one\n\ntwo  three", "one\n\ntwo three"},
		{"counts characters, not bytes", 5, "ééé ééé", "ééé\nééé"},
		{"empty", 10, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := wrap(tt.width, tt.in); got != tt.want {
				t.Errorf("wrap(%d, %q) = %q, want %q", tt.width, tt.in, got, tt.want)
			}
		})
	}
}

func FuzzWrap(f *testing.F) {
	f.Add(72, "The quick brown fox jumps over the lazy dog.\nhttps://example.com/")
	f.Add(3, "ab cd ef")
	f.Fuzz(func(t *testing.T, width int, s string) {
		if width < 1 || width > 200 {
			return
		}
		got := wrap(width, s)
		// No words lost or changed, no line too long unless one word.
		if strings.Join(strings.Fields(got), " ") != strings.Join(strings.Fields(s), " ") {
			t.Fatalf("wrap changed the words: %q → %q", s, got)
		}
		for _, l := range strings.Split(got, "\n") {
			if len([]rune(l)) > width && strings.Contains(l, " ") {
				t.Fatalf("line %q longer than %d", l, width)
			}
		}
	})
}
