package main

import (
	"context"
	"errors"
)

func cmdCheck(ctx context.Context, e *env, args []string) error {
	return errors.New("check: not implemented yet")
}
