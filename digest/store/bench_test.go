package store

import (
	"fmt"
	"testing"

	"github.com/digest-newsletter/digest/digest"
)

// BenchmarkRecord measures the delivery loop's hot path: one durable
// transaction (WAL, synchronous=FULL, an fsync per commit) per Record call
// of batch rows. rows/s is the journal's throughput.
//
//	go test -run '^$' -bench . -benchtime 3s ./digest/store/
func BenchmarkRecord(b *testing.B) {
	for _, batch := range []int{1, 64, 256} {
		b.Run(fmt.Sprintf("batch=%d", batch), func(b *testing.B) {
			s, _ := openTemp(b)
			ctx := b.Context()
			ds := make([]digest.Delivery, batch)
			rows := 0
			for b.Loop() {
				for i := range ds {
					ds[i] = delivery("e1", fmt.Sprintf("user%d@example.com", rows+i), digest.Sent)
				}
				if err := s.Record(ctx, ds); err != nil {
					b.Fatal(err)
				}
				rows += batch
			}
			b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}

// BenchmarkDeliveries measures looking up the journal rows of 500
// subscribers (one IN batch) in a journal of 20,000 rows.
func BenchmarkDeliveries(b *testing.B) {
	s, _ := openTemp(b)
	ctx := b.Context()
	const total, lookup = 20000, 500
	var ds []digest.Delivery
	for i := range total {
		ds = append(ds, delivery("e1", fmt.Sprintf("user%d@example.com", i), digest.Sent))
	}
	if err := s.Record(ctx, ds); err != nil {
		b.Fatal(err)
	}
	emails := make([]string, lookup)
	rows, off := 0, 0
	for b.Loop() {
		for i := range emails {
			emails[i] = fmt.Sprintf("user%d@example.com", (off+i*37)%total)
		}
		off++
		got, err := s.Deliveries(ctx, "e1", "smtp", emails)
		if err != nil {
			b.Fatal(err)
		}
		if len(got) != lookup {
			b.Fatalf("got %d rows, want %d", len(got), lookup)
		}
		rows += len(got)
	}
	b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
}

// BenchmarkFreeze measures freezing an edition of 30 articles with their
// text and blurbs.
func BenchmarkFreeze(b *testing.B) {
	s, _ := openTemp(b)
	ctx := b.Context()
	n := 0
	for b.Loop() {
		var ids []string
		for i := range 30 {
			ids = append(ids, fmt.Sprintf("https://example.com/%d/%d", n, i))
		}
		ed := edition(fmt.Sprintf("e%d", n), day, ids...)
		for i := range ed.Items {
			ed.Items[i].Text = longText
		}
		if err := s.Freeze(ctx, ed); err != nil {
			b.Fatal(err)
		}
		n++
	}
}

// longText is an article body of about 4 KB.
var longText = func() string {
	s := ""
	for len(s) < 4000 {
		s += "The quick brown fox jumps over the lazy dog, and the newsletter goes out on time. "
	}
	return s
}()
