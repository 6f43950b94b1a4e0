package digest

import (
	"math"
	"math/bits"
	"time"
)

// SendTimes summarizes how long one message took from the start of its
// rendering to the server's final reply (or the last refusal), retries and
// their backoff included. Quantiles come from a histogram with buckets about
// 3% wide, so they are within 3% of the exact value.
type SendTimes struct {
	Count int           `json:"count"`
	P50   time.Duration `json:"p50_ns"`
	P90   time.Duration `json:"p90_ns"`
	P99   time.Duration `json:"p99_ns"`
	Max   time.Duration `json:"max_ns"`
}

// sendHist is a log-linear histogram of durations: 32 sub-buckets per
// power of two of nanoseconds. It is not safe for concurrent use; the
// recorder goroutine owns it.
type sendHist struct {
	counts [64 * subBuckets]uint32
	n      int
	max    time.Duration
}

const subBits = 5
const subBuckets = 1 << subBits

func histIndex(d time.Duration) int {
	v := uint64(max(d, 1))
	exp := bits.Len64(v) - 1 // v in [2^exp, 2^(exp+1))
	if exp < subBits {
		return int(v)
	}
	sub := (v >> (exp - subBits)) & (subBuckets - 1)
	return (exp-subBits+1)*subBuckets + int(sub)
}

// histUpper returns the largest duration of bucket i.
func histUpper(i int) time.Duration {
	if i < subBuckets {
		return time.Duration(i)
	}
	exp := i/subBuckets + subBits - 1
	sub := uint64(i % subBuckets)
	lo := (uint64(1) << exp) | sub<<(exp-subBits)
	return time.Duration(lo + (uint64(1) << (exp - subBits)) - 1)
}

func (h *sendHist) add(d time.Duration) {
	h.counts[histIndex(d)]++
	h.n++
	h.max = max(h.max, d)
}

func (h *sendHist) quantile(q float64) time.Duration {
	rank := uint64(math.Ceil(q * float64(h.n)))
	var seen uint64
	for i, c := range h.counts {
		seen += uint64(c)
		if seen >= rank && c > 0 {
			return min(histUpper(i), h.max)
		}
	}
	return h.max
}

// summary returns the quantiles, or nil when nothing was timed.
func (h *sendHist) summary() *SendTimes {
	if h.n == 0 {
		return nil
	}
	return &SendTimes{Count: h.n, P50: h.quantile(0.50), P90: h.quantile(0.90), P99: h.quantile(0.99), Max: h.max}
}
