// Package summary writes the blurbs of a digest: it splits text into
// sentences, picks an extractive summary of each article under a length
// budget, scores summaries with ROUGE (subpackage rouge), writes the
// edition's "in this issue" overview, measures how alike two stories are,
// and optionally asks a language model for the blurb (LLM), falling back to
// the extractive summary.
//
// The extractive summarizer starts from the article's opening, which in
// news carries the story, and uses centrality (LexRank over TF-IDF sentence
// similarity) to choose which later sentences complete it, skipping
// sentences that repeat one already chosen, page furniture such as
// "Scroll down for video", and photo captions run into the text without a
// full stop. A blurb is made of whole sentences of the article as it is
// written, an agency's dateline ("(CNN) --") included: never a line without
// a final full stop, question or exclamation mark (a headline, a list item,
// a byline, a label), never the article's title, never half of a quotation
// or a bracket. Its word lists (stop words, furniture phrases) are
// English; sentence splitting also knows common abbreviations of German,
// Portuguese, Spanish, Italian and Indonesian and scripts without case.
package summary

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/digest-newsletter/digest/digest"
)

// Defaults of Options: a blurb of about 60 words in at most 3 sentences.
const (
	DefaultWords     = 60
	DefaultSentences = 3
)

// Options bound a summary's length. A summary never cuts a sentence: it holds
// at most Sentences whole sentences adding up to about Words words (the last
// one may overshoot Words by less than it would otherwise leave unused), and
// when no sentence fits it is the one best sentence, however long. Zero
// fields take the defaults.
type Options struct {
	Words, Sentences int
}

func (o Options) withDefaults() Options {
	if o.Words <= 0 {
		o.Words = DefaultWords
	}
	if o.Sentences <= 0 {
		o.Sentences = DefaultSentences
	}
	return o
}

// Extractive is the default summarizer: it picks whole sentences of the
// article. It is safe for concurrent use.
type Extractive struct {
	opts Options
	tune tuning
}

var _ digest.Summarizer = (*Extractive)(nil)

// New returns an extractive summarizer with these length bounds.
func New(opts Options) *Extractive {
	return &Extractive{opts: opts.withDefaults(), tune: defaultTuning}
}

// Summarize returns the blurb of a.Text, one sentence an element; an
// article without text has an empty blurb. The blurb never repeats
// a.Title: a first line that is the title is not a sentence of it.
// a.Lang, where the page gave it, chooses the abbreviations that do not end
// a sentence. It does no I/O: ctx is only checked for cancellation.
func (e *Extractive) Summarize(ctx context.Context, a digest.Article) ([]string, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("summarize %s: %w", a.ID, err)
	}
	return e.summarize(a.Text, a.Title, a.Lang), nil
}

// Sentences returns the summary of text, one sentence an element, in the
// article's order.
func (e *Extractive) Sentences(text string) []string {
	return e.summarize(text, "", "")
}

// summarize returns the summary of text in language lang ("" if unknown),
// never repeating title.
func (e *Extractive) summarize(text, title, lang string) []string {
	d := analyze(text, title, lang)
	if len(d.sents) == 0 {
		return nil
	}
	cent := centrality(d.sim)
	// Position first: the lede and the sentences after it carry a news
	// story. Centrality decides between the later sentences.
	score := make([]float64, len(d.sents))
	rank := 0
	for i, s := range d.sents {
		if !s.eligible {
			continue
		}
		score[i] = e.tune.positionWeight/math.Pow(float64(rank+1), e.tune.positionDecay) + cent[i]
		score[i] -= e.tune.oddityPenalty * float64(oddity(s.text))
		rank++
	}
	return d.pick(byScore(d, score), e.opts, true)
}

// A tuning weighs position against centrality in Extractive.
type tuning struct {
	// A sentence's score is positionWeight/(rank+1)^positionDecay plus its
	// centrality in [0,1], rank counting eligible sentences from 0: the lede
	// stays first and centrality reorders what follows it.
	positionWeight, positionDecay float64
	// oddityPenalty is taken off per oddity: quote opening, question,
	// caption label.
	oddityPenalty float64
}

// defaultTuning was chosen on the development set among round values,
// none of them at a sharp optimum, and checked by 5-fold cross-validation
// (TestCrossValidation; docs/quality.md has the figures).
var defaultTuning = tuning{positionWeight: 3.0, positionDecay: 0.3, oddityPenalty: 0.6}

// Fixed limits of Extractive.
const (
	redundancy = 0.4 // cosine above which a sentence repeats a chosen one
	minWords   = 5   // shorter sentences are fragments or headings
	maxWords   = 80  // longer ones are usually captions run together
)

// Lead returns the first n sentences of text, as Split finds them: the
// Lead-N baseline. It skips nothing and has no word budget.
func Lead(text string, n int) []string {
	s := Split(text)
	return s[:min(n, len(s))]
}

