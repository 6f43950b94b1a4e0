package summary

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/digest-newsletter/digest/digest"
	"github.com/digest-newsletter/digest/digest/summary/rouge"
	"github.com/google/go-cmp/cmp"
)

const story = `(CNN) -- Floods swept through the river town of Millbrook on Tuesday, forcing hundreds of families from their homes. Scroll down for video. The river rose three metres overnight after a week of heavy rain across the valley. Emergency crews used boats to rescue residents trapped on rooftops in the lower town. "We lost everything," said one resident. Officials said the flood defences built in 2010 had failed in two places. The town council will meet on Friday to plan the clean-up of the flooded streets. Click here to sign up for our newsletter. Forecasters expect more rain in the valley next week, which could bring the river up again.`

func words(ss []string) int { return len(strings.Fields(strings.Join(ss, " "))) }

func TestExtractiveShape(t *testing.T) {
	all := Split(story)
	tests := []struct {
		name string
		opts Options
	}{
		{"defaults", Options{}},
		{"short budget", Options{Words: 25, Sentences: 3}},
		{"one sentence", Options{Words: 60, Sentences: 1}},
		{"long budget", Options{Words: 200, Sentences: 5}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := tt.opts.withDefaults()
			got := New(tt.opts).Sentences(story)
			if len(got) == 0 || len(got) > opts.Sentences {
				t.Fatalf("got %d sentences, want 1..%d: %q", len(got), opts.Sentences, got)
			}
			// Whole sentences of the article, in its order, never page
			// furniture.
			last := -1
			for _, s := range got {
				i := slices.IndexFunc(all, func(a string) bool { return strings.HasSuffix(a, s) })
				if i < 0 {
					t.Errorf("%q is not a sentence of the article", s)
				}
				if i <= last {
					t.Errorf("%q is out of article order", s)
				}
				last = i
				if isBoilerplate(s) {
					t.Errorf("boilerplate sentence chosen: %q", s)
				}
			}
			// About the budget: the last sentence may overshoot by less than
			// it would have left unused.
			if n, lastWords := words(got), len(strings.Fields(got[len(got)-1])); len(got) > 1 && n-opts.Words >= opts.Words-(n-lastWords) {
				t.Errorf("summary has %d words for a budget of %d: %q", n, opts.Words, got)
			}
			// The agency's dateline is part of the lede as the article
			// prints it: cut off, the lede would not be a whole sentence.
			if !strings.HasPrefix(got[0], "(CNN) -- ") {
				t.Errorf("dateline cut from the lede: %q", got[0])
			}
		})
	}
}

func TestExtractiveLedeFirst(t *testing.T) {
	got := New(Options{}).Sentences(story)
	want := "(CNN) -- Floods swept through the river town of Millbrook on Tuesday, forcing hundreds of families from their homes."
	if got[0] != want {
		t.Errorf("first sentence = %q, want the lede %q", got[0], want)
	}
}

func TestExtractiveEdges(t *testing.T) {
	tests := []struct {
		name, text string
		want       []string
	}{
		{"empty", "", nil},
		{"only boilerplate", "Click here to subscribe to our newsletter.", nil},
		{"one short line", "Markets rallied.", []string{"Markets rallied."}},
		{"one long sentence over budget", strings.Repeat("word ", 90) + "end.", []string{strings.Repeat("word ", 90) + "end."}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := New(Options{}).Sentences(tt.text)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Sentences mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSummarizeCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := New(Options{}).Summarize(ctx, digest.Article{ID: "a", Text: story})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
}

func TestLead(t *testing.T) {
	got := Lead("One is here. Two is here. Three is here. Four is here.", 3)
	want := []string{"One is here.", "Two is here.", "Three is here."}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Lead mismatch (-want +got):\n%s", diff)
	}
	if got := Lead("Only one.", 3); len(got) != 1 {
		t.Errorf("Lead of one sentence = %q", got)
	}
}

// devSet reads the development articles, or skips the test without them.
func devSet(tb testing.TB) (arts, refs []string) {
	f, err := os.Open("../../../shared/eval/news-summaries-dev.jsonl")
	if err != nil {
		tb.Skipf("no dev set: %v", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 16<<20)
	for sc.Scan() {
		var a struct{ Article, Reference string }
		if err := json.Unmarshal(sc.Bytes(), &a); err != nil {
			tb.Fatal(err)
		}
		arts = append(arts, a.Article)
		refs = append(refs, a.Reference)
	}
	return arts, refs
}

type means struct{ r1, r2, rl float64 }

func meanScores(arts, refs []string, sum func(string) []string) means {
	var m means
	for i := range arts {
		s := rouge.Score(sum(arts[i]), strings.Split(refs[i], "\n"))
		m.r1 += 100 * s.Rouge1.F1 / float64(len(arts))
		m.r2 += 100 * s.Rouge2.F1 / float64(len(arts))
		m.rl += 100 * s.RougeLsum.F1 / float64(len(arts))
	}
	return m
}

// TestDevQuality holds the summarizer to the bar on the dev set: at
// or above Lead-3 on ROUGE-1, ROUGE-2 and ROUGE-Lsum, and at least 4 points
// of ROUGE-1 above plain TextRank.
func TestDevQuality(t *testing.T) {
	arts, refs := devSet(t)
	ext := meanScores(arts, refs, New(Options{}).Sentences)
	lead := meanScores(arts, refs, func(s string) []string { return Lead(s, 3) })
	tr := meanScores(arts, refs, func(s string) []string { return TextRank(s, Options{}) })
	t.Logf("extractive %+v, lead-3 %+v, textrank %+v", ext, lead, tr)
	if ext.r1 < lead.r1 || ext.r2 < lead.r2 || ext.rl < lead.rl {
		t.Errorf("extractive %+v below lead-3 %+v", ext, lead)
	}
	if ext.r1 < tr.r1+4 {
		t.Errorf("extractive ROUGE-1 %.2f, want at least 4 above TextRank's %.2f", ext.r1, tr.r1)
	}
}

// BenchmarkSummarizeDev summarizes the 100 dev articles per op.
func BenchmarkSummarizeDev(b *testing.B) {
	arts, _ := devSet(b)
	e := New(Options{})
	for b.Loop() {
		for _, a := range arts {
			e.Sentences(a)
		}
	}
}
