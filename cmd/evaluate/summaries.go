package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"slices"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/digest-newsletter/digest/digest/summary"
	"github.com/digest-newsletter/digest/digest/summary/rouge"
)

// A newsArticle is one line of news-summaries-*.jsonl.
type newsArticle struct {
	ID        string `json:"id"`
	Article   string `json:"article"`
	Reference string `json:"reference"`
}

// The measures reported, in column order.
var measureNames = [...]string{"ROUGE-1", "ROUGE-2", "ROUGE-Lsum"}

// An articleScore is one system's F1 × 100 on one article, by measure.
type articleScore [len(measureNames)]float64

// evalSummaries scores the extractive summarizer, Lead-3 and plain TextRank
// against the human highlights with ROUGE-1, ROUGE-2 and ROUGE-Lsum (mean F1
// × 100, as rouge-score computes them), and prints the mean summary length.
//
// It then prints the paired difference between the extractive summarizer
// and each baseline, per measure, with a percentile bootstrap 95%
// confidence interval over articles (-bootstrap resamples, seeded, so the
// figures repeat), and the mean and standard deviation of the difference
// over the 5 folds of the articles (by a hash of the article ID). To keep
// a fold honest, tune on the others: -fold N scores only fold N.
//
//	go run ./cmd/evaluate summaries [-words N] [-sentences N] [-bootstrap N] [-fold N] [-v] [FILE]
func evalSummaries(w io.Writer, args []string) error {
	fs := flag.NewFlagSet("summaries", flag.ContinueOnError)
	words := fs.Int("words", summary.DefaultWords, "word budget of the summarizer and TextRank")
	sentences := fs.Int("sentences", summary.DefaultSentences, "most sentences of the summarizer and TextRank")
	resamples := fs.Int("bootstrap", 2000, "bootstrap resamples for the confidence intervals (0: none)")
	fold := fs.Int("fold", -1, "score only fold `N` (0 to 4) of the 5-fold split")
	verbose := fs.Bool("v", false, "print each article's ROUGE-1 F1 for the summarizer and Lead-3, worst first")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *fold >= folds {
		return fmt.Errorf("-fold %d: want 0 to %d", *fold, folds-1)
	}
	file := defaultNews
	if fs.NArg() > 0 {
		file = fs.Arg(0)
	}
	arts, err := readNews(file)
	if err != nil {
		return err
	}
	if *fold >= 0 {
		arts = slices.DeleteFunc(arts, func(a newsArticle) bool { return foldOf(a.ID) != *fold })
		if len(arts) == 0 {
			return fmt.Errorf("%s: no articles in fold %d", file, *fold)
		}
	}
	opts := summary.Options{Words: *words, Sentences: *sentences}
	ext := summary.New(opts)
	systems := []struct {
		name string
		sum  func(text string) []string
	}{
		{"extractive", ext.Sentences},
		{"lead-3", func(text string) []string { return summary.Lead(text, 3) }},
		{"textrank", func(text string) []string { return summary.TextRank(text, opts) }},
	}
	// scores[k][i] is system k's score on article i.
	scores := make([][]articleScore, len(systems))
	summaryWords := make([]float64, len(systems))
	var refWords float64
	for _, a := range arts {
		ref := strings.Split(a.Reference, "\n")
		refWords += float64(len(strings.Fields(a.Reference)))
		for k, s := range systems {
			cand := s.sum(a.Article)
			sc := rouge.Score(cand, ref)
			scores[k] = append(scores[k], articleScore{100 * sc.Rouge1.F1, 100 * sc.Rouge2.F1, 100 * sc.RougeLsum.F1})
			summaryWords[k] += float64(len(strings.Fields(strings.Join(cand, " "))))
		}
	}
	n := float64(len(arts))
	which := ""
	if *fold >= 0 {
		which = fmt.Sprintf(" (fold %d)", *fold)
	}
	fmt.Fprintf(w, "%d articles from %s%s; budget %d words, %d sentences; mean F1 × 100\n\n", len(arts), file, which, opts.Words, opts.Sentences)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "system\t%s\twords\t\n", strings.Join(measureNames[:], "\t"))
	for k, s := range systems {
		m := mean(scores[k])
		fmt.Fprintf(tw, "%s\t%.2f\t%.2f\t%.2f\t%.1f\t\n", s.name, m[0], m[1], m[2], summaryWords[k]/n)
	}
	fmt.Fprintf(tw, "reference\t\t\t\t%.1f\t\n", refWords/n)
	if err := tw.Flush(); err != nil {
		return err
	}

	// Paired differences, whole set and over the folds.
	fmt.Fprintf(w, "\nPaired difference extractive − baseline, mean over articles")
	if *resamples > 0 {
		fmt.Fprintf(w, " [bootstrap 95%% CI, %d resamples]", *resamples)
	}
	fmt.Fprintf(w, "; mean ± sd over the %d folds:\n\n", folds)
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "baseline\tmeasure\tall\t95% CI\tfolds\t")
	rng := rand.New(rand.NewPCG(1, 2))
	for k := 1; k < len(systems); k++ {
		d := differences(scores[0], scores[k])
		all := mean(d)
		var lo, hi articleScore
		if *resamples > 0 {
			lo, hi = bootstrap(d, *resamples, rng)
		}
		byFold := foldMeans(arts, d)
		for m, name := range measureNames {
			ci := "-"
			if *resamples > 0 {
				ci = fmt.Sprintf("[%+.2f, %+.2f]", lo[m], hi[m])
			}
			fmt.Fprintf(tw, "%s\t%s\t%+.2f\t%s\t%s\t\n", systems[k].name, name, all[m], ci, meanSpread(byFold[m], "%+.2f"))
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}

	if *verbose {
		type row struct {
			id        string
			ext, lead articleScore
		}
		rows := make([]row, len(arts))
		for i, a := range arts {
			rows[i] = row{a.ID, scores[0][i], scores[1][i]}
		}
		sort.SliceStable(rows, func(i, j int) bool { return rows[i].ext[0]-rows[i].lead[0] < rows[j].ext[0]-rows[j].lead[0] })
		fmt.Fprintln(w, "\nF1 per article, extractive then lead-3 (ROUGE-1, ROUGE-2, ROUGE-Lsum), worst ROUGE-1 against lead-3 first:")
		for _, r := range rows {
			fmt.Fprintf(w, "%6.2f %6.2f %6.2f   %6.2f %6.2f %6.2f  %s\n", r.ext[0], r.ext[1], r.ext[2], r.lead[0], r.lead[1], r.lead[2], r.id)
		}
	}
	return nil
}

