package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"iter"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/digest-newsletter/digest/digest"
	"github.com/digest-newsletter/digest/digest/store"
)

// cmdPrepare collects, selects and summarizes the edition as run does,
// freezes it in the state, and writes it as JSON (a digest.Edition) to
// --out, for "digest run --edition-file F --shard I/N" on several hosts.
func cmdPrepare(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "prepare", "")
	out := fs.String("out", "", "write the edition to this file (required; - for stdout)")
	weekly := fs.Bool("weekly", false, "prepare this week's weekly edition instead of today's daily one")
	cfg, err := fs.parse(args)
	if err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Errorf("prepare: unexpected argument %q", fs.Arg(0))}
	}
	if *out == "" {
		return usageError{errors.New("prepare: --out FILE is required")}
	}
	log := newLogger(e.stderr, cfg)
	now := time.Now
	st, closeState, err := openState(ctx, cfg, e.stderr)
	if err != nil {
		return err
	}
	defer closeState()
	editor, err := newEditor(cfg, st, log, now)
	if err != nil {
		return err
	}
	var p *digest.Made
	if *weekly {
		p, err = editor.Weekly(ctx, cfg.weeklyID(now()), false)
	} else {
		p, err = editor.Daily(ctx, cfg.dailyID(now()), false)
	}
	if err != nil {
		if errors.Is(err, digest.ErrSourcesFailed) {
			return fmt.Errorf("%w: %w", errSources, err)
		}
		return err
	}
	for _, f := range p.Failures {
		log.Warn("source failed", "source", f.Source, "err", f.Err)
	}
	b, err := json.MarshalIndent(p.Edition, "", "  ")
	if err != nil {
		return fmt.Errorf("prepare: %w", err)
	}
	b = append(b, '\n')
	if *out == "-" {
		_, err = e.stdout.Write(b)
	} else {
		err = writeFileAtomic(*out, b, 0o644)
	}
	if err != nil {
		return fmt.Errorf("prepare: %w", err)
	}
	switch {
	case len(p.Edition.Items) == 0:
		log.Warn("no new articles: the edition file is empty and its runs will send nothing", "edition", p.Edition.ID)
	case p.Frozen:
		fmt.Fprintf(e.stderr, "edition %s (%d items, frozen by an earlier run) written to %s\n", p.Edition.ID, len(p.Edition.Items), *out)
	default:
		fmt.Fprintf(e.stderr, "edition %s (%d items) frozen and written to %s\n", p.Edition.ID, len(p.Edition.Items), *out)
	}
	return nil
}

// readEditionFile reads an edition written by digest prepare.
func readEditionFile(path string) (*digest.Edition, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, usageError{fmt.Errorf("edition file: %w", err)}
	}
	var ed digest.Edition
	if err := json.Unmarshal(b, &ed); err != nil {
		return nil, usageError{fmt.Errorf("edition file %s: %w", path, err)}
	}
	if ed.ID == "" {
		return nil, usageError{fmt.Errorf("edition file %s: no edition id", path)}
	}
	if ed.Cadence != digest.CadenceDaily && ed.Cadence != digest.CadenceWeekly {
		return nil, usageError{fmt.Errorf("edition file %s: cadence %q, want daily or weekly", path, ed.Cadence)}
	}
	return &ed, nil
}

// loadEditionFile returns the editions a run delivers from an edition file.
// The edition is frozen in the local state the first time, so a rerun on
// this host is idempotent; if the state already holds the edition, that
// frozen copy is used, and a file with other articles is an error rather
// than a second, different issue under one ID.
func loadEditionFile(ctx context.Context, st *store.Store, path, wantID string) (digest.Editions, error) {
	var eds digest.Editions
	ed, err := readEditionFile(path)
	if err != nil {
		return eds, err
	}
	if wantID != "" && wantID != ed.ID {
		return eds, usageError{fmt.Errorf("edition file %s holds edition %s, not %s", path, ed.ID, wantID)}
	}
	frozen, err := st.Edition(ctx, ed.ID)
	if err != nil {
		return eds, fmt.Errorf("load edition %s: %w", ed.ID, err)
	}
	switch {
	case frozen != nil:
		if !slices.Equal(itemIDs(frozen), itemIDs(ed)) {
			return eds, usageError{fmt.Errorf("edition file %s: edition %s was frozen here with other articles; refusing to send a different issue under the same ID", path, ed.ID)}
		}
		ed = frozen
	case len(ed.Items) > 0:
		if err := st.Freeze(ctx, ed); err != nil {
			return eds, fmt.Errorf("freeze edition %s: %w", ed.ID, err)
		}
	}
	if len(ed.Items) == 0 {
		return eds, nil
	}
	if ed.Cadence == digest.CadenceWeekly {
		eds.Weekly = ed
	} else {
		eds.Daily = ed
	}
	return eds, nil
}

func itemIDs(ed *digest.Edition) []string {
	ids := make([]string, len(ed.Items))
	for i, it := range ed.Items {
		ids[i] = it.ID
	}
	return ids
}

// A shard is the part I of N of the subscriber list one host delivers to.
type shard struct{ Index, Count int }

// parseShard reads --shard: "I/N" with 0 ≤ I < N (0-based), or "auto/N" or
// just "N", which take I from JOB_COMPLETION_INDEX, as set in the pods of a
// Kubernetes Indexed Job.
func parseShard(s string, environ []string) (shard, error) {
	idx, count, ok := strings.Cut(s, "/")
	if !ok {
		idx, count = "auto", s
	}
	n, err := strconv.Atoi(count)
	if err != nil || n < 1 {
		return shard{}, fmt.Errorf("--shard %q: want I/N, auto/N or N with N ≥ 1", s)
	}
	if idx == "auto" {
		idx = ""
		for _, kv := range environ {
			if v, ok := strings.CutPrefix(kv, "JOB_COMPLETION_INDEX="); ok {
				idx = v
			}
		}
		if idx == "" {
			return shard{}, fmt.Errorf("--shard %q: JOB_COMPLETION_INDEX is not set; give the index as I/%d", s, n)
		}
	}
	i, err := strconv.Atoi(idx)
	if err != nil || i < 0 || i >= n {
		return shard{}, fmt.Errorf("--shard %q: index %q must be a number from 0 to %d", s, idx, n-1)
	}
	return shard{Index: i, Count: n}, nil
}

func (s shard) String() string { return fmt.Sprintf("%d/%d", s.Index, s.Count) }

// shardOf returns the shard, 0 to n-1, of an address: FNV-1a 64 of the
// lower-cased address, mod n. Every host computes the same.
func shardOf(email string, n int) int {
	h := fnv.New64a()
	h.Write([]byte(strings.ToLower(email)))
	return int(h.Sum64() % uint64(n))
}

// shardList is the part of a subscriber list in one shard. Bad rows are
// reported by shard 0 only, so they are counted once over all hosts.
type shardList struct {
	list  digest.SubscriberList
	shard shard
}

func (l shardList) Subscribers(ctx context.Context) iter.Seq2[digest.Subscriber, error] {
	return func(yield func(digest.Subscriber, error) bool) {
		for sub, err := range l.list.Subscribers(ctx) {
			if err != nil {
				var ie *digest.InputError
				if errors.As(err, &ie) && l.shard.Index != 0 {
					continue
				}
				if !yield(sub, err) {
					return
				}
				continue
			}
			if shardOf(sub.Email, l.shard.Count) != l.shard.Index {
				continue
			}
			if !yield(sub, nil) {
				return
			}
		}
	}
}
