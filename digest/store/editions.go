package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/digest-newsletter/digest/digest"
)

// Edition returns the frozen edition with this ID, or nil, nil if it has
// not been frozen.
func (s *Store) Edition(ctx context.Context, id string) (*digest.Edition, error) {
	var body string
	err := s.r.QueryRowContext(ctx, `SELECT body FROM editions WHERE id = ?`, id).Scan(&body)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("edition %s: %w", id, err)
	}
	ed := new(digest.Edition)
	if err := json.Unmarshal([]byte(body), ed); err != nil {
		return nil, fmt.Errorf("edition %s: %w", id, err)
	}
	return ed, nil
}

// Editions returns the frozen editions of the given cadence created at or
// after since, oldest first. An empty cadence matches every edition.
func (s *Store) Editions(ctx context.Context, cadence string, since time.Time) ([]*digest.Edition, error) {
	rows, err := s.r.QueryContext(ctx, `
		SELECT body FROM editions
		WHERE (? = '' OR cadence = ?) AND created >= ?
		ORDER BY created, id`, cadence, cadence, formatTime(since))
	if err != nil {
		return nil, fmt.Errorf("editions: %w", err)
	}
	defer rows.Close()
	var eds []*digest.Edition
	for rows.Next() {
		var body string
		if err := rows.Scan(&body); err != nil {
			return nil, fmt.Errorf("editions: %w", err)
		}
		ed := new(digest.Edition)
		if err := json.Unmarshal([]byte(body), ed); err != nil {
			return nil, fmt.Errorf("editions: %w", err)
		}
		eds = append(eds, ed)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("editions: %w", err)
	}
	return eds, nil
}

// Freeze stores the edition and marks each of its articles (and their
// Duplicates) as seen, in one transaction. Freezing an ID that is already frozen returns an error
// wrapping ErrExists and changes nothing. An article already seen in an
// earlier edition stays attributed to that edition.
func (s *Store) Freeze(ctx context.Context, ed *digest.Edition) error {
	w, err := s.writer()
	if err != nil {
		return fmt.Errorf("freeze: %w", err)
	}
	if ed.ID == "" {
		return errors.New("freeze: edition has no ID")
	}
	body, err := json.Marshal(ed)
	if err != nil {
		return fmt.Errorf("freeze %s: %w", ed.ID, err)
	}
	tx, err := w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("freeze %s: %w", ed.ID, err)
	}
	defer tx.Rollback()
	var one int
	switch err := tx.QueryRowContext(ctx, `SELECT 1 FROM editions WHERE id = ?`, ed.ID).Scan(&one); {
	case err == nil:
		return fmt.Errorf("freeze %s: %w", ed.ID, ErrExists)
	case !errors.Is(err, sql.ErrNoRows):
		return fmt.Errorf("freeze %s: %w", ed.ID, err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO editions (id, cadence, created, body) VALUES (?, ?, ?, ?)`,
		ed.ID, ed.Cadence, formatTime(ed.Created), string(body)); err != nil {
		return fmt.Errorf("freeze %s: %w", ed.ID, err)
	}
	if len(ed.Items) > 0 {
		mark, err := tx.PrepareContext(ctx, `INSERT INTO seen (article, edition) VALUES (?, ?) ON CONFLICT (article) DO NOTHING`)
		if err != nil {
			return fmt.Errorf("freeze %s: %w", ed.ID, err)
		}
		defer mark.Close()
		for _, it := range ed.Items {
			for _, id := range append([]string{it.ID}, it.Duplicates...) {
				if _, err := mark.ExecContext(ctx, id, ed.ID); err != nil {
					return fmt.Errorf("freeze %s: mark %s seen: %w", ed.ID, id, err)
				}
			}
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("freeze %s: %w", ed.ID, err)
	}
	return nil
}

// Seen reports which of these article IDs are in a frozen edition. Only
// seen IDs are in the map.
func (s *Store) Seen(ctx context.Context, ids []string) (map[string]bool, error) {
	seen := make(map[string]bool)
	err := inBatches(ids, func(args []any, marks string) error {
		rows, err := s.r.QueryContext(ctx, `SELECT article FROM seen WHERE article IN (`+marks+`)`, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				return err
			}
			seen[id] = true
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("seen: %w", err)
	}
	return seen, nil
}

// FirstSeenMany returns when each of these article IDs was first seen,
// recording now (in UTC) for those never seen, all of them in one
// transaction: a collection meets hundreds of new articles at once, and a
// transaction apiece would cost an fsync apiece.
func (s *Store) FirstSeenMany(ctx context.Context, ids []string, now time.Time) (map[string]time.Time, error) {
	out := make(map[string]time.Time, len(ids))
	err := inBatches(ids, func(args []any, marks string) error {
		rows, err := s.r.QueryContext(ctx, `SELECT article, at FROM first_seen WHERE article IN (`+marks+`)`, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var id, at string
			if err := rows.Scan(&id, &at); err != nil {
				return err
			}
			t, err := parseTime(at)
			if err != nil {
				return fmt.Errorf("%s: %w", id, err)
			}
			out[id] = t
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("first seen: %w", err)
	}
	var missing []string
	for _, id := range ids {
		if _, ok := out[id]; !ok {
			out[id] = time.Time{} // once, however often it is listed
			missing = append(missing, id)
		}
	}
	if len(missing) == 0 {
		return out, nil
	}
	w, err := s.writer()
	if err != nil {
		return nil, fmt.Errorf("first seen: %w", err)
	}
	tx, err := w.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("first seen: %w", err)
	}
	defer tx.Rollback()
	// Another writer may have inserted some meanwhile: keep the first.
	ins, err := tx.PrepareContext(ctx, `
		INSERT INTO first_seen (article, at) VALUES (?, ?)
		ON CONFLICT (article) DO UPDATE SET at = first_seen.at
		RETURNING at`)
	if err != nil {
		return nil, fmt.Errorf("first seen: %w", err)
	}
	defer ins.Close()
	for _, id := range missing {
		var at string
		if err := ins.QueryRowContext(ctx, id, formatTime(now)).Scan(&at); err != nil {
			return nil, fmt.Errorf("first seen %s: %w", id, err)
		}
		t, err := parseTime(at)
		if err != nil {
			return nil, fmt.Errorf("first seen %s: %w", id, err)
		}
		out[id] = t
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("first seen: %w", err)
	}
	return out, nil
}

// FirstSeen returns when the article with this ID was first seen, recording
// now (in UTC) if it has never been seen.
func (s *Store) FirstSeen(ctx context.Context, id string, now time.Time) (time.Time, error) {
	var at string
	err := s.r.QueryRowContext(ctx, `SELECT at FROM first_seen WHERE article = ?`, id).Scan(&at)
	if errors.Is(err, sql.ErrNoRows) {
		var w *sql.DB
		if w, err = s.writer(); err != nil {
			return time.Time{}, fmt.Errorf("first seen %s: %w", id, err)
		}
		// Another writer may have inserted it meanwhile: keep the first.
		err = w.QueryRowContext(ctx, `
			INSERT INTO first_seen (article, at) VALUES (?, ?)
			ON CONFLICT (article) DO UPDATE SET at = first_seen.at
			RETURNING at`, id, formatTime(now)).Scan(&at)
	}
	if err != nil {
		return time.Time{}, fmt.Errorf("first seen %s: %w", id, err)
	}
	t, err := parseTime(at)
	if err != nil {
		return time.Time{}, fmt.Errorf("first seen %s: %w", id, err)
	}
	return t, nil
}
