package rouge

import (
	"encoding/json"
	"math"
	"os"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestTokenize(t *testing.T) {
	tests := []struct {
		name, in string
		want     []string
	}{
		{"punctuation and case", "U.S. President's TALKS, in 2015!", []string{"u", "s", "presid", "s", "talk", "in", "2015"}},
		{"three letters unstemmed", "was his cats", []string{"was", "his", "cat"}},
		{"non-ascii is a separator", "café naïve", []string{"caf", "na", "ve"}},
		{"empty", " -- ", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, Tokenize(tt.in)); diff != "" {
				t.Errorf("Tokenize(%q) mismatch (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

// TestScoreHand checks cases worked out on paper.
func TestScoreHand(t *testing.T) {
	tests := []struct {
		name         string
		cand, ref    []string
		r1, r2, lsum Measure
	}{
		{
			// Unigrams: the×2, cat, on, mat = 5 of 6 each side. Bigrams: "the
			// cat", "on the", "the mat" = 3 of 5. LCS "the cat on the mat" = 5.
			name: "one sentence",
			cand: []string{"The cat sat on the mat."},
			ref:  []string{"The cat lay on the mat."},
			r1:   Measure{5.0 / 6, 5.0 / 6, 5.0 / 6},
			r2:   Measure{3.0 / 5, 3.0 / 5, 3.0 / 5},
			lsum: Measure{5.0 / 6, 5.0 / 6, 5.0 / 6},
		},
		{
			// Lin (2004) section 3.2: r = w1..w5, c1 = w1 w2 w6 w7 w8, c2 = w1
			// w3 w8 w9 w5; the union LCS is w1 w2 w3 w5, 4 hits of 5 reference
			// and 10 candidate tokens. Unigrams: w1 w2 w3 w5 = 4 (w1 clipped
			// to 1); bigrams: "w1 w2" of 9 candidate and 4 reference ones.
			name: "union LCS",
			cand: []string{"w1 w2 w6 w7 w8", "w1 w3 w8 w9 w5"},
			ref:  []string{"w1 w2 w3 w4 w5"},
			r1:   Measure{0.4, 0.8, 2 * 0.4 * 0.8 / 1.2},
			r2:   Measure{1.0 / 9, 1.0 / 4, 2.0 / 13},
			lsum: Measure{0.4, 0.8, 2 * 0.4 * 0.8 / 1.2},
		},
		{
			// "ran" LCS with both candidate sentences, counted once: each
			// side has one "ran".
			name: "no double counting",
			cand: []string{"dog ran", "cat ran"},
			ref:  []string{"ran"},
			r1:   Measure{0.25, 1, 0.4},
			r2:   Measure{0, 0, 0},
			lsum: Measure{0.25, 1, 0.4},
		},
		{
			name: "stemmed match",
			cand: []string{"Officers arrested protesters"},
			ref:  []string{"officer arrests protester"},
			r1:   Measure{1, 1, 1},
			r2:   Measure{1, 1, 1},
			lsum: Measure{1, 1, 1},
		},
		{
			name: "empty candidate",
			cand: nil,
			ref:  []string{"something happened"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Score(tt.cand, tt.ref)
			for _, c := range []struct {
				name      string
				got, want Measure
			}{{"ROUGE-1", got.Rouge1, tt.r1}, {"ROUGE-2", got.Rouge2, tt.r2}, {"ROUGE-Lsum", got.RougeLsum, tt.lsum}} {
				if !near(c.got.Precision, c.want.Precision) || !near(c.got.Recall, c.want.Recall) || !near(c.got.F1, c.want.F1) {
					t.Errorf("%s = %+v, want %+v", c.name, c.got, c.want)
				}
			}
		})
	}
}

// TestScoreReference compares with a transcription of rouge-score's own
// code run on dev articles (testdata/cases.json, written by testdata/gen.py).
func TestScoreReference(t *testing.T) {
	b, err := os.ReadFile("testdata/cases.json")
	if err != nil {
		t.Fatal(err)
	}
	var cases []struct {
		ID        string               `json:"id"`
		Candidate []string             `json:"candidate"`
		Reference []string             `json:"reference"`
		Scores    map[string][]float64 `json:"scores"`
	}
	if err := json.Unmarshal(b, &cases); err != nil {
		t.Fatal(err)
	}
	if len(cases) == 0 {
		t.Fatal("no cases")
	}
	for _, c := range cases {
		t.Run(c.ID, func(t *testing.T) {
			got := Score(c.Candidate, c.Reference)
			for name, m := range map[string]Measure{"rouge1": got.Rouge1, "rouge2": got.Rouge2, "rougeLsum": got.RougeLsum} {
				want := c.Scores[name]
				if !near(m.Precision, want[0]) || !near(m.Recall, want[1]) || !near(m.F1, want[2]) {
					t.Errorf("%s = %+v, want %v", name, m, want)
				}
			}
		})
	}
}

func BenchmarkScore(b *testing.B) {
	cand := []string{"The West Brom midfielder has chosen Tottenham striker Kane for the top award.", "Chelsea wideman Hazard is his pick for young player of the year."}
	ref := []string{"Youssouf Mulumbu has picked Harry Kane and Eden Hazard.", "The West Brom man posted his voting slip on Twitter."}
	for b.Loop() {
		Score(cand, ref)
	}
}
