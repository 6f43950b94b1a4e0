package main

import (
	"context"
	"errors"
)

func cmdCollect(ctx context.Context, e *env, args []string) error {
	return errors.New("collect: not implemented yet")
}
