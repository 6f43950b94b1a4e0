package main

import (
	"context"
	"errors"
)

func cmdStatus(ctx context.Context, e *env, args []string) error {
	return errors.New("status: not implemented yet")
}
