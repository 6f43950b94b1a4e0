package main

import (
	"context"
	"errors"
)

func cmdUnsubscribe(ctx context.Context, e *env, args []string) error {
	return errors.New("unsubscribe: not implemented yet")
}
