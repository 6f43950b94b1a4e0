package main

import (
	"context"
	"errors"
)

func cmdSummarize(ctx context.Context, e *env, args []string) error {
	return errors.New("summarize: not implemented yet")
}
