package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sort"
	"text/tabwriter"

	"github.com/digest-newsletter/digest/digest"
	"github.com/digest-newsletter/digest/digest/store"
)

func cmdStatus(ctx context.Context, e *env, args []string) error {
	flagEnv := map[string]string{}
	fs := newFlagSet(e, "status", "", flagEnv)
	n := fs.Int("n", 10, "how many recent editions")
	cfg, err := parseFlags(e, fs, flagEnv, args)
	if err != nil {
		return err
	}
	if _, err := os.Stat(cfg.State); errors.Is(err, os.ErrNotExist) {
		fmt.Fprintf(e.stdout, "no state at %s: no edition has been made yet\n", cfg.State)
		return nil
	}
	st, err := store.OpenReadOnly(ctx, cfg.State)
	if err != nil {
		return stateError(err)
	}
	defer st.Close()
	eds, err := st.Recent(ctx, *n)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "EDITION\tCADENCE\tCREATED\tCHANNEL\tSENT\tFAILED\tDEFERRED\tUNKNOWN\tPENDING")
	for _, ed := range eds {
		channels := make([]string, 0, len(ed.Counts))
		for ch := range ed.Counts {
			channels = append(channels, ch)
		}
		sort.Strings(channels)
		if len(channels) == 0 {
			channels = []string{"-"}
		}
		for _, ch := range channels {
			c := ed.Counts[ch]
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%d\t%d\t%d\t%d\n", ed.ID, ed.Cadence, ed.Created.Local().Format("2006-01-02 15:04"), ch,
				c[digest.Sent], c[digest.Failed], c[digest.Deferred], c[digest.Sending], c[digest.Pending])
		}
	}
	return tw.Flush()
}
