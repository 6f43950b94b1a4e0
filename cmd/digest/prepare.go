package main

import (
	"context"
	"errors"
)

func cmdPrepare(ctx context.Context, e *env, args []string) error {
	return errors.New("prepare: not implemented yet")
}
