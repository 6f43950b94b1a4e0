package digest

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

func TestCleanText(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"plain", "Go 1.26 is released", "Go 1.26 is released"},
		{"empty", "", ""},
		{"right-to-left override", "Invoice \u202Egpj.exe", "Invoice gpj.exe"},
		{"all bidi controls", "a\u202Ab\u202Bc\u202Cd\u202De\u202Ef\u2066g\u2067h\u2068i\u2069j\u200Ek\u200Fl\u061Cm", "abcdefghijklm"},
		{"zero-width", "pay\u200Bpal\u200C\u200D\u2060\uFEFF", "paypal"},
		{"byte order mark first", "\uFEFFHello", "Hello"},
		{"soft hyphen", "in\u00ADvisible", "invisible"},
		{"tag characters", "Hello\U000E0049\U000E0067\U000E006E\U000E006F\U000E0072\U000E0065 world", "Hello world"},
		{"deprecated format controls", "a\u206Ab\u206Fc\uFFF9d\uFFFBe", "abcde"},
		{"NUL", "Ann\x00 Smith", "Ann Smith"},
		{"C0 controls", "a\x01b\x07c\x1bd\x7fe", "abcde"},
		{"C1 controls", "a\u0080b\u009Bc", "abc"},
		{"newlines fold", "Line one\r\nBcc: evil@example.com", "Line one Bcc: evil@example.com"},
		{"whitespace runs", "  a \t\t b\n\n\nc  ", "a b c"},
		{"unicode spaces", "a\u00A0b\u2028c\u2029d\u3000e", "a b c d e"},
		{"invalid UTF-8 dropped", "M\xfcller", "Mller"},
		{"truncated rune dropped", "caf\xc3", "caf"},
		{"only controls", "\x00\u202E\u200B", ""},
		{"keeps emoji and accents", "Café ☕ — naïve 日本語", "Café ☕ — naïve 日本語"},
		{"keeps U+FFFD that was really there", "a\uFFFDb", "a\uFFFDb"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := CleanText(tt.in); got != tt.want {
				t.Errorf("CleanText(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestShorten(t *testing.T) {
	tests := []struct {
		name string
		in   string
		max  int
		want string
	}{
		{"fits", "Go 1.26 is released", 100, "Go 1.26 is released"},
		{"exactly fits", "abcde", 5, "abcde"},
		{"word boundary", "The quick brown fox jumps", 15, "The quick…"},
		{"cut before a space", "The quick brown fox", 10, "The quick…"},
		{"one long word", "Supercalifragilistic", 8, "Superca…"},
		{"far space is ignored", "a bcdefghijklmnop", 10, "a bcdefgh…"},
		{"trailing punctuation", "Hello, world and more", 8, "Hello…"},
		{"runes not bytes", "日本語のテキストです", 5, "日本語の…"},
		{"emoji", "😀😀😀😀😀😀", 3, "😀😀…"},
		{"max one", "hello", 1, "…"},
		{"max zero", "hello", 0, ""},
		{"negative max", "hello", -3, ""},
		{"empty", "", 10, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Shorten(tt.in, tt.max)
			if got != tt.want {
				t.Errorf("Shorten(%q, %d) = %q, want %q", tt.in, tt.max, got, tt.want)
			}
		})
	}
}

func TestShortenHugeTitle(t *testing.T) {
	title := strings.Repeat("word ", 40000) // 200,000 characters
	got := Shorten(title, 200)
	if n := utf8.RuneCountInString(got); n > 200 {
		t.Errorf("got %d runes, want at most 200", n)
	}
	if !strings.HasSuffix(got, " word…") {
		t.Errorf("got %q, want it to end on a whole word and an ellipsis", got[len(got)-20:])
	}
}

func FuzzCleanText(f *testing.F) {
	for _, s := range []string{"", "Invoice \u202Egpj.exe", "a\x00b", "M\xfcller", " a \r\n b ", "\uFEFF\u200B"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := CleanText(s)
		if !utf8.ValidString(got) {
			t.Fatalf("CleanText(%q) = %q: not valid UTF-8", s, got)
		}
		for _, r := range got {
			if invisible(r) || (isSpace(r) && r != ' ') {
				t.Fatalf("CleanText(%q) = %q: keeps %U", s, got, r)
			}
		}
		if strings.Contains(got, "  ") || strings.HasPrefix(got, " ") || strings.HasSuffix(got, " ") {
			t.Fatalf("CleanText(%q) = %q: spaces not folded", s, got)
		}
		if again := CleanText(got); again != got {
			t.Fatalf("CleanText not idempotent: %q then %q", got, again)
		}
	})
}

func FuzzShorten(f *testing.F) {
	f.Add("The quick brown fox jumps", 15)
	f.Add("日本語のテキストです", 5)
	f.Add("a\xffb c", 2)
	f.Fuzz(func(t *testing.T, s string, max int) {
		if max > 1000 || max < -10 {
			return
		}
		got := Shorten(s, max)
		if utf8.ValidString(s) && !utf8.ValidString(got) {
			t.Fatalf("Shorten(%q, %d) = %q: split a rune", s, max, got)
		}
		if n := utf8.RuneCountInString(got); n > max && !(max < 1 && n == 0) {
			t.Fatalf("Shorten(%q, %d) = %q: %d runes", s, max, got, n)
		}
		if utf8.RuneCountInString(s) <= max && got != s {
			t.Fatalf("Shorten(%q, %d) = %q: changed text that fits", s, max, got)
		}
		if got != s && max >= 1 && !strings.HasSuffix(got, Ellipsis) {
			t.Fatalf("Shorten(%q, %d) = %q: no ellipsis", s, max, got)
		}
		if got != s && strings.TrimRightFunc(strings.TrimSuffix(got, Ellipsis), unicode.IsSpace) != strings.TrimSuffix(got, Ellipsis) {
			t.Fatalf("Shorten(%q, %d) = %q: space before the ellipsis", s, max, got)
		}
	})
}
