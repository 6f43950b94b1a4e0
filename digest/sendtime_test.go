package digest

import (
	"testing"
	"time"
)

func TestSendHistQuantiles(t *testing.T) {
	var h sendHist
	for i := 1; i <= 1000; i++ {
		h.add(time.Duration(i) * time.Millisecond)
	}
	got := h.summary()
	for _, c := range []struct {
		name      string
		got, want time.Duration
	}{
		{"p50", got.P50, 500 * time.Millisecond},
		{"p90", got.P90, 900 * time.Millisecond},
		{"p99", got.P99, 990 * time.Millisecond},
		{"max", got.Max, time.Second},
	} {
		t.Run(c.name, func(t *testing.T) {
			if c.got < c.want || float64(c.got) > 1.035*float64(c.want) {
				t.Errorf("got %v, want %v within +3.5%%", c.got, c.want)
			}
		})
	}
	if got.Count != 1000 {
		t.Errorf("count: got %d, want 1000", got.Count)
	}
}

func TestSendHistBuckets(t *testing.T) {
	for _, d := range []time.Duration{1, 31, 32, 33, 1000, 123456789, time.Hour} {
		i := histIndex(d)
		if up := histUpper(i); up < d || (i > 0 && histUpper(i-1) >= d) {
			t.Errorf("%v: bucket %d spans (%v, %v]", d, i, histUpper(i-1), up)
		}
	}
	var h sendHist
	if h.summary() != nil {
		t.Error("empty histogram: got a summary, want nil")
	}
}
