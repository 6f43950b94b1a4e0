package main

import (
	"context"
	"errors"
)

func cmdExtract(ctx context.Context, e *env, args []string) error {
	return errors.New("extract: not implemented yet")
}
