package main

import (
	"context"

	"github.com/digest-newsletter/digest/digest/bounce"
)

// openIMAP logs in to the IMAP folder of an imaps:// URL with the password
// of DIGEST_IMAP_PASSWORD (or its _FILE). A malformed URL is bad input
// (exit 2); a server that cannot be reached or refuses the login is an
// error (exit 1).
func openIMAP(ctx context.Context, cfg *Config, where string) (bounce.Mailbox, error) {
	if _, _, _, _, err := bounce.ParseIMAPURL(where); err != nil {
		return nil, usageError{err}
	}
	return bounce.DialIMAP(ctx, bounce.IMAPConfig{URL: where, Password: cfg.Bounce.IMAPPassword, Timeout: cfg.SMTP.Timeout})
}
