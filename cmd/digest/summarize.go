package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/digest-newsletter/digest/digest"
	"github.com/digest-newsletter/digest/digest/summary"
)

// cmdSummarize prints the extractive summary of one article (FILE, URL,
// page:URL as in the sources list, or - for standard input), one sentence
// a line. HTML pages are reduced to their main text first, Markdown is
// rendered, plain text is cleaned; a feed is refused (exit 2), since it is
// a list of articles, not one. The length
// budget is --words and --sentences, by default the blurb settings
// (--summary-words, --summary-sentences).
func cmdSummarize(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "summarize", "FILE|URL|page:URL|-")
	words := fs.Int("words", 0, "length budget in words (default: the --summary-words setting)")
	sentences := fs.Int("sentences", 0, "most sentences (default: the --summary-sentences setting)")
	cfg, err := fs.parse(args)
	if err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageError{errors.New("summarize: want one FILE, URL, page:URL or - (standard input)")}
	}
	if *words < 0 || *sentences < 0 {
		return usageError{errors.New("summarize: --words and --sentences must not be negative")}
	}
	opts := summary.Options{Words: cfg.SummaryWords, Sentences: cfg.SummarySentences}
	if *words > 0 {
		opts.Words = *words
	}
	if *sentences > 0 {
		opts.Sentences = *sentences
	}
	page, name, err := readPage(ctx, e, fs.Arg(0))
	if err != nil {
		return fmt.Errorf("summarize: %w", err)
	}
	blurb, err := summary.New(opts).Summarize(ctx, digest.Article{ID: name, Title: page.Title, Lang: page.Lang, Text: page.Text})
	if err != nil {
		return err
	}
	// As an edition shows it: no control, bidi or zero-width character
	// from the page reaches the terminal.
	blurb = digest.CleanBlurb(blurb)
	if len(blurb) == 0 {
		return &digest.InputError{File: name, Err: errors.New("no sentence to summarize")}
	}
	for _, s := range blurb {
		if _, err := fmt.Fprintln(e.stdout, s); err != nil {
			return err
		}
	}
	return nil
}
