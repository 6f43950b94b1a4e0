package summary

import (
	"bufio"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"math"
	"os"
	"strings"
	"testing"

	"github.com/digest-newsletter/digest/digest/summary/rouge"
)

// TestCrossValidation chooses the summarizer's tuning by 5-fold
// cross-validation on the development news set: for each fold, the tuning
// with the best mean margin over Lead-3 (the mean of ROUGE-1, ROUGE-2 and
// ROUGE-Lsum) on the other four folds is scored on that fold. It logs the
// held-out margins, their mean and spread, and which tuning each fold
// chose; with -v it is the record behind defaultTuning. It needs the
// development set beside the repository and is skipped in -short mode.
func TestCrossValidation(t *testing.T) {
	if testing.Short() {
		t.Skip("-short")
	}
	ids, arts, refs := devSetWithIDs(t)
	var grid []tuning
	for _, w := range []float64{1, 2, 3, 5, 1000} {
		for _, d := range []float64{0.3, 0.6} {
			for _, o := range []float64{0, 0.6} {
				grid = append(grid, tuning{positionWeight: w, positionDecay: d, oddityPenalty: o})
			}
		}
	}
	// margin[g][i] is tuning g's mean ROUGE F1 × 100 minus Lead-3's on
	// article i, per measure.
	lead := make([][3]float64, len(arts))
	for i := range arts {
		lead[i] = rougeF1(Lead(arts[i], 3), refs[i])
	}
	margin := make([][][3]float64, len(grid))
	for g, tu := range grid {
		e := New(Options{})
		e.tune = tu
		for i := range arts {
			s := rougeF1(e.Sentences(arts[i]), refs[i])
			margin[g] = append(margin[g], [3]float64{s[0] - lead[i][0], s[1] - lead[i][1], s[2] - lead[i][2]})
		}
	}
	fold := make([]int, len(ids))
	for i, id := range ids {
		h := fnv.New32a()
		h.Write([]byte(id))
		fold[i] = int(h.Sum32() % 5)
	}
	meanOn := func(g int, in func(i int) bool) (m [3]float64) {
		n := 0
		for i := range arts {
			if in(i) {
				for k := range m {
					m[k] += margin[g][i][k]
				}
				n++
			}
		}
		for k := range m {
			m[k] /= float64(n)
		}
		return m
	}
	var held [][3]float64
	for k := range 5 {
		best, bestScore := 0, math.Inf(-1)
		for g := range grid {
			m := meanOn(g, func(i int) bool { return fold[i] != k })
			if s := (m[0] + m[1] + m[2]) / 3; s > bestScore {
				best, bestScore = g, s
			}
		}
		m := meanOn(best, func(i int) bool { return fold[i] == k })
		held = append(held, m)
		t.Logf("fold %d: chose %+v (train margin %+.2f); held-out margin R-1 %+.2f R-2 %+.2f R-Lsum %+.2f", k, grid[best], bestScore, m[0], m[1], m[2])
	}
	for k, name := range []string{"ROUGE-1", "ROUGE-2", "ROUGE-Lsum"} {
		var xs []float64
		for _, h := range held {
			xs = append(xs, h[k])
		}
		t.Logf("held-out margin over Lead-3, %s: %s", name, meanSD(xs))
	}
	for g, tu := range grid {
		if tu == defaultTuning {
			m := meanOn(g, func(int) bool { return true })
			t.Logf("default %+v on all 100: margin %+.2f %+.2f %+.2f", tu, m[0], m[1], m[2])
		}
	}
}

func rougeF1(cand []string, ref string) [3]float64 {
	s := rouge.Score(cand, strings.Split(ref, "\n"))
	return [3]float64{100 * s.Rouge1.F1, 100 * s.Rouge2.F1, 100 * s.RougeLsum.F1}
}

func meanSD(xs []float64) string {
	var m, ss float64
	for _, x := range xs {
		m += x
	}
	m /= float64(len(xs))
	for _, x := range xs {
		ss += (x - m) * (x - m)
	}
	return fmt.Sprintf("%+.2f ± %.2f", m, math.Sqrt(ss/float64(len(xs)-1)))
}

func devSetWithIDs(tb testing.TB) (ids, arts, refs []string) {
	f, err := os.Open("../../../shared/eval/news-summaries-dev.jsonl")
	if err != nil {
		tb.Skipf("no dev set: %v", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 16<<20)
	for sc.Scan() {
		var a struct{ ID, Article, Reference string }
		if err := json.Unmarshal(sc.Bytes(), &a); err != nil {
			tb.Fatal(err)
		}
		ids, arts, refs = append(ids, a.ID), append(arts, a.Article), append(refs, a.Reference)
	}
	return ids, arts, refs
}
