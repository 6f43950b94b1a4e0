package main

import (
	"context"
	"errors"

	"github.com/digest-newsletter/digest/digest/bounce"
)

// openIMAP opens an IMAP folder.
func openIMAP(ctx context.Context, cfg *Config, where string) (bounce.Mailbox, error) {
	return nil, usageError{errors.New("bounces: IMAP is not supported yet")}
}
