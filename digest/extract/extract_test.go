package extract

import (
	"bytes"
	"compress/gzip"
	"errors"
	"flag"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite the testdata/*.golden files")

// TestHTMLGolden extracts each testdata/*.html page and compares its title
// and text with testdata/*.golden.
func TestHTMLGolden(t *testing.T) {
	pages, err := filepath.Glob("testdata/*.html")
	if err != nil {
		t.Fatal(err)
	}
	if len(pages) == 0 {
		t.Fatal("no testdata/*.html")
	}
	for _, name := range pages {
		t.Run(filepath.Base(name), func(t *testing.T) {
			f, err := os.Open(name)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			page, err := HTML(f, &url.URL{Scheme: "https", Host: "example.com", Path: "/news/story"}, "")
			if err != nil {
				t.Fatalf("HTML: %v", err)
			}
			got := "Title: " + page.Title + "\n\n" + page.Text + "\n"
			golden := strings.TrimSuffix(name, ".html") + ".golden"
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if diff := cmp.Diff(string(want), got); diff != "" {
				t.Errorf("text of %s differs from %s (-want +got):\n%s", name, golden, diff)
			}
		})
	}
}

func TestHTMLArticle(t *testing.T) {
	f, err := os.Open("testdata/article.html")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	page, err := HTML(f, nil, "text/html")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := page.SiteName, "Coastal Times"; got != want {
		t.Errorf("SiteName = %q, want %q", got, want)
	}
	if got, want := page.Lang, "en"; got != want {
		t.Errorf("Lang = %q, want %q", got, want)
	}
	if want := time.Date(2026, 11, 20, 8, 30, 0, 0, time.UTC); !page.Published.Equal(want) {
		t.Errorf("Published = %v, want %v", page.Published, want)
	}
	for _, want := range []string{
		"reopened on Friday to fishing boats and ferries.",
		"cost €14 million",
		"“We lost a whole season,” said João Silva",
		"What changed",
		"A deeper channel for the ferries.",
		"spring & summer season, when the town's population doubles.",
	} {
		if !strings.Contains(page.Text, want) {
			t.Errorf("text lacks %q:\n%s", want, page.Text)
		}
	}
	for _, bad := range []string{
		"Skip to content", "cookies", "Share on", "Advertisement", "Subscribe",
		"[1]", "[2]", "[3]", "Photo: Rui Costa", "Storm damage tallied", "All rights reserved", "Trending", "winter market", "Updated 20 Nov", "&",
	} {
		if bad == "&" {
			if regexp.MustCompile(`&[a-z#0-9]+;`).MatchString(page.Text) {
				t.Errorf("text holds an entity:\n%s", page.Text)
			}
			continue
		}
		if strings.Contains(page.Text, bad) {
			t.Errorf("text holds %q:\n%s", bad, page.Text)
		}
	}
	if !strings.Contains(page.Text, "ferries. The town council") {
		t.Errorf("sentences of one paragraph are split:\n%s", page.Text)
	}
	if !strings.Contains(page.Text, "regional fund.\n\nFishermen") {
		t.Errorf("paragraphs are not separated by a blank line:\n%s", page.Text)
	}
}

// TestCharset checks that pages in ISO-8859-1 and Windows-1252 decode,
// whether the charset is declared in a header, in a <meta> tag, or not at all.
func TestCharset(t *testing.T) {
	para := func(s string) string {
		return "<html><body><article><p>" + s + " " + strings.Repeat("Filler words make a paragraph long enough to be an article. ", 8) + "</p></article></body></html>"
	}
	tests := []struct {
		name        string
		page        []byte
		contentType string
		want        string
	}{
		{"latin1 in header", latin1(para("Le café est à côté.")), "text/html; charset=ISO-8859-1", "Le café est à côté."},
		{"latin1 in meta", append(latin1(`<meta charset="iso-8859-1">`), latin1(para("Le café est à côté."))...), "", "Le café est à côté."},
		{"latin1 in meta after 1 KiB", append(latin1(`<head><title>t</title>`+strings.Repeat("<!-- padding -->", 100)+`<meta http-equiv="content-type" content="text/html; charset=latin1"></head>`), latin1(para("Le café est à côté."))...), "", "Le café est à côté."},
		{"latin1 undeclared", latin1(para("Le café est à côté.")), "", "Le café est à côté."},
		{"windows-1252 smart quotes undeclared", []byte(para("\x93It\x92s here,\x94 she said \x96 twice\x85")), "", "“It’s here,” she said – twice…"},
		{"windows-1252 declared as iso-8859-1", []byte(para("\x93Quoted\x94 text")), "text/html; charset=iso-8859-1", "“Quoted” text"},
		{"utf-8 undeclared, ascii first KiB", []byte("<!-- " + strings.Repeat("x", 2000) + " -->" + para("Ça va très bien, “merci”.")), "", "Ça va très bien, “merci”."},
		{"windows-1252 mislabelled utf-8 in header", []byte(para("\x93Caf\xe9\x94 au lait")), "text/html; charset=utf-8", "“Café” au lait"},
		{"windows-1252 mislabelled utf-8 in meta", append([]byte(`<meta charset="utf-8">`), para("\x93Caf\xe9\x94 au lait")...), "", "“Café” au lait"},
		{"utf-8 mislabelled latin1", []byte(para("Ça va très bien.")), "text/html; charset=iso-8859-1", "Ça va très bien."},
		{"utf-8 bom", append([]byte("\xef\xbb\xbf"), para("Olá, mundo.")...), "", "Olá, mundo."},
		{"utf-16 bom", utf16LE("\ufeff" + para("Olá, mundo.")), "", "Olá, mundo."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			page, err := HTML(bytes.NewReader(tt.page), nil, tt.contentType)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(page.Text, tt.want) {
				t.Errorf("text starts %q, want %q", page.Text[:min(len(page.Text), len(tt.want)+20)], tt.want)
			}
			if !utf8.ValidString(page.Text) || strings.ContainsRune(page.Text, utf8.RuneError) {
				t.Errorf("text is not clean UTF-8: %q", page.Text)
			}
		})
	}
}

// latin1 encodes s, which must hold only runes below 256, as ISO-8859-1.
func latin1(s string) []byte {
	b := make([]byte, 0, len(s))
	for _, r := range s {
		b = append(b, byte(r))
	}
	return b
}

func utf16LE(s string) []byte {
	var b []byte
	for _, r := range s {
		b = append(b, byte(r), byte(r>>8))
	}
	return b
}

func TestFragment(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"paragraphs", "<p>First &amp; foremost.</p><p>Second<br>line.</p>", "First & foremost.\n\nSecond\nline."},
		{"double br", "One paragraph.<br>\n<br>Another<br>line.", "One paragraph.\n\nAnother\nline."},
		{"no-break spaces around links", "<p>On,&nbsp;<a href=x><b>the band</b></a>&nbsp;plays.\u00a0<i>Again</i>\u2003now.</p>", "On, the band plays. Again now."},
		{"inline", "Read <a href='x'>the <b>whole</b> story</a>&hellip;", "Read the whole story…"},
		{"script and style", "<style>p{color:red}</style><p>Text.</p><script>alert('x')</script>", "Text."},
		{"citation sup", "<p>Water boils at 100 °C.<sup><a href='#n1'>[1]</a></sup></p>", "Water boils at 100 °C."},
		{"boilerplate", "<p>News of the day.</p><p>Advertisement</p><p>Click to share on Twitter (Opens in new window)</p>", "News of the day."},
		{"list items", "<ul><li>one</li><li>two</li></ul>", "one\n\ntwo"},
		{"escaped markup", "&lt;p&gt;Escaped &amp;lt;b&amp;gt;twice&amp;lt;/b&amp;gt;&lt;/p&gt;", "Escaped twice"},
		{"table cells", "<table><tr><td>a</td><td>b</td></tr><tr><td>c</td><td>d</td></tr></table>", "a b\n\nc d"},
		{"empty", "<img src=x>", ""},
		{"feed furniture", `<p>The vote passed.</p><figure><img src="v.jpg"><figcaption>Members voting. Photo: AP</figcaption></figure><div class="sharedaddy"><div class="share-buttons"><a>Twitter</a></div></div><p>The post <a href="/v">Vote passes</a> appeared first on <a href="/">Town News</a>.</p>`, "The vote passed."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Fragment(tt.in); got != tt.want {
				t.Errorf("Fragment(%q)\n got %q\nwant %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestAny(t *testing.T) {
	article, err := os.ReadFile("testdata/article.html")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, file, contentType string
		in                      []byte
		wantTitle               string
		wantText                []string // substrings
		notText                 []string
	}{
		{
			name: "markdown by name", file: "post.md",
			in:        []byte("---\ntitle: \"Spring notes\"\ndate: 2026-03-01\n---\n# Spring notes\n\nThe *garden* is [awake](https://example.com) again.[1]\n\n- tulips\n- daffodils\n\n<div>raw html</div>\n"),
			wantTitle: "Spring notes",
			wantText:  []string{"The garden is awake again.", "tulips\n\ndaffodils"},
			notText:   []string{"title:", "date:", "---", "*", "](", "raw html", "[1]", "Spring notes"},
		},
		{
			name: "markdown by type", contentType: "text/markdown; charset=utf-8",
			in:        []byte("# Heading\n\nSome **bold** text &amp; more."),
			wantTitle: "Heading",
			wantText:  []string{"Some bold text & more."},
			notText:   []string{"Heading"},
		},
		{
			name: "html sniffed", file: "page",
			in:        article,
			wantTitle: "The Harbour Reopens",
			wantText:  []string{"reopened on Friday"},
			notText:   []string{"Skip to content"},
		},
		{
			name: "plain text", file: "notes.txt", contentType: "text/plain",
			in:       []byte("Skip to content\r\nLine one &amp; two.[3]\r\n\r\n\r\nNext  paragraph.\r\n"),
			wantText: []string{"Line one & two.\n\nNext paragraph."},
			notText:  []string{"Skip", "\r", "[3]"},
		},
		{
			name: "plain text latin1", file: "notes.txt",
			in:       latin1("Caf\u00e9 cr\u00e8me."),
			wantText: []string{"Café crème."},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			page, err := Any(tt.in, tt.file, tt.contentType)
			if err != nil {
				t.Fatal(err)
			}
			if page.Title != tt.wantTitle {
				t.Errorf("Title = %q, want %q", page.Title, tt.wantTitle)
			}
			for _, w := range tt.wantText {
				if !strings.Contains(page.Text, w) {
					t.Errorf("text lacks %q:\n%s", w, page.Text)
				}
			}
			for _, w := range tt.notText {
				if strings.Contains(page.Text, w) {
					t.Errorf("text holds %q:\n%s", w, page.Text)
				}
			}
		})
	}
}

func TestNoContent(t *testing.T) {
	for _, in := range []string{"", "<html><body><nav>Home</nav></body></html>", "   \n "} {
		_, err := Any([]byte(in), "x.html", "")
		if !errors.Is(err, ErrNoContent) {
			t.Errorf("Any(%q) error = %v, want ErrNoContent", in, err)
		}
	}
}

var (
	tagInTextRE    = regexp.MustCompile(`</?[A-Za-z][^<>]*>`)
	entityInTextRE = regexp.MustCompile(`&(?:#[0-9]+|#[xX][0-9a-fA-F]+|[A-Za-z][A-Za-z0-9]*);`)
)

// checkClean fails t if text holds tags, decodable entities, bad UTF-8 or
// runs of white space.
func checkClean(t *testing.T, what, text string) {
	t.Helper()
	for _, m := range tagInTextRE.FindAllString(text, -1) {
		if isMarkup(m) {
			t.Errorf("%s holds tag %q: %q", what, m, text)
		}
	}
	for _, m := range entityInTextRE.FindAllString(text, -1) {
		if htmlUnescapes(m) {
			t.Errorf("%s holds entity %q: %q", what, m, text)
		}
	}
	if !utf8.ValidString(text) {
		t.Errorf("%s is not UTF-8: %q", what, text)
	}
	if strings.Contains(text, "\n\n\n") || strings.Contains(text, "  ") || strings.Contains(text, "\t") || strings.TrimSpace(text) != text {
		t.Errorf("%s has unnormalized white space: %q", what, text)
	}
}

func FuzzClean(f *testing.F) {
	for _, s := range []string{
		"<p>Hello &amp; <b>world</b>[1]</p>",
		"&amp;lt;script&amp;gt;",
		"<<a>b>",
		"<!-- c --><p>x</p>",
		"Skip to content\n\nText.",
		"\x93quoted\x94",
		"&lt;&lt;a&gt;b&gt;",
		"&nGt;&amp;#60;x>",
	} {
		f.Add(s)
	}
	if b, err := os.ReadFile("testdata/article.html"); err == nil {
		f.Add(string(b))
	}
	f.Fuzz(func(t *testing.T, s string) {
		checkClean(t, "Clean", Clean(s))
		checkClean(t, "Fragment", Fragment(s))
		page, err := HTML(strings.NewReader(s), nil, "")
		if err != nil && !errors.Is(err, ErrNoContent) {
			t.Errorf("HTML: %v", err)
		}
		checkClean(t, "HTML", page.Text)
		checkClean(t, "HTML title", page.Title)
	})
}

// BenchmarkHTML extracts the pages of ../shared/eval/pages-dev, one page
// per iteration in turn.
func BenchmarkHTML(b *testing.B) {
	names, _ := filepath.Glob("../../../shared/eval/pages-dev/*.html.gz")
	if len(names) == 0 {
		b.Skip("no pages in ../../../shared/eval/pages-dev")
	}
	var pages [][]byte
	size := 0
	for _, name := range names {
		f, err := os.Open(name)
		if err != nil {
			b.Fatal(err)
		}
		zr, err := gzip.NewReader(f)
		if err != nil {
			b.Fatal(err)
		}
		p, err := io.ReadAll(zr)
		f.Close()
		if err != nil {
			b.Fatal(err)
		}
		pages = append(pages, p)
		size += len(p)
	}
	b.SetBytes(int64(size / len(pages)))
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if _, err := HTML(bytes.NewReader(pages[i%len(pages)]), nil, ""); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

func TestImprove(t *testing.T) {
	const sentence = "The museum reopened its east wing after a long restoration of the roof. "
	story := strings.Repeat(sentence, 6)
	page := `<html><body><nav><a href="/a">Home page of the museum</a> <a href="/b">Visiting hours and tickets</a></nav>
<div id="story"><p>` + story + `</p><p>` + story + `</p><p>Share this article</p></div>
<div class="links"><p><a href="/c">Read about the west wing and its long history of repairs</a></p></div></body></html>`
	doc, err := parseHTML([]byte(page), "")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, readability, want string
	}{
		{"readability found nothing", "", strings.TrimSpace(story) + "\n\n" + strings.TrimSpace(story)},
		{"readability found a teaser", "The museum reopened.", strings.TrimSpace(story) + "\n\n" + strings.TrimSpace(story)},
		{"readability found enough", strings.TrimSpace(strings.Repeat(sentence, 9)), strings.TrimSpace(strings.Repeat(sentence, 9))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := improve(doc, tt.readability); got != tt.want {
				t.Errorf("improve(%q)\n got %q\nwant %q", tt.readability, got, tt.want)
			}
		})
	}
}
