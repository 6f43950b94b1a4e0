package digest

import (
	"context"
	crand "crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/mail"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// A Dispatcher delivers editions to the subscriber list exactly once per
// subscriber and edition. Every delivery is claimed in the journal (sending)
// before it is handed to the Transport and recorded (sent, failed, deferred)
// after, in batched durable transactions; a crash between the two leaves the
// row in sending, which the next run reports as unknown and does not resend.
type Dispatcher struct {
	Store       Store
	Renderer    Renderer
	Transport   Transport
	Subscribers SubscriberList
	Limiter     Limiter // nil: no rate limit
	Logger      *slog.Logger
	Now         func() time.Time

	From   string // the sender; its domain names the Message-IDs
	ListID string // the List-Id header value
	// UnsubscribeURL returns the one-click unsubscribe URL of an address;
	// nil when no base URL is configured.
	UnsubscribeURL    func(email string) string
	UnsubscribeMailto string // a mailto: address for List-Unsubscribe, if any

	Workers  int // connections used at once (default 4)
	Attempts int // attempts of a temporarily refused message in one run (default 3)
	// Backoff is the wait before attempt n (n ≥ 2). The default is jittered
	// exponential: about 1s, 2s, 4s…, at most 30s.
	Backoff func(attempt int) time.Duration
	// MaxFailures consecutive failed or deferred messages stop the sending;
	// the rest stay pending for the next run (default 20).
	MaxFailures int
	// DeferMaxAge is how long after its creation an edition's deferred
	// deliveries are still retried (default 48h); older ones are failed.
	DeferMaxAge time.Duration
	// ResendUnknown resends deliveries a crash left in sending.
	ResendUnknown bool
	// Batch is the number of journal rows claimed or recorded in one
	// transaction (default 256).
	Batch int
	// Flight, if set, logs each delivery between journal commits, so a
	// crash leaves unknown only the messages truly in flight.
	Flight FlightLog
	// Progress, if set, is called from one goroutine after each batch of
	// results is recorded, with the running report.
	Progress func(r *Report)
}

// Editions are the editions one run delivers: the daily one, and the weekly
// one on the weekly day (nil on other days).
type Editions struct {
	Daily, Weekly *Edition
}

// job is one subscriber's delivery, claimed in the journal.
type job struct {
	sub Subscriber
	ed  *Edition // the subscriber's view of the edition
	row Delivery
}

type result struct {
	row     Delivery
	problem bool          // failed, deferred or unknown: count toward MaxFailures
	took    time.Duration // from rendering to the last reply; 0: not attempted
}

// Deliver sends the editions to every subscriber owed one and returns the
// report. It returns an error only when it could not go on (the subscriber
// list or the journal failed); the report is valid then too.
func (d *Dispatcher) Deliver(ctx context.Context, eds Editions) (*Report, error) {
	d.defaults()
	r := &Report{Channel: d.Transport.Channel(), Started: d.now()}
	for _, ed := range []*Edition{eds.Daily, eds.Weekly} {
		if ed != nil {
			r.Editions = append(r.Editions, ed.ID)
		}
	}
	domain := senderDomain(d.From)
	run := &dispatchRun{d: d, domain: domain, views: map[string]*Edition{}, id: newRunID()}
	// Sends in flight finish even when ctx is cancelled (SIGINT): the
	// transport's own timeouts bound them.
	sendCtx := context.WithoutCancel(ctx)

	jobs := make(chan job, d.Batch)
	results := make(chan result, d.Batch)
	var feedErr error
	var feedCounts Report
	go func() {
		defer close(jobs)
		feedErr = run.feed(ctx, eds, jobs, &feedCounts)
	}()
	var wg sync.WaitGroup
	for range d.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			run.work(ctx, sendCtx, jobs, results)
		}()
	}
	go func() { wg.Wait(); close(results) }()

	recordErr := run.record(sendCtx, results, r)
	if d.Flight != nil && recordErr == nil {
		// Every result is in the journal: the log has done its work.
		recordErr = d.Flight.Close()
	}
	r.merge(&feedCounts)
	if run.stopReason.Load() != nil {
		r.Stopped = *run.stopReason.Load()
	} else if ctx.Err() != nil {
		r.Stopped = "interrupted"
	}
	r.Duration = d.now().Sub(r.Started)
	return r, errors.Join(feedErr, recordErr)
}

