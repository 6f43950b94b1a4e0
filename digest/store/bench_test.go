package store

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

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
	// A delivery run's pattern: claim a batch of new rows as sending, then
	// record the same rows as sent, two transactions per batch. As in
	// Deliver, the claims run under the run's context and the results under
	// one that is never canceled. ns/row is the wall time of one row write
	// (half a delivery), fsyncs included; cpu-ns/row is the process's CPU
	// time (user and system) per row write.
	b.Run("claim+sent/batch=256", func(b *testing.B) {
		s, _ := openTemp(b)
		ctx := b.Context()
		const batch = 256
		claims := make([]digest.Delivery, batch)
		results := make([]digest.Delivery, batch)
		claimed := day.Add(time.Hour)
		rows := 0
		cpu0 := processCPU()
		for b.Loop() {
			for i := range claims {
				// Deliver lower-cases addresses before it claims them.
				email := fmt.Sprintf("subscriber.%d@example.com", rows/2+i)
				claims[i] = digest.Delivery{
					Edition: "2026-11-30-daily", Channel: "smtp", Email: email, Status: digest.Sending,
					MessageID: fmt.Sprintf("2026-11-30-daily.%016x@news.example.com", rows/2+i),
					Updated:   claimed, Run: "5f3a9c0d2e7b4a61",
				}
				results[i] = claims[i]
				results[i].Status, results[i].Attempts = digest.Sent, 1
				results[i].Reply = "250 2.0.0 Ok: queued as 1A2B3C4D5E"
				results[i].Updated = claimed.Add(time.Second)
			}
			if err := s.Record(ctx, claims); err != nil {
				b.Fatal(err)
			}
			if err := s.Record(context.WithoutCancel(ctx), results); err != nil {
				b.Fatal(err)
			}
			rows += 2 * batch
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(rows), "ns/row")
		if cpu := processCPU(); cpu0 >= 0 && cpu >= 0 {
			b.ReportMetric(float64(cpu-cpu0)/float64(rows), "cpu-ns/row")
		}
	})
}

// processCPU returns the user and system CPU time, in nanoseconds, that the
// process has used so far, from /proc/self/stat (in clock ticks of 10 ms:
// run the benchmark for a few seconds), or -1 where there is no such file.
func processCPU() time.Duration {
	b, err := os.ReadFile("/proc/self/stat")
	if err != nil {
		return -1
	}
	// The command name, in parentheses, may hold spaces; the fields after
	// it start with the state (field 3); utime and stime are 14 and 15.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return -1
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return -1
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return -1
	}
	const tick = 10 * time.Millisecond // USER_HZ is 100 on every Linux
	return time.Duration(utime+stime) * tick
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
