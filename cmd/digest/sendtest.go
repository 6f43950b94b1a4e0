package main

import (
	"context"
	"errors"
)

func cmdSendTest(ctx context.Context, e *env, args []string) error {
	return errors.New("send-test: not implemented yet")
}
