package main

import (
	"context"
	"fmt"
	"time"

	"github.com/digest-newsletter/digest/digest"
	"github.com/digest-newsletter/digest/digest/store"
)

// frozenNotice names an edition an earlier run froze: when, with how many
// items, and how many new articles the sources have had since, which a
// run of this edition will not send. It collects the sources to count
// them; a collection that fails is said in the notice, not returned.
func frozenNotice(ctx context.Context, cfg *Config, st *store.Store, editor *digest.Editor, ed *digest.Edition) string {
	col, err := editor.Collector.Collect(ctx)
	if err != nil {
		return frozenLine(cfg, ed, time.Now(), -1) + fmt.Sprintf(" (sources not checked: %v)", err)
	}
	items, err := editor.Select.Apply(ctx, st, col.Articles, time.Now())
	if err != nil {
		return frozenLine(cfg, ed, time.Now(), -1) + fmt.Sprintf(" (sources not checked: %v)", err)
	}
	return frozenLine(cfg, ed, time.Now(), len(items))
}

// frozenLine is frozenNotice's words, fresh being the count of new
// articles (-1: not known).
func frozenLine(cfg *Config, ed *digest.Edition, now time.Time, fresh int) string {
	created := ed.Created.In(cfg.tz)
	at := "at " + created.Format("15:04")
	if y, m, d := created.Date(); y != now.In(cfg.tz).Year() || m != now.In(cfg.tz).Month() || d != now.In(cfg.tz).Day() {
		at = "on " + created.Format("2006-01-02 15:04")
	}
	line := fmt.Sprintf("edition %s was frozen %s with %d %s", ed.ID, at, len(ed.Items), plural(len(ed.Items), "item", "items"))
	switch {
	case fresh < 0:
	case fresh == 0:
		line += "; the sources have no new articles since"
	default:
		line += fmt.Sprintf("; sources changed since: %d new %s would go in the next edition (to send %s today, run a new edition: --edition %s-2)",
			fresh, plural(fresh, "article", "articles"), plural(fresh, "it", "them"), ed.ID)
	}
	return line
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