func (d *Dispatcher) defaults() {
	if d.Workers < 1 {
		d.Workers = 4
	}
	if d.Attempts < 1 {
		d.Attempts = 3
	}
	if d.Backoff == nil {
		d.Backoff = ExponentialBackoff(time.Second, 30*time.Second)
	}
	if d.MaxFailures < 1 {
		d.MaxFailures = 20
	}
	if d.DeferMaxAge <= 0 {
		d.DeferMaxAge = 48 * time.Hour
	}
	if d.Batch < 1 {
		d.Batch = 256
	}
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
}

func (d *Dispatcher) now() time.Time {
	if d.Now != nil {
		return d.Now()
	}
	return time.Now()
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

// newRunID returns a random ID for one Deliver call.
func newRunID() string {
	var b [8]byte
	crand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// MessageID returns the deterministic Message-ID (without angle brackets)
// of an edition's message to an address: the same on every run, so a
// resent message is recognizably the same one.
func MessageID(edition, email, domain string) string {
	sum := sha256.Sum256([]byte(strings.ToLower(email)))
	return fmt.Sprintf("%s.%s@%s", edition, hex.EncodeToString(sum[:8]), domain)
}

func senderDomain(from string) string {
	if a, err := mail.ParseAddress(from); err == nil {
		if _, dom, ok := strings.Cut(a.Address, "@"); ok {
			return dom
		}
	}
	return "localhost"
}

// dispatchRun is the state of one Deliver call.
type dispatchRun struct {
	d      *Dispatcher
	domain string
	id     string              // marks the journal rows this run claims
	views  map[string]*Edition // edition views by edition ID and topics (feed goroutine only)

	failures   atomic.Int64 // consecutive failed or deferred messages
	stopReason atomic.Pointer[string]
}

func (run *dispatchRun) stop(reason string) {
	run.stopReason.CompareAndSwap(nil, &reason)
}

func (run *dispatchRun) stopped(ctx context.Context) bool {
	return ctx.Err() != nil || run.stopReason.Load() != nil
}

// feed streams the subscribers, decides who is owed a message, claims them
// in the journal in batches and hands them to the workers.
func (run *dispatchRun) feed(ctx context.Context, eds Editions, jobs chan<- job, c *Report) error {
	d := run.d
	batch := make([]job, 0, d.Batch)
	for sub, err := range d.Subscribers.Subscribers(ctx) {
		if run.stopped(ctx) {
			break
		}
		if err != nil {
			var ie *InputError
			if errors.As(err, &ie) {
				c.Invalid++
				d.Logger.Warn("subscriber skipped", "err", err)
				continue
			}
			return fmt.Errorf("subscribers: %w", err)
		}
		if !sub.Mailable() {
			c.Skipped++
			continue
		}
		ed := eds.Daily
		if sub.Cadence == CadenceWeekly {
			ed = eds.Weekly
		}
		if ed == nil {
			c.NotToday++
			continue
		}
		view := run.view(ed, sub.Topics)
		if len(view.Items) == 0 {
			c.Empty++
			continue
		}
		batch = append(batch, job{sub: sub, ed: view})
		if len(batch) == d.Batch {
			if err := run.claim(ctx, batch, jobs, c); err != nil {
				return err
			}
			batch = batch[:0]
		}
	}
	if len(batch) > 0 && !run.stopped(ctx) {
		return run.claim(ctx, batch, jobs, c)
	}
	return nil
}

// view returns the edition as a subscriber with these topics sees it: only
// the items with one of the topics. Views are shared between subscribers
// with the same topics, so the renderer can cache per edition.
func (run *dispatchRun) view(ed *Edition, topics []string) *Edition {
	if len(topics) == 0 {
		return ed
	}
	key := ed.ID + "\x00" + strings.ToLower(strings.Join(topics, "\x00"))
	if v, ok := run.views[key]; ok {
		return v
	}
	v := *ed
	v.Items = nil
	for _, it := range ed.Items {
		if hasTopic(it.Tags, topics) {
			v.Items = append(v.Items, it)
		}
	}
	run.views[key] = &v
	return &v
}

func hasTopic(tags, topics []string) bool {
	for _, t := range topics {
		if slices.ContainsFunc(tags, func(tag string) bool { return strings.EqualFold(tag, t) }) {
			return true
		}
	}
	return false
}

// claim looks up the journal rows of a batch, records the deliveries it
// will attempt as sending in one transaction, then queues them.
func (run *dispatchRun) claim(ctx context.Context, batch []job, jobs chan<- job, c *Report) error {
	d := run.d
	channel := d.Transport.Channel()
	emails := make([]string, len(batch))
	for i, j := range batch {
		emails[i] = strings.ToLower(j.sub.Email)
	}
	suppressed, err := d.Store.Suppressed(ctx, emails)
	if err != nil {
		return fmt.Errorf("journal: %w", err)
	}
	rows := map[string]map[string]Delivery{}
	byEdition := map[string][]string{}
	for i, j := range batch {
		byEdition[j.ed.ID] = append(byEdition[j.ed.ID], emails[i])
	}
	for id, list := range byEdition {
		if rows[id], err = d.Store.Deliveries(ctx, id, channel, list); err != nil {
			return fmt.Errorf("journal: %w", err)
		}
	}
	now := d.now()
	var claimed []job
	var writes []Delivery
	inBatch := make(map[string]bool, len(batch))
	for i, j := range batch {
		email := emails[i]
		if suppressed[email] {
			c.Skipped++
			continue
		}
		row, ok := rows[j.ed.ID][email]
		// An address this run has claimed already is listed twice: the
		// journal, not a set in memory, says so.
		key := j.ed.ID + "\x00" + email
		if inBatch[key] || (ok && row.Run == run.id) {
			c.Invalid++
			d.Logger.Warn("subscriber skipped", "line", j.sub.Line, "email", email, "err", "address listed twice")
			continue
		}
		inBatch[key] = true
		if !ok {
			row = Delivery{Edition: j.ed.ID, Channel: channel, Email: email, Status: Pending}
		}
		switch row.Status {
		case Sent:
			c.AlreadySent++
			continue
		case Failed:
			c.AlreadyFailed++
			continue
		case Sending:
			if !d.ResendUnknown {
				c.Unknown++
				c.addProblem(Problem{Email: email, Status: Sending, Reply: "unknown: a run stopped while sending; resend with --resend-unknown"})
				continue
			}
		case Deferred:
			if now.Sub(j.ed.Created) > d.DeferMaxAge {
				row.Status, row.Reply, row.Updated = Failed, "gave up: still deferred when the edition was "+d.DeferMaxAge.String()+" old; last reply: "+row.Reply, now
				writes = append(writes, row)
				c.Failed++
				c.addProblem(Problem{Email: email, Status: Failed, Reply: row.Reply})
				continue
			}
		}
		row.Status = Sending
		row.MessageID = MessageID(j.ed.ID, email, run.domain)
		row.Updated = now
		row.Run = run.id
		j.row = row
		claimed = append(claimed, j)
		writes = append(writes, row)
	}
	if len(writes) > 0 {
		if d.Flight != nil {
			if err := d.Flight.Claimed(writes); err != nil {
				return fmt.Errorf("flight log: %w", err)
			}
		}
		if err := d.Store.Record(ctx, writes); err != nil {
			return fmt.Errorf("journal: %w", err)
		}
	}
	for _, j := range claimed {
		jobs <- j // claimed rows are always handed on; a stopped worker records them pending
	}
	return nil
}

// work sends the queued jobs over one connection.
func (run *dispatchRun) work(ctx, sendCtx context.Context, jobs <-chan job, results chan<- result) {
	var conn Conn
	defer func() {
		if conn != nil {
			conn.Close()
		}
	}()
	for j := range jobs {
		if run.stopped(ctx) {
			j.row.Status = Pending
			results <- result{row: j.row}
			continue
		}
		start := time.Now()
		res := run.deliver(ctx, sendCtx, &conn, j)
		if res.row.Attempts > j.row.Attempts {
			res.took = time.Since(start)
		}
		results <- res
	}
}

// deliver renders and sends one message, retrying temporary refusals and
// broken connections up to Attempts times.
func (run *dispatchRun) deliver(ctx, sendCtx context.Context, conn *Conn, j job) result {
	d := run.d
	row := j.row
	content, err := d.Renderer.Render(j.ed, j.sub)
	if err != nil {
		// Not the subscriber's fault: leave them owed for a run with fixed templates.
		row.Status, row.Reply, row.Updated = Pending, "render: "+err.Error(), d.now()
		return result{row: row}
	}
	msg := run.message(j, content)
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
		reply, err := (*conn).Send(sendCtx, msg)
		if err == nil {
			run.failures.Store(0)
			row.Status, row.Reply, row.Updated = Sent, reply, d.now()
			return run.finished(result{row: row})
		}
		lastErr = err
		var se *SendError
		switch {
		case errors.Is(err, ErrMaybeDelivered):
			(*conn).Close()
			*conn = nil
			row.Status, row.Reply, row.Updated = Sending, "unknown: "+err.Error(), d.now()
			return run.failed(run.finished(result{row: row, problem: true}))
		case errors.As(err, &se) && se.Permanent:
			row.Status, row.Reply, row.Updated = Failed, se.Error(), d.now()
			return run.failed(run.finished(result{row: row, problem: true}))
		case errors.As(err, &se):
			if se.Code == 421 { // the server is closing the connection
				(*conn).Close()
				*conn = nil
			}
		default: // a broken connection: redial
			(*conn).Close()
			*conn = nil
		}
	}
	if lastErr == nil { // stopped before any attempt
		row.Status, row.Updated = Pending, d.now()
		return result{row: row}
	}
	row.Status, row.Reply, row.Updated = Deferred, lastErr.Error(), d.now()
	return run.failed(run.finished(result{row: row, problem: true}))
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
func (run *dispatchRun) message(j job, c Content) *Message {
	d := run.d
	m := &Message{
		Edition:   j.ed.ID,
		From:      d.From,
		To:        j.sub.Email,
		ToName:    j.sub.Name,
		Subject:   c.Subject,
		MessageID: j.row.MessageID,
		Date:      d.now(),
		Text:      c.Text,
		HTML:      c.HTML,
		ListID:    d.ListID,
	}
	if d.UnsubscribeURL != nil {
		if u := d.UnsubscribeURL(j.sub.Email); u != "" {
			m.ListUnsubscribe = append(m.ListUnsubscribe, u)
			m.OneClick = true
		}
	}
	if d.UnsubscribeMailto != "" {
		m.ListUnsubscribe = append(m.ListUnsubscribe, "mailto:"+d.UnsubscribeMailto+"?subject=unsubscribe")
	}
	return m
}

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

// SendOne renders the edition for sub and sends it over a connection of its
// own, without the journal: a test send. Its Message-ID differs from the
// real delivery's, so the test message is never mistaken for it.
func (d *Dispatcher) SendOne(ctx context.Context, ed *Edition, sub Subscriber) (string, error) {
	d.defaults()
	content, err := d.Renderer.Render(ed, sub)
	if err != nil {
		return "", fmt.Errorf("render: %w", err)
	}
	run := &dispatchRun{d: d, domain: senderDomain(d.From)}
	id := MessageID(fmt.Sprintf("test-%s-%d", ed.ID, d.now().UnixNano()), sub.Email, run.domain)
	msg := run.message(job{sub: sub, ed: ed, row: Delivery{MessageID: id}}, content)
	conn, err := d.Transport.Open(ctx)
	if err != nil {
		return "", err
	}
	defer conn.Close()
	return conn.Send(ctx, msg)
}
