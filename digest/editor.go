package digest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"
)

// An Editor makes editions: it collects articles, selects the new ones,
// summarizes them and freezes the result in the Store, so that every run of
// the same edition sends the same content.
type Editor struct {
	Collector  Collector
	Summarizer Summarizer
	Store      Store
	Logger     *slog.Logger
	Now        func() time.Time

	Select Selection
	// Overview writes the edition's "in this issue" line; nil leaves it
	// empty.
	Overview func(items []Item) string
	// Note is the editor's note for new editions, as Markdown.
	Note string
	// Workers bounds the articles summarized at once (default 4).
	Workers int
	// Strict makes any failing source an error (ErrSourcesFailed), found
	// before the edition is frozen.
	Strict bool
}

// ErrSourcesFailed is returned by a Strict Editor when a source failed.
var ErrSourcesFailed = errors.New("digest: sources failed")

// EditionID returns the ID of the daily edition for the time t: the local
// date in loc.
func EditionID(t time.Time, loc *time.Location) string {
	return t.In(loc).Format(time.DateOnly)
}

// WeeklyEditionID returns the ID of the weekly edition for the time t: the
// ISO week in loc, such as "2026-W48".
func WeeklyEditionID(t time.Time, loc *time.Location) string {
	y, w := t.In(loc).ISOWeek()
	return fmt.Sprintf("%d-W%02d", y, w)
}

// Made is an edition as the Editor made it, or found it frozen.
type Made struct {
	Edition  *Edition
	Frozen   bool            // the edition was frozen by an earlier run
	Failures []SourceFailure // sources that failed (new editions only)
}

// Daily returns the daily edition id: the frozen one if an earlier run
// made it, otherwise a new one built from the sources and frozen now. With
// dryRun, a new edition is built but not frozen (preview, collect).
func (e *Editor) Daily(ctx context.Context, id string, dryRun bool) (*Made, error) {
	return e.edition(ctx, id, CadenceDaily, dryRun, e.fromSources)
}

// Weekly returns the weekly edition id: the items of the daily
// editions of the seven days up to now, newest first, at most
// Select.MaxItems. Like Daily's, it is frozen at its first run.
func (e *Editor) Weekly(ctx context.Context, id string, dryRun bool) (*Made, error) {
	return e.edition(ctx, id, CadenceWeekly, dryRun, func(ctx context.Context) ([]Item, []SourceFailure, error) {
		return e.fromWeek(ctx, nil)
	})
}

// PreviewWeekly returns the weekly edition id as a run would make it after
// freezing today, the daily edition a dry run made (Daily with dryRun)
// and did not freeze: today counts among the week's daily editions. It
// freezes nothing; a frozen weekly edition is returned as it is.
func (e *Editor) PreviewWeekly(ctx context.Context, id string, today *Edition) (*Made, error) {
	return e.edition(ctx, id, CadenceWeekly, true, func(ctx context.Context) ([]Item, []SourceFailure, error) {
		return e.fromWeek(ctx, today)
	})
}

// edition returns the frozen edition id, or makes it from the items build
// returns and freezes it. An edition with nothing new is not frozen: a
// later run the same day may find articles.
func (e *Editor) edition(ctx context.Context, id, cadence string, dryRun bool,
	build func(context.Context) ([]Item, []SourceFailure, error)) (*Made, error) {
	ed, err := e.Store.Edition(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("load edition %s: %w", id, err)
	}
	if ed != nil {
		return &Made{Edition: ed, Frozen: true}, nil
	}
	items, failures, err := build(ctx)
	if err != nil {
		return &Made{Failures: failures}, err
	}
	ed = &Edition{ID: id, Cadence: cadence, Created: e.now(), Items: items, Note: e.Note}
	if e.Overview != nil {
		ed.Overview = e.Overview(items)
	}
	if !dryRun && len(items) > 0 {
		if err := e.Store.Freeze(ctx, ed); err != nil {
			return nil, fmt.Errorf("freeze edition %s: %w", id, err)
		}
	}
	return &Made{Edition: ed, Failures: failures}, nil
}

// fromSources collects, selects and summarizes the daily edition's items.
func (e *Editor) fromSources(ctx context.Context) ([]Item, []SourceFailure, error) {
	col, err := e.Collector.Collect(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("collect: %w", err)
	}
	for _, f := range col.Failures {
		e.logger().Warn("source failed", "source", f.Source, "err", f.Err)
	}
	if e.Strict && len(col.Failures) > 0 {
		return nil, col.Failures, fmt.Errorf("%w: %d of them (strict)", ErrSourcesFailed, len(col.Failures))
	}
	items, err := e.Select.Apply(ctx, e.Store, col.Articles, e.now())
	if err != nil {
		return nil, nil, err
	}
	e.summarize(ctx, items)
	return items, col.Failures, nil
}

// fromWeek gathers the items of the week's daily editions, newest first;
// today, if not nil, is the newest of them.
func (e *Editor) fromWeek(ctx context.Context, today *Edition) ([]Item, []SourceFailure, error) {
	dailies, err := e.Store.Editions(ctx, CadenceDaily, e.now().Add(-7*24*time.Hour))
	if err != nil {
		return nil, nil, fmt.Errorf("load the week's editions: %w", err)
	}
	if today != nil {
		dailies = append(dailies, today)
	}
	seen := map[string]bool{}
	var items []Item
	for i := len(dailies) - 1; i >= 0; i-- { // newest edition first
		for _, it := range dailies[i].Items {
			if !seen[it.ID] {
				seen[it.ID] = true
				items = append(items, it)
			}
		}
	}
	if max := e.Select.MaxItems; max > 0 && len(items) > max {
		items = items[:max]
	}
	return items, nil, nil
}

// summarize fills each item's blurb. A summarizer error is logged and the
// item keeps an empty blurb: one bad article does not sink the edition.
func (e *Editor) summarize(ctx context.Context, items []Item) {
	workers := e.Workers
	if workers < 1 {
		workers = 4
	}
	sem := make(chan struct{}, workers)
	var wg sync.WaitGroup
	for i := range items {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			blurb, err := e.Summarizer.Summarize(ctx, items[i].Article)
			if err != nil && !errors.Is(err, context.Canceled) {
				e.logger().Warn("summarize failed", "article", items[i].URL, "err", err)
			}
			items[i].Blurb = CleanBlurb(blurb)
		}()
	}
	wg.Wait()
}

// CleanBlurb returns a summarizer's sentences as clean one-line text (see
// CleanText), empty ones dropped, each capped at MaxSentence runes and at
// most MaxBlurb of them: a summarizer (an LLM above all) may return
// anything. The Editor applies it to every blurb.
func CleanBlurb(blurb []string) []string {
	var out []string
	for _, s := range blurb {
		if len(out) == MaxBlurb {
			break
		}
		if s = Shorten(CleanText(s), MaxSentence); s != "" {
			out = append(out, s)
		}
	}
	return out
}

func (e *Editor) now() time.Time {
	if e.Now != nil {
		return e.Now()
	}
	return time.Now()
}

func (e *Editor) logger() *slog.Logger {
	if e.Logger != nil {
		return e.Logger
	}
	return slog.New(slog.DiscardHandler)
}
