package stem

import (
	"bufio"
	"os"
	"strings"
	"testing"
)

func TestStemKnown(t *testing.T) {
	// Examples from Porter's paper, and NLTK's own extensions.
	tests := map[string]string{
		"caresses": "caress", "ponies": "poni", "ties": "tie", "caress": "caress", "cats": "cat",
		"feed": "feed", "agreed": "agre", "plastered": "plaster", "bled": "bled",
		"motoring": "motor", "sing": "sing", "conflated": "conflat", "troubled": "troubl",
		"sized": "size", "hopping": "hop", "tanned": "tan", "falling": "fall", "hissing": "hiss",
		"fizzed": "fizz", "failing": "fail", "filing": "file", "happy": "happi", "sky": "sky",
		"relational": "relat", "conditional": "condit", "rational": "ration", "valenci": "valenc",
		"digitizer": "digit", "conformabli": "conform", "radicalli": "radic", "differentli": "differ",
		"vileli": "vile", "analogousli": "analog", "vietnamization": "vietnam", "predication": "predic",
		"operator": "oper", "feudalism": "feudal", "decisiveness": "decis", "hopefulness": "hope",
		"callousness": "callous", "formaliti": "formal", "sensitiviti": "sensit", "sensibiliti": "sensibl",
		"triplicate": "triplic", "formative": "form", "formalize": "formal", "electriciti": "electr",
		"electrical": "electr", "hopeful": "hope", "goodness": "good", "revival": "reviv",
		"allowance": "allow", "inference": "infer", "airliner": "airlin", "gyroscopic": "gyroscop",
		"adjustable": "adjust", "defensible": "defens", "irritant": "irrit", "replacement": "replac",
		"adjustment": "adjust", "dependent": "depend", "adoption": "adopt", "homologou": "homolog",
		"communism": "commun", "activate": "activ", "angulariti": "angular", "homologous": "homolog",
		"effective": "effect", "bowdlerize": "bowdler", "probate": "probat", "rate": "rate",
		"cease": "ceas", "controll": "control", "roll": "roll",
		// NLTK_EXTENSIONS.
		"dying": "die", "skies": "sky", "news": "news", "innings": "inning", "enjoy": "enjoy",
		"spied": "spi", "dies": "die", "generously": "gener", "logically": "logic",
		"by": "by", "is": "is",
	}
	for word, want := range tests {
		t.Run(word, func(t *testing.T) {
			if got := Stem(word); got != want {
				t.Errorf("Stem(%q) = %q, want %q", word, got, want)
			}
		})
	}
}

// TestStemNLTK compares every word of the dev set with the stem NLTK gave it
// (testdata/stems.txt, written by testdata/gen.py).
func TestStemNLTK(t *testing.T) {
	f, err := os.Open("testdata/stems.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	n, bad := 0, 0
	for sc.Scan() {
		word, want, _ := strings.Cut(sc.Text(), " ")
		n++
		if got := Stem(word); got != want {
			bad++
			if bad <= 20 {
				t.Errorf("Stem(%q) = %q, want %q", word, got, want)
			}
		}
	}
	if n < 5000 {
		t.Fatalf("read %d words from stems.txt, want thousands", n)
	}
	if bad > 0 {
		t.Errorf("%d of %d stems differ from NLTK", bad, n)
	}
}
