package summary

import (
	"math"
	"strings"
	"unicode"

	"github.com/digest-newsletter/digest/digest/summary/stem"
)

// terms returns the stemmed content words of a sentence: lower-cased runs of
// letters and digits, without stop words.
func terms(s string) []string {
	var out []string
	for _, w := range strings.FieldsFunc(strings.ToLower(s), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	}) {
		if stopWords[w] {
			continue
		}
		if len(w) > 3 {
			w = stem.Stem(w)
		}
		out = append(out, w)
	}
	return out
}

// A vector is a sparse TF-IDF vector, kept with its norm.
type vector struct {
	w    map[string]float64
	norm float64
}

// tfidf weighs each document's terms by log-scaled frequency times a
// smoothed inverse document frequency over docs.
func tfidf(docs [][]string) []vector {
	df := map[string]int{}
	for _, d := range docs {
		seen := map[string]bool{}
		for _, t := range d {
			if !seen[t] {
				seen[t] = true
				df[t]++
			}
		}
	}
	n := float64(len(docs))
	vs := make([]vector, len(docs))
	for i, d := range docs {
		tf := map[string]float64{}
		for _, t := range d {
			tf[t]++
		}
		var sum float64
		for t, f := range tf {
			w := (1 + math.Log(f)) * (math.Log((1+n)/(1+float64(df[t]))) + 1)
			tf[t] = w
			sum += w * w
		}
		vs[i] = vector{tf, math.Sqrt(sum)}
	}
	return vs
}

func cosine(a, b vector) float64 {
	if a.norm == 0 || b.norm == 0 {
		return 0
	}
	if len(a.w) > len(b.w) {
		a, b = b, a
	}
	var dot float64
	for t, w := range a.w {
		dot += w * b.w[t]
	}
	return dot / (a.norm * b.norm)
}

// centrality returns each sentence's weighted PageRank (LexRank with
// continuous edge weights) over the similarity matrix, scaled so the top
// sentence scores 1.
func centrality(sim [][]float64) []float64 {
	const damping, rounds = 0.85, 50
	n := len(sim)
	if n == 0 {
		return nil
	}
	rowSum := make([]float64, n)
	for i := range sim {
		for j, s := range sim[i] {
			if i != j {
				rowSum[i] += s
			}
		}
	}
	rank := make([]float64, n)
	for i := range rank {
		rank[i] = 1 / float64(n)
	}
	next := make([]float64, n)
	for range rounds {
		var delta float64
		for j := range n {
			var in float64
			for i := range n {
				if i != j && rowSum[i] > 0 {
					in += sim[i][j] / rowSum[i] * rank[i]
				}
			}
			next[j] = (1-damping)/float64(n) + damping*in
			delta += math.Abs(next[j] - rank[j])
		}
		rank, next = next, rank
		if delta < 1e-6 {
			break
		}
	}
	top := 0.0
	for _, r := range rank {
		top = max(top, r)
	}
	for i := range rank {
		rank[i] /= top
	}
	return rank
}

// boilerplatePhrases mark lines that belong to the page, not the story:
// calls to action, bylines and datelines, credits, legal notes and contact
// lines. They are matched in lower case anywhere in the sentence.
var boilerplatePhrases = []string{
	"scroll down for", "click here", "click to ", "read more", "sign up now", "sign up here",
	"sign up to our", "sign up for our", "subscribe now", "subscribe here", "subscribe to our",
	"our newsletter", "follow us", "follow @", "share this", "share on facebook",
	"share on twitter", "all rights reserved", "copyright ©", "©", "cookie policy",
	"use of cookies", "terms of use", "privacy policy", "published: ", "updated: ",
	"last updated", "daily mail reporter", "download the app", "watch the video", "getty images",
	"image source", "image caption", "image copyright", "photo credit", "editor's note",
	"contributed to this report", "contributed reporting", "opinions expressed",
	"views expressed", "for confidential support", "http://", "https://", "www.",
}

// boilerplateLabels open a line that is a label, not a sentence.
var boilerplateLabels = []string{"by .", "advertisement", "photo:", "video:", "related:",
	"source:", "credit:", "caption:", "see also:", "watch:", "listen:", "tags:", "comments:"}

// isBoilerplate reports whether a sentence is page furniture rather than
// part of the story.
func isBoilerplate(s string) bool {
	l := strings.ToLower(s)
	for _, p := range boilerplatePhrases {
		if strings.Contains(l, p) {
			return true
		}
	}
	for _, p := range boilerplateLabels {
		if strings.HasPrefix(l, p) {
			return true
		}
	}
	// An e-mail address.
	if at := strings.IndexByte(l, '@'); at > 0 && at < len(l)-1 && l[at-1] != ' ' &&
		strings.Contains(strings.Fields(l[at:])[0], ".") {
		return true
	}
	return false
}

// stopWords are English function words left out of similarity.
var stopWords = set(strings.Fields(`a about above after again against all am an and any are as at be
because been before being below between both but by can could did do does doing down during each
few for from further had has have having he her here hers herself him himself his how i if in into
is it its itself just me more most my myself no nor not now of off on once only or other our ours
ourselves out over own same she should so some such than that the their theirs them themselves then
there these they this those through to too under until up very was we were what when where which
while who whom why will with would you your yours yourself yourselves said says say also s t one two
new year years would could like get got last told mr mrs ms`)...)