// TextRank returns a plain graph-centrality summary: the most central
// sentences (LexRank over TF-IDF cosine similarity) that fit in the length
// budget, in article order. It ignores position and redundancy; it is the
// baseline that Extractive improves on.
func TextRank(text string, opts Options) []string {
	d := analyze(text, "", "")
	if len(d.sents) == 0 {
		return nil
	}
	cent := centrality(d.sim)
	return d.pick(byScore(d, cent), opts.withDefaults(), false)
}

// oddity counts the marks of a sentence that reads badly out of context: it
// opens with a quote, asks a question, trails off, or opens with a caption
// label ("Pictured: ...").
func oddity(s string) int {
	n := 0
	if strings.ContainsAny(s[:1], openers) {
		n++
	}
	if strings.HasSuffix(s, "?") || strings.HasSuffix(s, "...") || strings.HasSuffix(s, "…") || strings.HasSuffix(s, ":") {
		n++
	}
	if first, _, ok := strings.Cut(s, " "); ok && strings.HasSuffix(first, ":") {
		n++
	}
	return n
}

// A sentence of an analyzed document.
type sentence struct {
	text     string
	words    int
	eligible bool // neither boilerplate nor a fragment
}

type document struct {
	sents []sentence
	vecs  []vector
	sim   [][]float64
}

func analyze(text, title, lang string) document {
	var d document
	var split []piece
	for _, para := range paragraphs(text) {
		var ps []piece
		for _, s := range splitParagraph(para, lang, nil) {
			ps = append(ps, splitCaptions(s)...)
		}
		split = append(split, joinQuotes(ps)...)
	}
	titleWords := wordsOf(title)
	if len(titleWords) > 0 && len(split) > 0 {
		split[0].text = cutTitle(split[0].text, titleWords)
		if split[0].text == "" {
			split = split[1:]
		}
	}
	docs := make([][]string, len(split))
	for i, p := range split {
		n := len(strings.Fields(p.text))
		d.sents = append(d.sents, sentence{
			text:  p.text,
			words: n,
			eligible: n >= minWords && n <= maxWords && !p.caption && !isBoilerplate(p.text) &&
				isWhole(p.text) && !slices.Equal(wordsOf(p.text), titleWords),
		})
		docs[i] = terms(p.text)
	}
	// A text made only of short lines still gets a blurb, though not one
	// that repeats the title.
	if !slices.ContainsFunc(d.sents, func(s sentence) bool { return s.eligible }) {
		for i := range d.sents {
			d.sents[i].eligible = !isBoilerplate(d.sents[i].text) && !slices.Equal(wordsOf(d.sents[i].text), titleWords)
		}
	}
	d.vecs = tfidf(docs)
	d.sim = make([][]float64, len(split))
	for i := range d.sim {
		d.sim[i] = make([]float64, len(split))
	}
	for i := range split {
		for j := i + 1; j < len(split); j++ {
			c := cosine(d.vecs[i], d.vecs[j])
			d.sim[i][j], d.sim[j][i] = c, c
		}
	}
	return d
}

// byScore returns the eligible sentences' indices, best first; ties go to
// the earlier sentence.
func byScore(d document, score []float64) []int {
	var idx []int
	for i, s := range d.sents {
		if s.eligible {
			idx = append(idx, i)
		}
	}
	slices.SortStableFunc(idx, func(a, b int) int {
		switch {
		case score[a] > score[b]:
			return -1
		case score[a] < score[b]:
			return 1
		}
		return 0
	})
	return idx
}

// pick takes sentences in order of preference while they fit the budget
// and, when dedupe is set, do not repeat a sentence already taken; it
// returns them in article order. The budget is "about N words": a sentence
// that overshoots it by less than it would leave unused is taken too, and
// ends the summary.
func (d document) pick(order []int, opts Options, dedupe bool) []string {
	var chosen []int
	left := opts.Words
	for _, i := range order {
		if len(chosen) == opts.Sentences {
			break
		}
		s := d.sents[i]
		if dedupe && slices.ContainsFunc(chosen, func(j int) bool { return d.sim[i][j] > redundancy }) {
			continue
		}
		if s.words <= left {
			chosen = append(chosen, i)
			left -= s.words
			continue
		}
		if len(chosen) > 0 && s.words-left < left {
			chosen = append(chosen, i)
			break
		}
	}
	return d.texts(chosen, order)
}

// texts returns the chosen sentences in article order; with none chosen,
// the most preferred sentence however long, so that an article with text
// always has a blurb.
func (d document) texts(chosen, order []int) []string {
	if len(chosen) == 0 {
		if len(order) == 0 {
			return nil
		}
		chosen = order[:1]
	}
	slices.Sort(chosen)
	out := make([]string, len(chosen))
	for k, i := range chosen {
		out[k] = d.sents[i].text
	}
	return out
}
