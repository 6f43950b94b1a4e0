package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"unicode"

	"github.com/digest-newsletter/digest/digest"
	"github.com/digest-newsletter/digest/digest/extract"
	"github.com/digest-newsletter/digest/digest/summary"
	"golang.org/x/text/cases"
	"golang.org/x/text/unicode/norm"
)

// A blurbScore is blurb cleanliness over a page set, in the fields the
// evaluation script blurbs.py prints.
type blurbScore struct {
	Pages        int `json:"pages"`
	Clean        int `json:"clean_blurbs"`
	Sentences    int `json:"sentences"`
	BadSentences int `json:"bad_sentences"`
	Empty        int `json:"empty"`
}

// Rate is the share of clean blurbs.
func (s blurbScore) Rate() float64 {
	if s.Pages == 0 {
		return 0
	}
	return float64(s.Clean) / float64(s.Pages)
}

// A blurbDefect is one reason a blurb is not clean.
type blurbDefect struct {
	ID, Why, Text string
}

// bodyWordRE is Python's [^\W_]+: runs of letters and digits.
var bodyWordRE = regexp.MustCompile(`[\p{L}\p{N}]+`)

// A bodyWord is one word of a text: case folded, with its byte span.
type bodyWord struct {
	w          string
	start, end int
}

// bodyWords returns the words of s, case-folded as Python's str.casefold
// does (ß → ss); s must be NFKC-normalized for the spans to index it.
func bodyWords(s string) []bodyWord {
	fold := cases.Fold() // a Caser is not safe for concurrent use
	idx := bodyWordRE.FindAllStringIndex(s, -1)
	out := make([]bodyWord, len(idx))
	for i, m := range idx {
		out[i] = bodyWord{fold.String(s[m[0]:m[1]]), m[0], m[1]}
	}
	return out
}

// wholeSentence reports whether sent is a whole sentence of body: its words
// occur there in a run that starts after . ! ? : ; or a line break (or at
// the body's start) and is followed by white space before the next word
// (or by the body's end). body must be NFKC-normalized; bw are its words.
func wholeSentence(sent, body string, bw []bodyWord) bool {
	sw := bodyWords(norm.NFKC.String(sent))
	n := len(sw)
	if n == 0 {
		return false
	}
	for i := 0; i+n <= len(bw); i++ {
		match := true
		for k := range n {
			if bw[i+k].w != sw[k].w {
				match = false
				break
			}
		}
		if !match {
			continue
		}
		start, end := bw[i].start, bw[i+n-1].end
		okBefore := i == 0
		if !okBefore {
			before := body[bw[i-1].end:start]
			okBefore = strings.ContainsAny(before, "\n.!?:;")
		}
		okAfter := i+n == len(bw)
		if !okAfter {
			okAfter = strings.IndexFunc(body[end:bw[i+n].start], unicode.IsSpace) >= 0
		}
		if okBefore && okAfter {
			return true
		}
	}
	return false
}

// balanced reports whether text's straight double quotes come in pairs and
// its curly double quotes and round brackets each open as often as they
// close.
func balanced(text string) bool {
	t := norm.NFKC.String(text)
	return strings.Count(t, `"`)%2 == 0 &&
		strings.Count(t, "\u201c") == strings.Count(t, "\u201d") &&
		strings.Count(t, "(") == strings.Count(t, ")")
}

