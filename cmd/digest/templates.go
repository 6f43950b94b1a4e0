package main

import (
	"context"
	"errors"
)

func cmdTemplates(ctx context.Context, e *env, args []string) error {
	return errors.New("templates: not implemented yet")
}