// defaultNews is the development news set, from the repository's root.
const defaultNews = "../shared/eval/news-summaries-dev.jsonl"

// foldMeans returns, per measure, the mean score of each fold's articles;
// a fold without articles is left out.
func foldMeans(arts []newsArticle, s []articleScore) [len(measureNames)][]float64 {
	idx := make([][]int, folds)
	for i, a := range arts {
		idx[foldOf(a.ID)] = append(idx[foldOf(a.ID)], i)
	}
	var out [len(measureNames)][]float64
	for _, part := range idx {
		if len(part) == 0 {
			continue
		}
		m := meanOf(s, part)
		for k := range out {
			out[k] = append(out[k], m[k])
		}
	}
	return out
}

// differences returns a[i] − b[i] per article and measure.
func differences(a, b []articleScore) []articleScore {
	d := make([]articleScore, len(a))
	for i := range a {
		for m := range d[i] {
			d[i][m] = a[i][m] - b[i][m]
		}
	}
	return d
}

// mean averages all the scores.
func mean(s []articleScore) articleScore {
	idx := make([]int, len(s))
	for i := range idx {
		idx[i] = i
	}
	return meanOf(s, idx)
}

// meanOf averages the scores at idx; it is zero with nothing to average.
func meanOf(s []articleScore, idx []int) articleScore {
	var sum articleScore
	if len(idx) == 0 {
		return sum
	}
	for _, i := range idx {
		for m := range sum {
			sum[m] += s[i][m]
		}
	}
	for m := range sum {
		sum[m] /= float64(len(idx))
	}
	return sum
}

// bootstrap returns the percentile 95% confidence interval of the mean of
// d, per measure, from resamples draws of len(d) articles with replacement.
func bootstrap(d []articleScore, resamples int, rng *rand.Rand) (lo, hi articleScore) {
	means := make([][]float64, len(lo))
	for m := range means {
		means[m] = make([]float64, resamples)
	}
	for r := range resamples {
		var sum articleScore
		for range d {
			x := d[rng.IntN(len(d))]
			for m := range sum {
				sum[m] += x[m]
			}
		}
		for m := range sum {
			means[m][r] = sum[m] / float64(len(d))
		}
	}
	for m := range means {
		slices.Sort(means[m])
		lo[m] = means[m][int(0.025*float64(resamples))]
		hi[m] = means[m][min(resamples-1, int(0.975*float64(resamples)))]
	}
	return lo, hi
}

func readNews(file string) ([]newsArticle, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var arts []newsArticle
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 1<<20), 16<<20)
	for line := 1; sc.Scan(); line++ {
		if strings.TrimSpace(sc.Text()) == "" {
			continue
		}
		var a newsArticle
		if err := json.Unmarshal(sc.Bytes(), &a); err != nil {
			return nil, fmt.Errorf("%s:%d: %w", file, line, err)
		}
		arts = append(arts, a)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read %s: %w", file, err)
	}
	if len(arts) == 0 {
		return nil, fmt.Errorf("%s: no articles", file)
	}
	return arts, nil
}
