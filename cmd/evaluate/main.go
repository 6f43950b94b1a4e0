// Command evaluate measures the quality of digest's stages on the evaluation
// data in ../shared/eval:
//
//	go run ./cmd/evaluate summaries [FILE]  ROUGE of the summarizer, Lead-3 and TextRank
//	go run ./cmd/evaluate pages [DIR]       precision, recall and F1 of page extraction
package main

import (
	"fmt"
	"os"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: evaluate summaries [FILE] | pages [DIR]")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "summaries":
		err = evalSummaries(os.Stdout, os.Args[2:])
	case "pages":
		err = evalPages(os.Stdout, os.Args[2:])
	default:
		fmt.Fprintf(os.Stderr, "evaluate: unknown set %q\n", os.Args[1])
		os.Exit(2)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "evaluate: %v\n", err)
		os.Exit(1)
	}
}
