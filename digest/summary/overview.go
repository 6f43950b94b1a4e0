package summary

import (
	"fmt"
	"math"
	"strings"

	"github.com/digest-newsletter/digest/digest"
)

// SameStory is the Similarity at or above which two stories are
// taken to be the same news told twice. On the dev set (TestSameStory)
// a story's first three sentences against its human highlights, the same
// story in other words, score 0.47 at the median and reach 0.25 in 89 cases
// of 100, while the openings of two different stories score 0.02 at the
// median and reach 0.25 in 4 pairs of 9,900.
const SameStory = 0.25

// Similarity returns how alike two texts are, in [0,1]: the cosine of their
// stemmed content-word frequencies (log-scaled), stop words left out. It
// needs no corpus, so it works on two titles or two whole articles; it
// compares words only, not meaning, and knows English only.
func Similarity(a, b string) float64 {
	va, vb := termVector(terms(a)), termVector(terms(b))
	c := cosine(va, vb)
	return math.Min(1, math.Max(0, c))
}

func termVector(ts []string) vector {
	w := map[string]float64{}
	for _, t := range ts {
		w[t]++
	}
	var sum float64
	for t, f := range w {
		w[t] = 1 + math.Log(f)
		sum += w[t] * w[t]
	}
	return vector{w, math.Sqrt(sum)}
}

// overviewItems is how many items the overview names.
const overviewItems = 3

// Overview returns the edition's "in this issue" paragraph, naming its first
// items (the top ones, as the edition orders them) by title, or by the first
// sentence of the blurb when an item has no title, and counting the rest.
// An edition without items has an empty overview.
func Overview(items []digest.Item) string {
	var names []string
	for _, it := range items {
		if len(names) == overviewItems {
			break
		}
		name := strings.Join(strings.Fields(it.Title), " ")
		if name == "" && len(it.Blurb) > 0 {
			name = it.Blurb[0]
		}
		if name = strings.TrimRight(name, " .;:"); name != "" {
			names = append(names, name)
		}
	}
	if len(names) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString("In this issue: ")
	rest := len(items) - len(names)
	for i, n := range names {
		switch {
		case i == 0:
		case i == len(names)-1 && rest == 0:
			b.WriteString("; and ")
		default:
			b.WriteString("; ")
		}
		b.WriteString(n)
	}
	switch rest {
	case 0:
	case 1:
		b.WriteString("; and one more story")
	default:
		fmt.Fprintf(&b, "; and %d more stories", rest)
	}
	b.WriteString(".")
	return b.String()
}
