package extract_test

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/digest-newsletter/digest/digest/extract"
)

func ExampleClean() {
	fmt.Println(extract.Clean("Skip to content\nThe bridge opened in 1932.[1] It cost &pound;4&nbsp;million.\n\n\n\nAdvertisement\nIt is still in use."))
	// Output:
	// The bridge opened in 1932. It cost £4 million.
	//
	// It is still in use.
}

func ExampleFragment() {
	fmt.Println(extract.Fragment(`<p>Tea &amp; cake at <b>four</b>.<sup>[2]</sup></p><p>Share this post</p><p>All welcome.</p>`))
	// Output:
	// Tea & cake at four.
	//
	// All welcome.
}

func ExampleHTML() {
	page := `<html lang="en"><head><title>Library hours | Town News</title><meta property="og:site_name" content="Town News"></head><body>
<nav><a href="/">Home</a> <a href="/news">News</a></nav>
<article><h1>Library hours</h1>
<p>From Monday the town library opens at eight in the morning and closes at nine in the evening, three hours later than before.</p>
<p>The council says the longer hours are paid for by a grant from the county, which runs for two years.</p>
</article><footer>Cookie policy</footer></body></html>`
	u, _ := url.Parse("https://news.example/library")
	p, err := extract.HTML(strings.NewReader(page), u, "text/html; charset=utf-8")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%s (%s, %s)\n\n%s\n", p.Title, p.SiteName, p.Lang, p.Text)
	// Output:
	// Library hours (Town News, en)
	//
	// From Monday the town library opens at eight in the morning and closes at nine in the evening, three hours later than before.
	//
	// The council says the longer hours are paid for by a grant from the county, which runs for two years.
}
