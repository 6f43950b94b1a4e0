package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
)

// LoadFetch returns what the last fetch of url saved: its ETag, its
// Last-Modified and its body. All are empty when nothing was saved.
func (s *Store) LoadFetch(ctx context.Context, url string) (etag, lastModified string, body []byte, err error) {
	err = s.r.QueryRowContext(ctx, `SELECT etag, last_modified, body FROM fetch_cache WHERE url = ?`, url).
		Scan(&etag, &lastModified, &body)
	if errors.Is(err, sql.ErrNoRows) {
		return "", "", nil, nil
	}
	if err != nil {
		return "", "", nil, fmt.Errorf("load fetch %s: %w", url, err)
	}
	return etag, lastModified, body, nil
}

// SaveFetch saves the validators and body of a fetch of url, replacing what
// was saved before.
func (s *Store) SaveFetch(ctx context.Context, url, etag, lastModified string, body []byte) error {
	w, err := s.writer()
	if err != nil {
		return fmt.Errorf("save fetch: %w", err)
	}
	if body == nil {
		body = []byte{}
	}
	if _, err := w.ExecContext(ctx, `
		INSERT INTO fetch_cache (url, etag, last_modified, body) VALUES (?, ?, ?, ?)
		ON CONFLICT (url) DO UPDATE SET etag = excluded.etag, last_modified = excluded.last_modified, body = excluded.body`,
		url, etag, lastModified, body); err != nil {
		return fmt.Errorf("save fetch %s: %w", url, err)
	}
	return nil
}

// LoadBlurb returns the blurb saved under key, one sentence an element, or
// nil, nil when there is none.
func (s *Store) LoadBlurb(ctx context.Context, key string) ([]string, error) {
	var js string
	err := s.r.QueryRowContext(ctx, `SELECT blurb FROM blurbs WHERE key = ?`, key).Scan(&js)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("load blurb %s: %w", key, err)
	}
	blurb := []string{}
	if err := json.Unmarshal([]byte(js), &blurb); err != nil {
		return nil, fmt.Errorf("load blurb %s: %w", key, err)
	}
	return blurb, nil
}

// SaveBlurb saves the blurb under key, replacing what was saved before.
func (s *Store) SaveBlurb(ctx context.Context, key string, blurb []string) error {
	w, err := s.writer()
	if err != nil {
		return fmt.Errorf("save blurb: %w", err)
	}
	if blurb == nil {
		blurb = []string{}
	}
	js, err := json.Marshal(blurb)
	if err != nil {
		return fmt.Errorf("save blurb %s: %w", key, err)
	}
	if _, err := w.ExecContext(ctx, `
		INSERT INTO blurbs (key, blurb) VALUES (?, ?)
		ON CONFLICT (key) DO UPDATE SET blurb = excluded.blurb`, key, string(js)); err != nil {
		return fmt.Errorf("save blurb %s: %w", key, err)
	}
	return nil
}