// blurbLines returns the non-empty trimmed lines of a blurb as printed, one
// sentence a line.
func blurbLines(text string) []string {
	text = strings.ReplaceAll(text, "\r\n", "\n")
	text = strings.ReplaceAll(text, "\r", "\n")
	var out []string
	for l := range strings.SplitSeq(text, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

// scoreBlurbs scores blurbs (page ID → sentences; a page missing from the
// map has an empty blurb) against the pages' true article bodies, as
// blurbs.py does: a blurb is clean when every sentence is a whole sentence
// of the body, its double quotes and brackets balance, and it is not empty
// where the body has 30 words or more. Defects are listed in page order.
func scoreBlurbs(truth map[string]truePage, blurbs map[string][]string) (blurbScore, []blurbDefect) {
	ids := make([]string, 0, len(truth))
	for id := range truth {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	var s blurbScore
	var defects []blurbDefect
	for _, id := range ids {
		body := norm.NFKC.String(truth[id].ArticleBody)
		bw := bodyWords(body)
		lines := blurbs[id]
		s.Pages++
		if len(lines) == 0 {
			if len(bw) >= 30 {
				s.Empty++
				defects = append(defects, blurbDefect{id, "empty blurb", ""})
			} else {
				s.Clean++
			}
			continue
		}
		ok := true
		for _, l := range lines {
			s.Sentences++
			if !wholeSentence(l, body, bw) {
				s.BadSentences++
				ok = false
				defects = append(defects, blurbDefect{id, "not a whole body sentence", l})
			}
		}
		if all := strings.Join(lines, " "); !balanced(all) {
			ok = false
			defects = append(defects, blurbDefect{id, "unbalanced quotes or brackets", all})
		}
		if ok {
			s.Clean++
		}
	}
	return s, defects
}

// pageBlurb returns the blurb that `digest summarize FILE` prints for the
// page saved as name: the page's clean text through the default extractive
// summarizer, one sentence an element.
func pageBlurb(ctx context.Context, page []byte, name string) ([]string, error) {
	p, err := extract.Any(page, name, "")
	if errors.Is(err, extract.ErrNoContent) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return summary.New(summary.Options{}).Summarize(ctx, digest.Article{ID: name, Title: p.Title, Lang: p.Lang, Text: p.Text})
}

// evalBlurbs scores blurb cleanliness on a page set: the blurb of each page
// (as `digest summarize ID.html` prints it) against its true article body,
// as ../shared/eval/blurbs.py does. With -out DIR it also writes each blurb
// to DIR/ID.txt, one sentence a line, the input of blurbs.py; with -score
// DIR it scores the blurbs found there instead, as blurbs.py would.
//
//	go run ./cmd/evaluate blurbs [-v] [-out DIR | -score DIR] [DIR]
func evalBlurbs(w io.Writer, args []string) error {
	fs := flag.NewFlagSet("blurbs", flag.ContinueOnError)
	verbose := fs.Bool("v", false, "list each defect")
	out := fs.String("out", "", "write each blurb to `DIR`/ID.txt")
	given := fs.String("score", "", "score the blurbs in `DIR`/ID.txt instead of the summarizer's")
	if err := fs.Parse(args); err != nil {
		return err
	}
	dir := defaultPages
	if fs.NArg() > 0 {
		dir = fs.Arg(0)
	}
	var truth map[string]truePage
	var blurbs map[string][]string
	var err error
	if *given != "" {
		truth, err = readGroundTruth(filepath.Join(dir, "ground-truth.json"))
		if err == nil {
			blurbs, err = readBlurbs(*given, truth)
		}
	} else {
		truth, blurbs, err = pageBlurbs(context.Background(), dir)
	}
	if err != nil {
		return err
	}
	if *out != "" {
		if err := writeBlurbs(*out, blurbs); err != nil {
			return err
		}
	}
	s, defects := scoreBlurbs(truth, blurbs)
	printBlurbScore(w, s, foldBlurbRates(truth, blurbs))
	if *verbose {
		for _, d := range defects {
			fmt.Fprintf(w, "%.12s  %s: %s\n", d.ID, d.Why, firstRunes(d.Text, 150))
		}
	}
	return nil
}

func printBlurbScore(w io.Writer, s blurbScore, folds []float64) {
	fmt.Fprintf(w, "blurbs: %d pages  clean: %d (%.2f; folds %s)  sentences: %d  not whole: %d  empty: %d\n",
		s.Pages, s.Clean, s.Rate(), meanSpread(folds, "%.2f"), s.Sentences, s.BadSentences, s.Empty)
}

// foldBlurbRates returns the clean rate on each fold of the page set.
func foldBlurbRates(truth map[string]truePage, blurbs map[string][]string) []float64 {
	rates := make([]float64, folds)
	for f := range folds {
		part := map[string]truePage{}
		for id, p := range truth {
			if foldOf(id) == f {
				part[id] = p
			}
		}
		s, _ := scoreBlurbs(part, blurbs)
		rates[f] = s.Rate()
	}
	return rates
}

// pageBlurbs reads a page set and returns its ground truth and the blurb
// of each page.
func pageBlurbs(ctx context.Context, dir string) (map[string]truePage, map[string][]string, error) {
	truth, err := readGroundTruth(filepath.Join(dir, "ground-truth.json"))
	if err != nil {
		return nil, nil, err
	}
	blurbs := make(map[string][]string, len(truth))
	for id := range truth {
		page, err := readGzip(filepath.Join(dir, id+".html.gz"))
		if err != nil {
			return nil, nil, err
		}
		b, err := pageBlurb(ctx, page, id+".html")
		if err != nil {
			return nil, nil, fmt.Errorf("page %s: %w", id, err)
		}
		blurbs[id] = b
	}
	return truth, blurbs, nil
}

// writeBlurbs writes each blurb to dir/ID.txt, one sentence a line.
func writeBlurbs(dir string, blurbs map[string][]string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for id, b := range blurbs {
		var buf bytes.Buffer
		for _, s := range b {
			buf.WriteString(s)
			buf.WriteByte('\n')
		}
		if err := os.WriteFile(filepath.Join(dir, id+".txt"), buf.Bytes(), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// readBlurbs reads dir/ID.txt for each page of truth, as blurbs.py does; a
// missing file is an empty blurb.
func readBlurbs(dir string, truth map[string]truePage) (map[string][]string, error) {
	blurbs := make(map[string][]string, len(truth))
	for id := range truth {
		b, err := os.ReadFile(filepath.Join(dir, id+".txt"))
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		blurbs[id] = blurbLines(string(bytes.ToValidUTF8(b, []byte("\uFFFD"))))
	}
	return blurbs, nil
}

func firstRunes(s string, n int) string {
	r := []rune(s)
	return string(r[:min(n, len(r))])
}
