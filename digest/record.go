package digest

import (
	"context"
	"fmt"
	"time"
)

// record writes the results to the journal in batches and counts them.
func (run *dispatchRun) record(ctx context.Context, results <-chan result, r *Report) error {
	d := run.d
	buf := make([]Delivery, 0, d.Batch)
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	var err error
	var times sendHist
	defer func() { r.SendTimes = times.summary() }()
	flush := func() {
		if len(buf) == 0 || err != nil {
			return
		}
		if err = d.Store.Record(ctx, buf); err != nil {
			err = fmt.Errorf("journal: %w", err)
			run.stop("the journal could not be written: " + err.Error())
		} else if d.Flight != nil {
			if ferr := d.Flight.Recorded(buf); ferr != nil {
				d.Logger.Warn("flight log", "err", ferr)
			}
		}
		if err == nil {
			run.recordRefusals(ctx, buf)
		}
		buf = buf[:0]
		if d.Progress != nil {
			d.Progress(r)
		}
	}
	for {
		select {
		case res, ok := <-results:
			if !ok {
				flush()
				return err
			}
			r.count(res.row)
			if res.took > 0 {
				times.add(res.took)
			}
			buf = append(buf, res.row)
			if len(buf) == cap(buf) {
				flush()
			}
		case <-tick.C:
			flush()
		}
	}
}

// count adds one delivery's outcome to the report.
func (r *Report) count(row Delivery) {
	switch row.Status {
	case Sent:
		r.Sent++
		return
	case Failed:
		r.Failed++
	case Deferred:
		r.Deferred++
	case Sending:
		r.Unknown++
	case Pending:
		r.Pending++
		if row.Reply == "" {
			return
		}
	}
	r.addProblem(Problem{Email: row.Email, Status: row.Status, Reply: row.Reply})
}

// merge adds the counts the feed made to r.
func (r *Report) merge(c *Report) {
	r.Failed += c.Failed
	r.Unknown += c.Unknown
	r.AlreadySent += c.AlreadySent
	r.AlreadyFailed += c.AlreadyFailed
	r.Skipped += c.Skipped
	r.Invalid += c.Invalid
	r.Empty += c.Empty
	r.NotToday += c.NotToday
	for _, p := range c.Problems {
		r.addProblem(p)
	}
}

// recordRefusals hands the permanent SMTP refusals of a recorded batch to
// the Store, if it records bounces: a mailbox that does not exist
// suppresses the address for later editions, other refusals count like
// soft bounces. A failure here is logged: the journal has the rows.
func (run *dispatchRun) recordRefusals(ctx context.Context, rows []Delivery) {
	br, ok := run.d.Store.(BounceRecorder)
	if !ok {
		return
	}
	var bs []Bounce
	for _, row := range rows {
		if b, ok := refusal(row); ok {
			bs = append(bs, b)
		}
	}
	if len(bs) == 0 {
		return
	}
	outs, _, err := br.RecordBounces(ctx, "", bs, run.d.BouncePolicy)
	if err != nil {
		run.d.Logger.Warn("refusals not recorded as bounces", "err", err)
		return
	}
	for _, o := range outs {
		if o.Suppressed {
			run.d.Logger.Info("suppressed for later editions", "email", o.Email, "reason", o.Reason, "status", o.Status)
		}
	}
}
