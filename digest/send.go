package digest

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"
)

// work sends the queued jobs over one connection. Without a rate limit it
// looks one job ahead, so the connection can announce the next envelope
// with the current message (see Announcer); with one, the next message
// waits for the limiter, and an announced envelope would wait with it.
func (run *dispatchRun) work(ctx, sendCtx context.Context, jobs <-chan job, results chan<- result) {
	var conn Conn
	defer func() {
		if conn != nil {
			conn.Close()
		}
	}()
	var ahead *job
	for {
		j, ok := ahead, ahead != nil
		if !ok {
			var next job
			if next, ok = <-jobs; !ok {
				return
			}
			j = &next
		}
		ahead = nil
		if run.d.Limiter == nil {
			select {
			case next, ok := <-jobs:
				if ok {
					ahead = &next
				}
			default:
			}
		}
		if run.stopped(ctx) {
			j.row.Status = Pending
			results <- result{row: j.row}
			continue
		}
		start := time.Now()
		res := run.deliver(ctx, sendCtx, &conn, *j, ahead)
		if res.row.Attempts > j.row.Attempts {
			res.took = time.Since(start)
		}
		results <- res
	}
}

// deliver renders and sends one message, retrying temporary refusals and
// broken connections up to Attempts times. next, if not nil, is the job the
// worker sends after this one.
func (run *dispatchRun) deliver(ctx, sendCtx context.Context, conn *Conn, j job, next *job) result {
	d := run.d
	row := j.row
	b := j.body
	if b == nil {
		b = run.compile(j)
	}
	if b.err != nil {
		// Not the subscriber's fault: leave them owed for a run with fixed
		// templates or settings.
		if o, _ := classify(b.err); o == outcomeStop {
			run.stopFor(b.err)
		}
		row.Status, row.Reply, row.Updated = Pending, b.err.Error(), d.now()
		return result{row: row}
	}
	msg := run.message(j, b.frame)
	var lastErr error
	for attempt := 1; attempt <= d.Attempts; attempt++ {
		if attempt > 1 {
			if !sleep(ctx, d.Backoff(attempt)) {
				break
			}
		}
		if d.Limiter != nil {
			if err := d.Limiter.Wait(ctx); err != nil {
				break
			}
		}
		if *conn == nil {
			c, err := d.Transport.Open(sendCtx)
			if err != nil {
				if res, done := run.settle(conn, &row, "", err); done {
					return res
				}
				lastErr = err
				continue
			}
			*conn = c
		}
		row.Attempts++
		if d.Flight != nil {
			if err := d.Flight.Attempting(row); err != nil {
				run.stop("the flight log could not be written: " + err.Error())
				break
			}
		}
		if a, ok := (*conn).(Announcer); ok && next != nil {
			a.Announce(run.envelopeSender(next.ed.ID, next.sub.Email), next.sub.Email)
		}
		reply, err := (*conn).Send(sendCtx, msg)
		if res, done := run.settle(conn, &row, reply, err); done {
			return res
		}
		lastErr = err
	}
	if lastErr == nil { // stopped before any attempt
		row.Status, row.Updated = Pending, d.now()
		return result{row: row}
	}
	row.Status, row.Reply, row.Updated = Deferred, lastErr.Error(), d.now()
	return run.failed(run.finished(result{row: row, problem: true}))
}

