package store

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// Suppress puts the address on the suppression list with the reason (an
// unsubscribe, a hard bounce, a complaint). An address already on it keeps
// its first reason and time.
func (s *Store) Suppress(ctx context.Context, email, reason string, at time.Time) error {
	w, err := s.writer()
	if err != nil {
		return fmt.Errorf("suppress: %w", err)
	}
	email = strings.ToLower(strings.TrimSpace(email))
	if email == "" {
		return fmt.Errorf("suppress: empty address")
	}
	if _, err := w.ExecContext(ctx, `
		INSERT INTO suppressed (email, reason, at) VALUES (?, ?, ?)
		ON CONFLICT (email) DO NOTHING`, email, reason, formatTime(at)); err != nil {
		return fmt.Errorf("suppress %s: %w", email, err)
	}
	return nil
}

// Suppressed reports which of these addresses are on the suppression list,
// keyed by the address as given. Addresses match whatever their case; only
// suppressed ones are in the map.
func (s *Store) Suppressed(ctx context.Context, emails []string) (map[string]bool, error) {
	lower, keys := lowerEmails(emails)
	hit := make(map[string]bool)
	err := inBatches(lower, func(args []any, marks string) error {
		rows, err := s.r.QueryContext(ctx, `SELECT email FROM suppressed WHERE email IN (`+marks+`)`, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var e string
			if err := rows.Scan(&e); err != nil {
				return err
			}
			hit[e] = true
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("suppressed: %w", err)
	}
	out := make(map[string]bool, len(hit))
	for key, l := range keys {
		if hit[l] {
			out[key] = true
		}
	}
	return out, nil
}
