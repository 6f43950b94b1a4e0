package render

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/digest-newsletter/digest/digest"
	"github.com/digest-newsletter/digest/digest/render/browsertest"
)

// layout is what the page reports about its width.
type layout struct {
	CardColor   string   `json:"cardColor"`
	ScrollWidth int      `json:"scrollWidth"`
	InnerWidth  int      `json:"innerWidth"`
	Overflowing []string `json:"overflowing"`
}

const measureJS = `(() => {
  const w = window.innerWidth;
  const over = [];
  for (const el of document.querySelectorAll("body *")) {
    const r = el.getBoundingClientRect();
    if (r.width > w + 0.5 || r.right > w + 0.5) {
      over.push(el.tagName.toLowerCase() + "." + el.className + " right=" + Math.round(r.right) + " width=" + Math.round(r.width));
    }
  }
  const card = document.querySelector(".card");
  return {cardColor: card ? getComputedStyle(card).backgroundColor : "", scrollWidth: document.documentElement.scrollWidth, innerWidth: w, overflowing: over.slice(0, 10)};
})()`

// TestLayoutInChromium opens the rendered HTML in headless Chromium at a
// desktop (600 px) and a phone (375 px) width, light and dark, checks that
// nothing is wider than the viewport, and writes screenshots to
// testdata/screenshots for people to look at.
func TestLayoutInChromium(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a browser")
	}
	ctx := browsertest.Start(t, 45*time.Second)

	ed := testEdition(5)
	ed.Items[1].Title = "A title with a very long word: Pneumonoultramicroscopicsilicovolcanoconiosis-and-more-of-it-too"
	ed.Items[2].AlsoIn = []string{"https://a-very-long-source-name.example.com/with/a/path/that/does/not/break/at/all"}
	ed.Note = "A word from the editor, with [a link](https://digest.example/about) and a long URL: " +
		"https://digest.example/a/very/long/path/that/would/overflow/a/phone/screen/if/nothing/wrapped/it/anywhere"
	r := newTestRenderer(t, "")
	r.opts.LogoURL = "" // no network in tests
	c, err := renderFor(r, ed, digest.Subscriber{Email: "a.very.long.address.of.a.reader@subscribers.example.org", Name: "Ada"})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, c.HTML)
	}))
	defer srv.Close()

	for _, scheme := range []string{"light", "dark"} {
		for _, width := range []int64{600, 375} {
			name := fmt.Sprintf("%s-%d", scheme, width)
			t.Run(name, func(t *testing.T) {
				var opts []chromedp.EmulateViewportOption
				if width < 600 {
					opts = append(opts, chromedp.EmulateMobile)
				}
				err := chromedp.Do(ctx,
					chromedp.Navigate("about:blank"),
					chromedp.EmulateViewport(width, 800, opts...),
					browsertest.ColorScheme(scheme),
					chromedp.Navigate(srv.URL),
				)
				if err != nil {
					t.Fatal(err)
				}
				got, err := chromedp.Run(ctx, chromedp.Evaluate[layout](measureJS))
				if err != nil {
					t.Fatal(err)
				}
				if got.InnerWidth != int(width) {
					t.Errorf("viewport is %d px wide, want %d", got.InnerWidth, width)
				}
				wantColor := map[string]string{"light": "rgb(255, 255, 255)", "dark": "rgb(26, 29, 35)"}[scheme]
				if got.CardColor != wantColor {
					t.Errorf("%s scheme: card background %q, want %q", scheme, got.CardColor, wantColor)
				}
				if got.ScrollWidth > got.InnerWidth {
					t.Errorf("page scrolls sideways: scrollWidth %d > innerWidth %d", got.ScrollWidth, got.InnerWidth)
				}
				if len(got.Overflowing) > 0 {
					t.Errorf("elements wider than the %d px viewport:\n%s", width, strings.Join(got.Overflowing, "\n"))
				}
				png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
				if err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join("testdata", "screenshots", name+".png"), png, 0o644); err != nil {
					t.Fatal(err)
				}
			})
		}
	}
}
