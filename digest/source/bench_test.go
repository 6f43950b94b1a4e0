package source

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// BenchmarkCollect200Feeds collects 200 feeds of 10 items from a loopback
// server that answers each request after 50 ms, at several concurrencies.
//
//	go test -run '^$' -bench Collect200 -benchmem ./digest/source/
func BenchmarkCollect200Feeds(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(50 * time.Millisecond)
		w.Header().Set("Content-Type", "application/rss+xml")
		items := make([]string, 10)
		for i := range items {
			items[i] = fmt.Sprintf("%s/item-%d", r.URL.Path, i)
		}
		fmt.Fprint(w, rssFeed("https://news.example.org", items...))
	}))
	defer srv.Close()
	var specs []Spec
	for i := range 200 {
		specs = append(specs, urlSpec(fmt.Sprint("feed ", i), fmt.Sprintf("%s/feed-%d", srv.URL, i)))
	}
	for _, conc := range []int{8, 16, 32, 64} {
		b.Run(fmt.Sprint("concurrency=", conc), func(b *testing.B) {
			c := testCollector(Config{Concurrency: conc, Timeout: 10 * time.Second}, specs...)
			for b.Loop() {
				col, err := c.Collect(context.Background())
				if err != nil {
					b.Fatal(err)
				}
				if len(col.Articles) != 2000 || len(col.Failures) != 0 {
					b.Fatalf("%d articles, %d failures", len(col.Articles), len(col.Failures))
				}
			}
		})
	}
}
