package subscriber

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/digest-newsletter/digest/digest"
)

// BenchmarkFile1M reads a generated list of 1,000,000 subscribers and
// reports the live heap (HeapInuse after a GC) at 100,000 and at 1,000,000
// rows, and the highest HeapInuse seen, sampled every 10,000 rows without
// forcing a GC. The difference between the two live figures is the
// duplicate set, the only thing that grows with the list.
//
//	go test ./digest/subscriber -run '^$' -bench File1M -benchtime 3x
func BenchmarkFile1M(b *testing.B) {
	const n = 1_000_000
	path := filepath.Join(b.TempDir(), "subscribers.csv")
	fh, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	if err := Generate(fh, n); err != nil {
		b.Fatal(err)
	}
	if err := fh.Close(); err != nil {
		b.Fatal(err)
	}
	list := &File{Path: path}
	mb := func(v uint64) float64 { return float64(v) / (1 << 20) }
	var ms runtime.MemStats
	var at100k, at1M, peak uint64
	b.ReportAllocs()
	for b.Loop() {
		rows := 0
		for _, err := range list.Subscribers(b.Context()) {
			if err != nil {
				b.Fatal(err)
			}
			rows++
			if rows%10_000 == 0 {
				if rows == 100_000 {
					runtime.GC()
				}
				runtime.ReadMemStats(&ms)
				peak = max(peak, ms.HeapInuse)
				if rows == 100_000 {
					at100k = ms.HeapInuse
				}
				if rows == n {
					runtime.GC()
					runtime.ReadMemStats(&ms)
					at1M = ms.HeapInuse
				}
			}
		}
		if rows != n {
			b.Fatalf("read %d rows, want %d", rows, n)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/row")
	b.ReportMetric(mb(at100k), "MB-heapinuse-100k")
	b.ReportMetric(mb(at1M), "MB-heapinuse-1M")
	b.ReportMetric(mb(peak), "MB-peak-heapinuse")
}

// BenchmarkAddressSet1M reports what the duplicate set costs an address:
// the live heap after adding 1,000,000 addresses, divided by their number.
func BenchmarkAddressSet1M(b *testing.B) {
	const n = 1_000_000
	var ms runtime.MemStats
	var perAddr float64
	for b.Loop() {
		runtime.GC()
		runtime.ReadMemStats(&ms)
		before := ms.HeapInuse
		s := newAddressSet()
		for i := range n {
			if _, dup := s.add(fmt.Sprintf("user%07d@example.com", i), i+2); dup {
				b.Fatalf("address %d reported as a duplicate", i)
			}
		}
		runtime.GC()
		runtime.ReadMemStats(&ms)
		perAddr = float64(ms.HeapInuse-before) / n
		runtime.KeepAlive(s)
	}
	b.ReportMetric(perAddr, "B/address")
}

// BenchmarkWithSignups1M streams a generated list of 1,000,000 rows, as a
// run reads it (duplicates kept), followed by 10,000 sign-ups of which half
// are in the list too, and reports the live heap (HeapInuse after a GC)
// when the list has been read and the highest HeapInuse seen. The list's
// addresses are not held: the live heap is the sign-ups' hashes and the
// few list addresses that share one.
//
//	go test ./digest/subscriber -run '^$' -bench WithSignups1M -benchtime 1x
func BenchmarkWithSignups1M(b *testing.B) {
	const n, signups = 1_000_000, 10_000
	path := filepath.Join(b.TempDir(), "subscribers.csv")
	fh, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	if err := Generate(fh, n); err != nil {
		b.Fatal(err)
	}
	if err := fh.Close(); err != nil {
		b.Fatal(err)
	}
	su := &signupList{}
	for i := range signups {
		// Every other sign-up is a list row's address (user%07d), the rest new.
		su.subs = append(su.subs, digest.Subscriber{Email: fmt.Sprintf("user%07d@example.%s", i*97+1, map[bool]string{true: "com", false: "net"}[i%2 == 0])})
	}
	list := WithSignups{List: &File{Path: path, KeepDuplicates: true}, Signups: su}
	mb := func(v uint64) float64 { return float64(v) / (1 << 20) }
	var ms runtime.MemStats
	var atEnd, peak uint64
	b.ReportAllocs()
	for b.Loop() {
		rows, extra := 0, 0
		for sub, err := range list.Subscribers(b.Context()) {
			if err != nil {
				b.Fatal(err)
			}
			rows++
			if sub.Line == 0 {
				extra++
			}
			if rows%10_000 == 0 {
				runtime.ReadMemStats(&ms)
				peak = max(peak, ms.HeapInuse)
			}
			if rows == n {
				runtime.GC()
				runtime.ReadMemStats(&ms)
				atEnd = ms.HeapInuse
			}
		}
		if rows != n+signups/2 || extra != signups/2 {
			b.Fatalf("read %d rows (%d sign-ups), want %d (%d)", rows, extra, n+signups/2, signups/2)
		}
	}
	b.ReportMetric(mb(atEnd), "MB-heapinuse-at-1M")
	b.ReportMetric(mb(peak), "MB-peak-heapinuse")
}
