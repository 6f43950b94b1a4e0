package main

import (
	"context"
	"errors"
	"fmt"
)

// cmdExtract prints the clean main text of one page or article (FILE, URL,
// page:URL or - for standard input): the text the summarizer is given.
// HTML goes through main-content extraction, Markdown is rendered, plain
// text is cleaned; a feed is refused. With -title the title comes first,
// then a blank line.
func cmdExtract(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "extract", "FILE|URL|-")
	title := fs.Bool("title", false, "print the title, then a blank line, before the text")
	if _, err := fs.parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageError{errors.New("extract: want one FILE, URL or - (standard input)")}
	}
	page, _, err := readPage(ctx, e, fs.Arg(0))
	if err != nil {
		return fmt.Errorf("extract: %w", err)
	}
	if *title && page.Title != "" {
		fmt.Fprintf(e.stdout, "%s\n\n", page.Title)
	}
	_, err = fmt.Fprintln(e.stdout, page.Text)
	return err
}