// settle applies classify's verdict on one attempt (the opening of a
// connection, or a send) to row. It reports whether the delivery is
// settled; if not, the attempt may be repeated.
func (run *dispatchRun) settle(conn *Conn, row *Delivery, reply string, err error) (result, bool) {
	d := run.d
	o, drop := classify(err)
	if drop && *conn != nil {
		(*conn).Close()
		*conn = nil
	}
	switch o {
	case outcomeSent:
		run.failures.Store(0)
		row.Status, row.Reply, row.Updated = Sent, reply, d.now()
		return run.finished(result{row: *row}), true
	case outcomeUnknown:
		row.Status, row.Reply, row.Updated = Sending, "unknown: "+err.Error(), d.now()
		return run.failed(run.finished(result{row: *row, problem: true})), true
	case outcomeFailed:
		var se *SendError
		errors.As(err, &se)
		row.Status, row.Reply, row.Updated = Failed, se.Error(), d.now()
		return run.failed(run.finished(result{row: *row, problem: true})), true
	case outcomeStop:
		// Nothing was sent and nothing will be until the settings are
		// fixed: the delivery stays owed, like every one after it.
		run.stopFor(err)
		row.Status, row.Reply, row.Updated = Pending, err.Error(), d.now()
		return run.finished(result{row: *row}), true
	}
	return result{}, false
}

// finished notes a result in the flight log before it reaches the journal.
func (run *dispatchRun) finished(r result) result {
	if run.d.Flight != nil {
		if err := run.d.Flight.Finished(r.row); err != nil {
			run.stop("the flight log could not be written: " + err.Error())
		}
	}
	return r
}

// failed counts a consecutive failure and stops the run after MaxFailures.
func (run *dispatchRun) failed(r result) result {
	if n := run.failures.Add(1); n >= int64(run.d.MaxFailures) {
		run.stop(fmt.Sprintf("%d consecutive failures (the server may be down); last: %s", n, r.row.Reply))
	}
	return r
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// message builds the Message for one delivery.
func (run *dispatchRun) message(j job, f Frame) *Message {
	d := run.d
	m := &Message{
		Edition:   j.ed.ID,
		Sender:    run.envelopeSender(j.ed.ID, j.sub.Email),
		To:        j.sub.Email,
		ToName:    j.sub.Name,
		MessageID: j.row.MessageID,
		Date:      d.now(),
		Frame:     f,
		Values:    f.Body().Values(j.sub, j.unsubscribe),
	}
	if j.unsubscribe != "" {
		m.ListUnsubscribe = append(m.ListUnsubscribe, j.unsubscribe)
	}
	if d.UnsubscribeMailto != "" {
		m.ListUnsubscribe = append(m.ListUnsubscribe, "mailto:"+d.UnsubscribeMailto+"?subject=unsubscribe")
	}
	return m
}

// envelopeSender returns the envelope sender of an edition's message to
// an address: ReturnPath's, or the From address.
func (run *dispatchRun) envelopeSender(edition, email string) string {
	if run.d.ReturnPath != nil {
		return run.d.ReturnPath(edition, email)
	}
	return run.sender
}

// SendOne renders the edition for sub and sends it over a connection of its
// own, without the journal: a test send. Its Message-ID differs from the
// real delivery's, so the test message is never mistaken for it.
func (d *Dispatcher) SendOne(ctx context.Context, ed *Edition, sub Subscriber) (string, error) {
	d.defaults()
	sender, domain := SenderDomain(d.From)
	run := &dispatchRun{d: d, sender: sender, domain: domain}
	j := job{sub: sub, ed: ed}
	if d.UnsubscribeURL != nil {
		j.unsubscribe = d.UnsubscribeURL(sub.Email)
	}
	b := run.compile(j)
	if b.err != nil {
		return "", b.err
	}
	j.row.MessageID = MessageID(fmt.Sprintf("test-%s-%d", ed.ID, d.now().UnixNano()), sub.Email, run.domain)
	msg := run.message(j, b.frame)
	conn, err := d.Transport.Open(ctx)
	if err != nil {
		return "", err
	}
	defer conn.Close()
	return conn.Send(ctx, msg)
}

// ExponentialBackoff returns a backoff of about base·2ⁿ⁻², with ±50% jitter,
// never above limit.
func ExponentialBackoff(base, limit time.Duration) func(attempt int) time.Duration {
	return func(attempt int) time.Duration {
		wait := base << max(0, attempt-2)
		if wait > limit || wait <= 0 {
			wait = limit
		}
		return wait/2 + rand.N(wait)
	}
}
