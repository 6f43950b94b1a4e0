// Package rouge scores summaries against human references with ROUGE-1,
// ROUGE-2 and ROUGE-Lsum, computed exactly as google-research's rouge-score
// package does with use_stemmer=True: text is lower-cased, every run of
// characters other than a-z and 0-9 becomes a space, and tokens longer than
// three characters are reduced by the Porter stemmer (NLTK's default mode).
//
// It has no stop-word removal, no length truncation and no bootstrap
// resampling; callers average the per-summary F1 themselves.
package rouge

import (
	"strings"

	"github.com/digest-newsletter/digest/digest/summary/stem"
)

// A Measure is the precision, recall and F1 of one ROUGE measure.
type Measure struct {
	Precision, Recall, F1 float64
}

// Scores are the three measures of one candidate summary.
type Scores struct {
	Rouge1, Rouge2, RougeLsum Measure
}

// Tokenize splits text into rouge-score's tokens: lower-case runs of a-z and
// 0-9, stemmed when longer than three characters.
func Tokenize(text string) []string {
	text = strings.ToLower(text)
	var toks []string
	start := -1
	for i := 0; i <= len(text); i++ {
		alnum := i < len(text) && (text[i] >= 'a' && text[i] <= 'z' || text[i] >= '0' && text[i] <= '9')
		switch {
		case alnum && start < 0:
			start = i
		case !alnum && start >= 0:
			tok := text[start:i]
			if len(tok) > 3 {
				tok = stem.Stem(tok)
			}
			toks = append(toks, tok)
			start = -1
		}
	}
	return toks
}

// Score compares a candidate summary with a reference, each given one
// sentence an element. ROUGE-1 and ROUGE-2 look at all the text at once;
// ROUGE-Lsum treats each element as a sentence (an element holding newlines
// is split at them, and empty lines are dropped, as rouge-score does).
func Score(candidate, reference []string) Scores {
	cand := sentences(candidate)
	ref := sentences(reference)
	c := Tokenize(strings.Join(candidate, "\n"))
	r := Tokenize(strings.Join(reference, "\n"))
	return Scores{
		Rouge1:    ngramScore(r, c, 1),
		Rouge2:    ngramScore(r, c, 2),
		RougeLsum: summaryLCS(ref, cand),
	}
}

// sentences splits lines at newlines, drops empty ones and tokenizes each.
func sentences(lines []string) [][]string {
	var out [][]string
	for _, l := range strings.Split(strings.Join(lines, "\n"), "\n") {
		if l != "" {
			out = append(out, Tokenize(l))
		}
	}
	return out
}

func fmeasure(p, r float64) float64 {
	if p+r == 0 {
		return 0
	}
	return 2 * p * r / (p + r)
}

func ngrams(toks []string, n int) map[string]int {
	m := map[string]int{}
	for i := 0; i+n <= len(toks); i++ {
		m[strings.Join(toks[i:i+n], " ")]++
	}
	return m
}

// ngramScore is rouge-score's _score_ngrams: clipped overlap of n-gram counts.
func ngramScore(ref, cand []string, n int) Measure {
	rg, cg := ngrams(ref, n), ngrams(cand, n)
	var overlap, rn, cn int
	for g, k := range rg {
		overlap += min(k, cg[g])
		rn += k
	}
	for _, k := range cg {
		cn += k
	}
	p := float64(overlap) / float64(max(cn, 1))
	r := float64(overlap) / float64(max(rn, 1))
	return Measure{p, r, fmeasure(p, r)}
}

// summaryLCS is rouge-score's _summary_level_lcs: for each reference
// sentence, the union of its LCS with every candidate sentence, each token
// counted at most as often as it occurs on both sides.
func summaryLCS(ref, cand [][]string) Measure {
	var m, n int
	refCount, candCount := map[string]int{}, map[string]int{}
	for _, s := range ref {
		m += len(s)
		for _, t := range s {
			refCount[t]++
		}
	}
	for _, s := range cand {
		n += len(s)
		for _, t := range s {
			candCount[t]++
		}
	}
	if m == 0 || n == 0 {
		return Measure{}
	}
	hits := 0
	for _, r := range ref {
		union := make([]bool, len(r))
		for _, c := range cand {
			for _, i := range lcsIndices(r, c) {
				union[i] = true
			}
		}
		for i, in := range union {
			if !in {
				continue
			}
			t := r[i]
			if candCount[t] > 0 && refCount[t] > 0 {
				hits++
				candCount[t]--
				refCount[t]--
			}
		}
	}
	p := float64(hits) / float64(n)
	r := float64(hits) / float64(m)
	return Measure{p, r, fmeasure(p, r)}
}

// lcsIndices returns the indices into ref of one longest common subsequence
// of ref and cand, read back the way rouge-score's _backtrack_norec does so
// that the union above picks the same tokens.
func lcsIndices(ref, cand []string) []int {
	rows, cols := len(ref), len(cand)
	t := make([][]int32, rows+1)
	for i := range t {
		t[i] = make([]int32, cols+1)
	}
	for i := 1; i <= rows; i++ {
		for j := 1; j <= cols; j++ {
			if ref[i-1] == cand[j-1] {
				t[i][j] = t[i-1][j-1] + 1
			} else {
				t[i][j] = max(t[i-1][j], t[i][j-1])
			}
		}
	}
	var idx []int
	for i, j := rows, cols; i > 0 && j > 0; {
		switch {
		case ref[i-1] == cand[j-1]:
			idx = append(idx, i-1)
			i--
			j--
		case t[i][j-1] > t[i-1][j]:
			j--
		default:
			i--
		}
	}
	return idx
}
