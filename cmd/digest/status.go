package main

import (
	"context"
	"fmt"
	"sort"
	"text/tabwriter"

	"github.com/digest-newsletter/digest/digest"
	"github.com/digest-newsletter/digest/digest/store"
)

func cmdStatus(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "status", "")
	n := fs.Int("n", 10, "how many recent editions")
	cfg, err := fs.parse(args)
	if err != nil {
		return err
	}
	if stateFileMissing(cfg.State) {
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
	ids := make([]string, len(eds))
	for i, ed := range eds {
		ids[i] = ed.ID
	}
	bounces, err := st.BounceCountsByEdition(ctx, ids)
	if err != nil {
		return err
	}
	sent, complaints := 0, 0
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "EDITION\tCADENCE\tCREATED\tCHANNEL\tSENT\tFAILED\tDEFERRED\tUNKNOWN\tPENDING\tBOUNCED\tSOFT\tCOMPLAINED")
	for _, ed := range eds {
		channels := make([]string, 0, len(ed.Counts))
		for ch := range ed.Counts {
			channels = append(channels, ch)
		}
		sort.Strings(channels)
		if len(channels) == 0 {
			channels = []string{"-"}
		}
		b := bounces[ed.ID]
		complaints += b.Complaints
		for _, ch := range channels {
			c := ed.Counts[ch]
			sent += c[digest.Sent]
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\n", ed.ID, ed.Cadence, ed.Created.Local().Format("2006-01-02 15:04"), ch,
				c[digest.Sent], c[digest.Failed], c[digest.Deferred], c[digest.Sending], c[digest.Pending], b.Hard, b.Soft, b.Complaints)
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if sent > 0 {
		fmt.Fprintln(e.stdout, complaintRate(complaints, sent, len(eds)))
	}
	return nil
}

// maxComplaintRate is the complaint rate Gmail's and Yahoo's rules for
// bulk senders ask to stay under.
const maxComplaintRate = 0.003

// complaintRate says the complaint rate of the editions shown, and warns
// when it is at or above what Gmail and Yahoo accept.
func complaintRate(complaints, sent, editions int) string {
	rate := float64(complaints) / float64(sent)
	line := fmt.Sprintf("complaint rate: %.2f%% (%d complaints of %d delivered, over these %d editions)", 100*rate, complaints, sent, editions)
	if rate >= maxComplaintRate {
		line += fmt.Sprintf("; at or above the %.1f%% Gmail and Yahoo accept from bulk senders", 100*maxComplaintRate)
	}
	return line
}
