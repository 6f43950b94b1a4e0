package digest

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Selection chooses an edition's items from the collected articles: those
// not in an earlier edition, within the window, one item per story, newest
// first, at most MaxItems.
type Selection struct {
	MaxItems int
	// Window keeps only articles published within this duration of now;
	// zero keeps any age.
	Window time.Duration
	// Similarity scores how alike two articles' texts are, from 0 to 1;
	// articles from different sources scoring at least SameStory are one
	// story (their titles are compared only when one has no text). The
	// story's item is the article first seen, then first in the sources
	// list; the others become its "also in" sources. Nil merges nothing.
	Similarity func(a, b string) float64
	SameStory  float64
}

// Apply returns the selected items, newest first.
func (s Selection) Apply(ctx context.Context, st Store, articles []Article, now time.Time) ([]Item, error) {
	ids := make([]string, len(articles))
	for i, a := range articles {
		ids[i] = a.ID
	}
	seen, err := st.Seen(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("select: %w", err)
	}
	var fresh []Article
	byID := map[string]bool{}
	for _, a := range articles {
		if seen[a.ID] || byID[a.ID] {
			continue
		}
		if s.Window > 0 && a.Published.Before(now.Add(-s.Window)) {
			continue
		}
		byID[a.ID] = true
		fresh = append(fresh, a)
	}
	fresh = s.mergeStories(fresh, now)
	slices.SortStableFunc(fresh, func(a, b Article) int {
		if c := b.Published.Compare(a.Published); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
	if s.MaxItems > 0 && len(fresh) > s.MaxItems {
		fresh = fresh[:s.MaxItems]
	}
	items := make([]Item, len(fresh))
	for i, a := range fresh {
		items[i] = Item{Article: a}
	}
	return items, nil
}

// mergeStories folds articles that tell the same story into the one that
// had it first, naming the others' sources in AlsoIn. "First" is the
// earliest FirstSeen (zero counts as now), then the earlier place in
// articles, which is the sources list order: never the articles' own
// dates, which a feed can set to anything.
func (s Selection) mergeStories(articles []Article, now time.Time) []Article {
	if s.Similarity == nil {
		return articles
	}
	firstSeen := func(a Article) time.Time {
		if a.FirstSeen.IsZero() || a.FirstSeen.After(now) {
			return now
		}
		return a.FirstSeen
	}
	order := slices.Clone(articles)
	slices.SortStableFunc(order, func(a, b Article) int {
		return firstSeen(a).Compare(firstSeen(b))
	})
	var kept []Article
	for _, a := range order {
		merged := false
		for i := range kept {
			k := &kept[i]
			if k.Source == a.Source {
				continue
			}
			if s.sameStory(*k, a) {
				if !slices.Contains(k.AlsoIn, a.Source) {
					k.AlsoIn = append(k.AlsoIn, a.Source)
				}
				k.Duplicates = append(k.Duplicates, a.ID)
				merged = true
				break
			}
		}
		if !merged {
			kept = append(kept, a)
		}
	}
	return kept
}

// sameStory reports whether a and b tell the same story. When both have a
// text, the texts decide, whatever the titles: a title is easy to copy, and
// one alike does not make two different texts one story. Without a text,
// the titles alone decide.
func (s Selection) sameStory(a, b Article) bool {
	if a.Text != "" && b.Text != "" {
		return s.Similarity(a.Text, b.Text) >= s.SameStory
	}
	if a.Title != "" && strings.EqualFold(strings.TrimSpace(a.Title), strings.TrimSpace(b.Title)) {
		return true
	}
	return s.Similarity(a.Title, b.Title) >= s.SameStory
}
