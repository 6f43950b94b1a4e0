package render

import (
	"strings"
	"testing"
	"time"

	xhtml "golang.org/x/net/html"
)

// nodes returns the elements of doc that match.
func nodes(n *xhtml.Node, match func(*xhtml.Node) bool) []*xhtml.Node {
	var out []*xhtml.Node
	if n.Type == xhtml.ElementNode && match(n) {
		out = append(out, n)
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		out = append(out, nodes(c, match)...)
	}
	return out
}

func attr(n *xhtml.Node, key string) (string, bool) {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val, true
		}
	}
	return "", false
}

func textOf(n *xhtml.Node) string {
	if n.Type == xhtml.TextNode {
		return n.Data
	}
	var b strings.Builder
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		b.WriteString(textOf(c))
	}
	return b.String()
}

func tag(name string) func(*xhtml.Node) bool {
	return func(n *xhtml.Node) bool { return n.Data == name }
}

// link returns the href of the first <a> whose text is s, or "".
func link(doc *xhtml.Node, s string) string {
	for _, a := range nodes(doc, tag("a")) {
		if strings.TrimSpace(textOf(a)) == s {
			href, _ := attr(a, "href")
			return href
		}
	}
	return ""
}

func TestHTMLStructure(t *testing.T) {
	tests := []struct {
		name        string
		opts        Options
		unsubscribe string // the Unsubscribe link, "" for none
		archive     string // the View in browser link, "" for none
		lang        string
		logo        bool
	}{
		{
			name:        "all links",
			opts:        Options{Name: "The Digest", Lang: "de", BaseURL: "https://digest.example/news/", LogoURL: "https://digest.example/logo.png"},
			unsubscribe: "https://digest.example/u?e=ada@example.org",
			archive:     "https://digest.example/news/archive/2026-11-29",
			lang:        "de",
			logo:        true,
		},
		{
			name: "no base URL, no unsubscribe, no logo",
			opts: Options{Name: "The Digest"},
			lang: "en",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.opts.Now = func() time.Time { return clock }
			r, err := New(tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			ed := testEdition(4)
			var u string
			if tt.unsubscribe != "" {
				u = "https://digest.example/u?e=" + testSubscriber.Email
			}
			c, err := renderWith(r, ed, testSubscriber, u)
			if err != nil {
				t.Fatal(err)
			}
			doc, err := xhtml.Parse(strings.NewReader(c.HTML))
			if err != nil {
				t.Fatal(err)
			}
			html := nodes(doc, tag("html"))[0]
			if got, _ := attr(html, "lang"); got != tt.lang {
				t.Errorf("<html lang> = %q, want %q", got, tt.lang)
			}
			metas := map[string]string{}
			for _, m := range nodes(doc, tag("meta")) {
				name, _ := attr(m, "name")
				metas[name], _ = attr(m, "content")
			}
			if metas["color-scheme"] != "light dark" || metas["viewport"] == "" {
				t.Errorf("meta color-scheme = %q, viewport = %q", metas["color-scheme"], metas["viewport"])
			}
			for _, tb := range nodes(doc, tag("table")) {
				if role, _ := attr(tb, "role"); role != "presentation" {
					t.Errorf("a layout <table> lacks role=presentation")
				}
			}
			imgs := nodes(doc, tag("img"))
			if tt.logo != (len(imgs) == 1) {
				t.Errorf("%d images, want logo %v", len(imgs), tt.logo)
			}
			for _, img := range imgs {
				if alt, _ := attr(img, "alt"); alt == "" {
					t.Errorf("<img> without alt text")
				}
			}
			// The preheader comes first in the body, hidden, with the overview.
			body := nodes(doc, tag("body"))[0]
			first := body.FirstChild
			for first != nil && first.Type != xhtml.ElementNode {
				first = first.NextSibling
			}
			style, _ := attr(first, "style")
			if !strings.Contains(style, "display: none") || !strings.HasPrefix(textOf(first), ed.Overview+"\u034f\u200c\u00a0") {
				t.Errorf("first element of body is not the hidden preheader: <%s style=%q>%s", first.Data, style, textOf(first))
			}
			if got := link(doc, "Unsubscribe"); got != tt.unsubscribe {
				t.Errorf("Unsubscribe link = %q, want %q", got, tt.unsubscribe)
			}
			if got := link(doc, "View in browser"); got != tt.archive {
				t.Errorf("View in browser link = %q, want %q", got, tt.archive)
			}
			// Items: title linked, source, date, blurb, also-in.
			titles := nodes(doc, func(n *xhtml.Node) bool { c, _ := attr(n, "class"); return c == "title" })
			if len(titles) != len(ed.Items) {
				t.Fatalf("%d item titles, want %d", len(titles), len(ed.Items))
			}
			if got := link(doc, ed.Items[0].Title); got != ed.Items[0].URL {
				t.Errorf("first title links to %q, want %q", got, ed.Items[0].URL)
			}
			body0 := textOf(titles[0].Parent)
			for _, want := range []string{"Go Blog · 29 November 2026", ed.Items[0].Blurb[0], "Also in Lobsters, Reddit"} {
				if !strings.Contains(body0, want) {
					t.Errorf("first item lacks %q:\n%s", want, body0)
				}
			}
			// Styles are inlined; the dark-mode block stays in <style>.
			if s, _ := attr(titles[0], "style"); !strings.Contains(s, "font-size:18px") {
				t.Errorf("item title style = %q, want inlined CSS", s)
			}
			if !strings.Contains(c.HTML, "@media (prefers-color-scheme: dark)") {
				t.Errorf("dark-mode media query lost")
			}
		})
	}
}
