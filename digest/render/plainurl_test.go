package render

import (
	"strings"
	"testing"
)

// plainURL escapes as the template chain it stands in for does.
func FuzzPlainURL(f *testing.F) {
	for _, s := range []string{
		"https://digest.example/unsubscribe?e=ada%40example.com&t=abc-_DEF",
		"http://x/y?a=1&b=2", "https://x/@~.:", "https://x/%zz", "https://x/a b", "javascript:alert(1)",
		"HTTPS://X/", "https://x/'\"<>+", "https://x/é", "mailto:a@b",
	} {
		f.Add(s)
	}
	probe := urlProbe()
	if probe == nil {
		f.Skip("html/template escapes URLs differently than expected")
	}
	f.Fuzz(func(t *testing.T, v string) {
		got, ok := plainURL(v)
		if !ok {
			return
		}
		var b strings.Builder
		if err := probe.Execute(&b, v); err != nil {
			t.Fatal(err)
		}
		want := strings.TrimSuffix(strings.TrimPrefix(b.String(), `<a href="`), `">`)
		if got != want {
			t.Errorf("plainURL(%q) = %q, want %q (html/template)", v, got, want)
		}
	})
}

// The links digest makes take the fast path.
func TestPlainURLTakesUnsubscribeLinks(t *testing.T) {
	u := "https://news.example.org/unsubscribe?e=ada%2Blists%40example.com&t=Qm9vbS1fX3RoaXMtaXMtYS10b2tlbg"
	got, ok := plainURL(u)
	if want := strings.ReplaceAll(u, "&", "&amp;"); !ok || got != want {
		t.Errorf("plainURL(%q) = %q, %v; want %q, true", u, got, ok, want)
	}
}
