package subscriber

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/digest-newsletter/digest/digest"
)

// A Summary counts the rows of a subscriber list, for digest check.
type Summary struct {
	Rows         int // data rows read, good and bad (blank lines not counted)
	Invalid      int // bad rows, reported and skipped
	Mailable     int // good rows with status active or empty
	Unsubscribed int
	Bounced      int
	// Weekly and WithTopics count mailable rows only: those who get the
	// weekly edition, and those who get only some topics.
	Weekly     int
	WithTopics int
	// Stopped is set when the list could not be read to the end; the last
	// error says why.
	Stopped bool
}

// Check reads the whole list and returns its counts and every problem
// found, in file order: one *digest.InputError per bad row and, if reading
// stopped early, the error that stopped it, last. It holds every problem in
// memory, but no subscriber.
func Check(ctx context.Context, list digest.SubscriberList) (Summary, []error) {
	var s Summary
	var errs []error
	for sub, err := range list.Subscribers(ctx) {
		if err != nil {
			errs = append(errs, err)
			if ie := (*digest.InputError)(nil); errors.As(err, &ie) {
				s.Rows++
				s.Invalid++
			} else {
				s.Stopped = true
			}
			continue
		}
		s.Rows++
		switch {
		case sub.Mailable():
			s.Mailable++
			if sub.Cadence == digest.CadenceWeekly {
				s.Weekly++
			}
			if len(sub.Topics) > 0 {
				s.WithTopics++
			}
		case sub.Status == digest.StatusUnsubscribed:
			s.Unsubscribed++
		case sub.Status == digest.StatusBounced:
			s.Bounced++
		}
	}
	return s, errs
}

// WriteReport writes the report of Check: one line of counts, then one line
// for each problem.
func WriteReport(w io.Writer, s Summary, errs []error) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "subscribers: %d rows: %d mailable (%d weekly, %d with topics), %d unsubscribed, %d bounced, %d invalid\n",
		s.Rows, s.Mailable, s.Weekly, s.WithTopics, s.Unsubscribed, s.Bounced, s.Invalid)
	for _, err := range errs {
		fmt.Fprintln(bw, err)
	}
	if s.Stopped {
		fmt.Fprintln(bw, "subscribers: the list was not read to the end")
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write subscriber report: %w", err)
	}
	return nil
}
