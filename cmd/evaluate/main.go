// Command evaluate measures the quality of digest's stages on the evaluation
// data in ../shared/eval (run it from the repository's root):
//
//	go run ./cmd/evaluate                   all three figures below, in short
//	go run ./cmd/evaluate blurbs [DIR]      share of clean blurbs on a page set
//	go run ./cmd/evaluate summaries [FILE]  ROUGE of the summarizer, Lead-3 and TextRank
//	go run ./cmd/evaluate pages [DIR]       precision, recall and F1 of page extraction
//
// Every figure comes with its mean and standard deviation over 5 folds of
// the set (by a hash of the article or page ID): the development sets are
// small, and a difference inside that spread is noise. docs/quality.md says
// how the figures are measured and what they have been.
package main

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/digest-newsletter/digest/digest/summary"
	"github.com/digest-newsletter/digest/digest/summary/rouge"
)

func main() {
	set := "all"
	if len(os.Args) > 1 {
		set = os.Args[1]
	}
	var err error
	switch set {
	case "all":
		err = evalAll(os.Stdout)
	case "blurbs":
		err = evalBlurbs(os.Stdout, os.Args[2:])
	case "summaries":
		err = evalSummaries(os.Stdout, os.Args[2:])
	case "pages":
		err = evalPages(os.Stdout, os.Args[2:])
	default:
		fmt.Fprintf(os.Stderr, "evaluate: unknown set %q\nusage: evaluate [blurbs [DIR] | summaries [FILE] | pages [DIR]]\n", set)
		os.Exit(2)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "evaluate: %v\n", err)
		os.Exit(1)
	}
}

// evalAll prints blurb cleanliness and extraction F1 on the development
// pages and ROUGE of the summarizer beside Lead-3 on the development news
// set, at the default budget.
func evalAll(w io.Writer) error {
	truth, blurbs, err := pageBlurbs(context.Background(), defaultPages)
	if err != nil {
		return err
	}
	s, _ := scoreBlurbs(truth, blurbs)
	printBlurbScore(w, s, foldBlurbRates(truth, blurbs))

	_, scores, err := extractionScores(defaultPages)
	if err != nil {
		return err
	}
	p, r, f := extractionF1(scores)
	fmt.Fprintf(w, "extraction: %d pages  precision: %.3f  recall: %.3f  F1: %.3f (folds %s)\n",
		len(scores), p, r, f, meanSpread(foldExtractionF1(scores), "%.3f"))

	arts, err := readNews(defaultNews)
	if err != nil {
		return err
	}
	ext := summary.New(summary.Options{})
	var extS, leadS []articleScore
	for _, a := range arts {
		ref := strings.Split(a.Reference, "\n")
		extS = append(extS, rougeOf(ext.Sentences(a.Article), ref))
		leadS = append(leadS, rougeOf(summary.Lead(a.Article, 3), ref))
	}
	fmt.Fprintf(w, "ROUGE: %d articles, budget %d words, mean F1 × 100; folds: mean ± sd over %d folds\n", len(arts), summary.DefaultWords, folds)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  measure\textractive\tfolds\tlead-3\tfolds\tmargin\t95% CI\tfolds\t")
	d := differences(extS, leadS)
	lo, hi := bootstrap(d, 2000, rand.New(rand.NewPCG(1, 2)))
	me, ml, md := mean(extS), mean(leadS), mean(d)
	fe, fl, fd := foldMeans(arts, extS), foldMeans(arts, leadS), foldMeans(arts, d)
	for m, name := range measureNames {
		fmt.Fprintf(tw, "  %s\t%.2f\t%s\t%.2f\t%s\t%+.2f\t[%+.2f, %+.2f]\t%s\t\n", name,
			me[m], meanSpread(fe[m], "%.2f"), ml[m], meanSpread(fl[m], "%.2f"),
			md[m], lo[m], hi[m], meanSpread(fd[m], "%+.2f"))
	}
	return tw.Flush()
}

// rougeOf returns a summary's ROUGE-1, ROUGE-2 and ROUGE-Lsum F1 × 100.
func rougeOf(cand, ref []string) articleScore {
	sc := rouge.Score(cand, ref)
	return articleScore{100 * sc.Rouge1.F1, 100 * sc.Rouge2.F1, 100 * sc.RougeLsum.F1}
}
