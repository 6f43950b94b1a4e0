package source_test

import (
	"fmt"
	"strings"

	"github.com/digest-newsletter/digest/digest/source"
)

func ExampleCanonical() {
	fmt.Println(source.Canonical("http://www.Example.com/2026/11/story/?utm_source=rss&id=7#comments"))
	// Output: https://example.com/2026/11/story?id=7
}

func ExampleParseList() {
	list := `# feeds
https://go.dev/blog/feed.atom name="The Go Blog" tags=go
articles
https://example.org/news fulltext tags=news,world
page:ftp://example.org/x
`
	specs, err := source.ParseList(strings.NewReader(list), "/srv/digest/sources.txt")
	for _, s := range specs {
		fmt.Printf("%s %s%s %q fulltext=%v %v\n", s.Kind, s.URL, s.Path, s.Name, s.FullText, s.Tags)
	}
	fmt.Println(err)
	// Output:
	// feed https://go.dev/blog/feed.atom "The Go Blog" fulltext=false [go]
	// feed /srv/digest/articles "" fulltext=false []
	// feed https://example.org/news "" fulltext=true [news world]
	// /srv/digest/sources.txt:5: location: scheme "ftp" not supported (want http or https)
}
