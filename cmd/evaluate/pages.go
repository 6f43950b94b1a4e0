package main

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/digest-newsletter/digest/digest/extract"
)

// evalPages scores extract.HTML on a page set as scrapinghub's
// article-extraction-benchmark evaluate.py does: tokens are \w+ runs, the
// 4-token shingles of extracted and true text are compared per page, and the
// F1 is taken of the mean precision and mean recall over pages.
//
//	go run ./cmd/evaluate pages [-v] [DIR]
func evalPages(w io.Writer, args []string) error {
	fs := flag.NewFlagSet("pages", flag.ContinueOnError)
	verbose := fs.Bool("v", false, "print each page's precision and recall, worst first")
	if err := fs.Parse(args); err != nil {
		return err
	}
	dir := defaultPages
	if fs.NArg() > 0 {
		dir = fs.Arg(0)
	}
	truth, scores, err := extractionScores(dir)
	if err != nil {
		return err
	}
	if *verbose {
		slices.SortFunc(scores, func(a, b pageScore) int {
			fa, fb := f1(a.p, a.r), f1(b.p, b.r)
			switch {
			case fa < fb:
				return -1
			case fa > fb:
				return 1
			}
			return strings.Compare(a.id, b.id)
		})
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "page\tprecision\trecall\tF1\ttokens\turl")
		for _, s := range scores {
			fmt.Fprintf(tw, "%.12s\t%.3f\t%.3f\t%.3f\t%d\t%s\n", s.id, s.p, s.r, f1(s.p, s.r), s.gotTokens, truth[s.id].URL)
		}
		tw.Flush()
		fmt.Fprintln(w)
	}
	p, r, f := extractionF1(scores)
	fmt.Fprintf(w, "pages: %d  precision: %.3f  recall: %.3f  F1: %.3f (folds %s)\n", len(scores), p, r, f, meanSpread(foldExtractionF1(scores), "%.3f"))
	return nil
}

// defaultPages is the development page set, from the repository's root.
const defaultPages = "../shared/eval/pages-dev"

// A pageScore is the extraction precision and recall on one page; pOK and
// rOK are false for a figure that evaluate.py leaves out of its means.
type pageScore struct {
	id        string
	p, r      float64
	pOK, rOK  bool
	gotTokens int
}

// extractionScores extracts the main text of every page of the set in dir
// and scores it against the true article body.
func extractionScores(dir string) (map[string]truePage, []pageScore, error) {
	truth, err := readGroundTruth(filepath.Join(dir, "ground-truth.json"))
	if err != nil {
		return nil, nil, err
	}
	ids := make([]string, 0, len(truth))
	for id := range truth {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	var scores []pageScore
	for _, id := range ids {
		page, err := readGzip(filepath.Join(dir, id+".html.gz"))
		if err != nil {
			return nil, nil, err
		}
		u, _ := url.Parse(truth[id].URL)
		got, err := extract.HTML(bytes.NewReader(page), u, "")
		if err != nil && !errors.Is(err, extract.ErrNoContent) {
			return nil, nil, fmt.Errorf("page %s: %w", id, err)
		}
		p, pOK, r, rOK := precisionRecall(shingleScore(truth[id].ArticleBody, got.Text))
		scores = append(scores, pageScore{id, p, r, pOK, rOK, len(tokenRE.FindAllString(got.Text, -1))})
	}
	if len(scores) == 0 {
		return nil, nil, fmt.Errorf("pages: no pages in %s", dir)
	}
	return truth, scores, nil
}

// extractionF1 returns the mean precision and recall over the pages and
// the F1 of the two means, as evaluate.py does.
func extractionF1(scores []pageScore) (p, r, f float64) {
	var nP, nR int
	for _, s := range scores {
		if s.pOK {
			p += s.p
			nP++
		}
		if s.rOK {
			r += s.r
			nR++
		}
	}
	if nP > 0 {
		p /= float64(nP)
	}
	if nR > 0 {
		r /= float64(nR)
	}
	return p, r, f1(p, r)
}

// foldExtractionF1 returns the extraction F1 on each fold of the pages.
func foldExtractionF1(scores []pageScore) []float64 {
	out := make([]float64, folds)
	for k := range folds {
		var part []pageScore
		for _, s := range scores {
			if foldOf(s.id) == k {
				part = append(part, s)
			}
		}
		_, _, out[k] = extractionF1(part)
	}
	return out
}

type truePage struct {
	URL         string `json:"url"`
	ArticleBody string `json:"articleBody"`
}

func readGroundTruth(name string) (map[string]truePage, error) {
	b, err := os.ReadFile(name)
	if err != nil {
		return nil, err
	}
	var truth map[string]truePage
	if err := json.Unmarshal(b, &truth); err != nil {
		return nil, fmt.Errorf("parse %s: %w", name, err)
	}
	return truth, nil
}

func readGzip(name string) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	b, err := io.ReadAll(zr)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	return b, nil
}

// tokenRE is Python's Unicode \w+.
var tokenRE = regexp.MustCompile(`[\p{L}\p{N}\p{Mn}\p{Mc}_]+`)

// shingleScore returns the counts of true positive, false positive and
// false negative 4-token shingles of got against want, counted as
// multisets and normalized to sum to 1, as evaluate.py does.
func shingleScore(want, got string) (tp, fp, fn float64) {
	ws, gs := shingles(want), shingles(got)
	for s, g := range gs {
		w := ws[s]
		tp += float64(min(w, g))
		fp += float64(max(0, g-w))
	}
	for s, w := range ws {
		fn += float64(max(0, w-gs[s]))
	}
	if sum := tp + fp + fn; sum > 0 {
		tp, fp, fn = tp/sum, fp/sum, fn/sum
	}
	return tp, fp, fn
}

// precisionRecall scores one page; ok is false for a score that
// evaluate.py leaves out of its mean (nothing predicted, or nothing true).
func precisionRecall(tp, fp, fn float64) (p float64, pOK bool, r float64, rOK bool) {
	if fp == 0 && fn == 0 {
		return 1, tp > 0, 1, tp > 0
	}
	if tp+fp > 0 {
		p, pOK = tp/(tp+fp), true
	}
	if tp+fn > 0 {
		r, rOK = tp/(tp+fn), true
	}
	return p, pOK, r, rOK
}

func shingles(text string) map[string]int {
	toks := tokenRE.FindAllString(text, -1)
	set := make(map[string]int)
	for i := 0; i < len(toks)-3 || (i == 0 && len(toks) > 0); i++ {
		set[strings.Join(toks[i:min(i+4, len(toks))], "\x00")]++
	}
	return set
}

func f1(p, r float64) float64 {
	if p+r == 0 {
		return 0
	}
	return 2 * p * r / (p + r)
}
