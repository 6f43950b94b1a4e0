package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
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

// evalSummaries scores the extractive summarizer, Lead-3 and plain TextRank
// against the human highlights with ROUGE-1, ROUGE-2 and ROUGE-Lsum (mean F1
// × 100, as rouge-score computes them), and prints the mean summary length.
//
//	go run ./cmd/evaluate summaries [-words N] [-sentences N] [-v] [FILE]
func evalSummaries(w io.Writer, args []string) error {
	fs := flag.NewFlagSet("summaries", flag.ContinueOnError)
	words := fs.Int("words", summary.DefaultWords, "word budget of the summarizer and TextRank")
	sentences := fs.Int("sentences", summary.DefaultSentences, "most sentences of the summarizer and TextRank")
	verbose := fs.Bool("v", false, "print each article's ROUGE-1 F1 for the summarizer and Lead-3, worst first")
	if err := fs.Parse(args); err != nil {
		return err
	}
	file := "../shared/eval/news-summaries-dev.jsonl"
	if fs.NArg() > 0 {
		file = fs.Arg(0)
	}
	arts, err := readNews(file)
	if err != nil {
		return err
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
	type total struct{ r1, r2, rl, words float64 }
	totals := make([]total, len(systems))
	type row struct {
		id        string
		ext, lead float64
	}
	var rows []row
	var refWords float64
	for _, a := range arts {
		ref := strings.Split(a.Reference, "\n")
		refWords += float64(len(strings.Fields(a.Reference)))
		var r row
		r.id = a.ID
		for k, s := range systems {
			cand := s.sum(a.Article)
			sc := rouge.Score(cand, ref)
			totals[k].r1 += sc.Rouge1.F1
			totals[k].r2 += sc.Rouge2.F1
			totals[k].rl += sc.RougeLsum.F1
			totals[k].words += float64(len(strings.Fields(strings.Join(cand, " "))))
			switch k {
			case 0:
				r.ext = sc.Rouge1.F1
			case 1:
				r.lead = sc.Rouge1.F1
			}
		}
		rows = append(rows, r)
	}
	n := float64(len(arts))
	fmt.Fprintf(w, "%d articles from %s; budget %d words, %d sentences; mean F1 × 100\n\n", len(arts), file, opts.Words, opts.Sentences)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "system\tROUGE-1\tROUGE-2\tROUGE-Lsum\twords\t")
	for k, s := range systems {
		t := totals[k]
		fmt.Fprintf(tw, "%s\t%.2f\t%.2f\t%.2f\t%.1f\t\n", s.name, 100*t.r1/n, 100*t.r2/n, 100*t.rl/n, t.words/n)
	}
	fmt.Fprintf(tw, "reference\t\t\t\t%.1f\t\n", refWords/n)
	if err := tw.Flush(); err != nil {
		return err
	}
	if *verbose {
		sort.Slice(rows, func(i, j int) bool { return rows[i].ext-rows[i].lead < rows[j].ext-rows[j].lead })
		fmt.Fprintln(w, "\nROUGE-1 F1 per article (extractive, lead-3), worst against lead-3 first:")
		for _, r := range rows {
			fmt.Fprintf(w, "%6.2f %6.2f  %s\n", 100*r.ext, 100*r.lead, r.id)
		}
	}
	return nil
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
