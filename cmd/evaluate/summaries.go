package main

import (
	"errors"
	"io"
)

func evalSummaries(w io.Writer, args []string) error {
	return errors.New("summaries: not implemented yet")
}
