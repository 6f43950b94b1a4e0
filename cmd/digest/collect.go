package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

func cmdCollect(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "collect", "")
	asJSON := fs.Bool("json", false, "one JSON object a line")
	dry, err := startDry(ctx, fs, args)
	if err != nil {
		return err
	}
	defer dry.close()
	cfg, st := dry.cfg, dry.st
	editor, err := newEditor(cfg, st, dry.log, time.Now)
	if err != nil {
		return err
	}
	col, err := editor.Collector.Collect(ctx)
	if err != nil {
		return err
	}
	items, err := editor.Select.Apply(ctx, st, col.Articles, time.Now())
	if err != nil {
		return err
	}
	enc := json.NewEncoder(e.stdout)
	for _, it := range items {
		if *asJSON {
			a := it.Article
			a.Text = ""
			if err := enc.Encode(a); err != nil {
				return err
			}
			continue
		}
		fmt.Fprintf(e.stdout, "%s  %s\n    %s\n    %s", it.Published.Format("2006-01-02 15:04"), it.Title, it.Source, it.URL)
		if len(it.Tags) > 0 {
			fmt.Fprintf(e.stdout, "  [%s]", strings.Join(it.Tags, ", "))
		}
		if len(it.AlsoIn) > 0 {
			fmt.Fprintf(e.stdout, "  (also in: %s)", strings.Join(it.AlsoIn, ", "))
		}
		fmt.Fprintln(e.stdout)
	}
	for _, f := range col.Failures {
		fmt.Fprintf(e.stderr, "source failed: %s: %s\n", f.Source, f.Err)
	}
	today, err := st.Edition(ctx, cfg.dailyID(time.Now()))
	if err != nil {
		return err
	}
	if today != nil {
		// Today's edition is made: these articles wait for the next one.
		fmt.Fprintln(e.stderr, frozenLine(cfg, today, time.Now(), len(items)))
	}
	fmt.Fprintf(e.stderr, "%d articles collected, %d would be in the next edition, %d sources failed\n", len(col.Articles), len(items), len(col.Failures))
	if cfg.Strict && len(col.Failures) > 0 {
		return errSources
	}
	return nil
}
