package digest

import (
	"context"
	crand "crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
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

	// From is the From header: "Name <addr>" or "addr". Its address is
	// the envelope sender (unless ReturnPath is set) and its domain names
	// the Message-IDs.
	From string
	// ReturnPath, if set, returns the envelope sender (MAIL FROM, hence
	// Return-Path) of an edition's message to an address: a VERP address
	// that names both, so that a bounce is attributed without reading it.
	// The From header is unchanged.
	ReturnPath func(edition, email string) string
	ListID     string // the List-Id header value
	// UnsubscribeURL returns the one-click unsubscribe URL of an address;
	// nil when no base URL is configured. It is called once per delivery.
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
	// BouncePolicy is what the permanent refusals of a run do, when the
	// Store is a BounceRecorder: see refusal.
	BouncePolicy BouncePolicy
	// Overview writes the "in this issue" line (also the inbox preheader)
	// of a subscriber's view that holds only some of the edition's items,
	// so that it names their own stories. Nil: such a view has none.
	Overview func(items []Item) string
}

// Editions are the editions one run delivers: the daily one, and the weekly
// one on the weekly day (nil on other days).
type Editions struct {
	Daily, Weekly *Edition
}

// job is one subscriber's delivery, claimed in the journal.
type job struct {
	sub         Subscriber
	ed          *Edition // the subscriber's view of the edition
	unsubscribe string   // the subscriber's unsubscribe URL, or ""
	// body is the compiled view the message is made from, shared with
	// the subscribers of the same variant; nil when the subscriber's
	// message is compiled on its own (see Renderer.Variant).
	body *body
	row  Delivery
}

// A body is a compiled view with the transport's frame of it, or the
// error that kept it from being made.
type body struct {
	frame Frame
	err   error
}

type result struct {
	row     Delivery
	problem bool          // failed, deferred or unknown: count toward MaxFailures
	took    time.Duration // from rendering to the last reply; 0: not attempted
}

// Deliver sends the editions to every subscriber owed one and returns the
// report. It returns an error only when it could not go on: the subscriber
// list or the journal failed, or the transport failed in a way only the
// settings can fix (a *SettingsError: the run stops at the first one and
// leaves the deliveries pending). The report is valid then too.
func (d *Dispatcher) Deliver(ctx context.Context, eds Editions) (*Report, error) {
	d.defaults()
	r := &Report{Channel: d.Transport.Channel(), Started: d.now()}
	for _, ed := range []*Edition{eds.Daily, eds.Weekly} {
		if ed != nil {
			r.Editions = append(r.Editions, ed.ID)
		}
	}
	sender, domain := SenderDomain(d.From)
	run := &dispatchRun{d: d, sender: sender, domain: domain, views: map[string]*Edition{}, bodies: map[string]*body{}, id: newRunID()}
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
	var settingsErr error
	if se := run.settings.Load(); se != nil {
		settingsErr = se
	}
	return r, errors.Join(settingsErr, feedErr, recordErr)
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

// SenderDomain returns the address of a From header value and its domain;
// a value that does not parse gives "" and "localhost".
func SenderDomain(from string) (addr, domain string) {
	if a, err := mail.ParseAddress(from); err == nil {
		if _, dom, ok := strings.Cut(a.Address, "@"); ok {
			return a.Address, dom
		}
		return a.Address, "localhost"
	}
	return "", "localhost"
}

// dispatchRun is the state of one Deliver call.
type dispatchRun struct {
	d      *Dispatcher
	sender string // the envelope sender
	domain string
	id     string              // marks the journal rows this run claims
	views  map[string]*Edition // edition views by edition ID and topics (feed goroutine only)
	// bodies are the compiled views, by view and variant (feed goroutine
	// only): each is compiled and framed once for the run.
	bodies map[string]*body

	failures   atomic.Int64 // consecutive failed or deferred messages
	stopReason atomic.Pointer[string]
	settings   atomic.Pointer[SettingsError] // the settings failure that stopped the run
}

func (run *dispatchRun) stop(reason string) {
	run.stopReason.CompareAndSwap(nil, &reason)
}

// stopFor stops the run for a failure of the settings, err.
func (run *dispatchRun) stopFor(err error) {
	var se *SettingsError
	if errors.As(err, &se) {
		run.settings.CompareAndSwap(nil, se)
	}
	run.stop("the settings need fixing: " + err.Error())
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
		view, key, skip := run.pick(eds, sub)
		switch skip {
		case skipStatus:
			c.Skipped++
			continue
		case skipNotToday:
			c.NotToday++
			continue
		case skipEmpty:
			c.Empty++
			continue
		}
		j := job{sub: sub, ed: view}
		if d.UnsubscribeURL != nil {
			j.unsubscribe = d.UnsubscribeURL(sub.Email)
		}
		if variant, shared := d.Renderer.Variant(sub, j.unsubscribe); shared {
			j.body = run.body(key+"\x00"+variant, j)
		}
		batch = append(batch, j)
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

// A skip is why a run mails a subscriber nothing, before the journal and
// the suppression list are asked.
type skip int

const (
	skipNone     skip = iota
	skipStatus        // their status is not active (Report.Skipped)
	skipNotToday      // no edition of their cadence today (Report.NotToday)
	skipEmpty         // no item has one of their topics (Report.Empty)
)

// pick returns the view of eds a subscriber's message is made from (the
// edition of their cadence, with only the items of their topics) and its
// key (see view); or why they get none.
func (run *dispatchRun) pick(eds Editions, sub Subscriber) (*Edition, string, skip) {
	if !sub.Mailable() {
		return nil, "", skipStatus
	}
	ed := eds.Daily
	if sub.Cadence == CadenceWeekly {
		ed = eds.Weekly
	}
	if ed == nil {
		return nil, "", skipNotToday
	}
	view, key := run.view(ed, sub.Topics)
	if len(view.Items) == 0 {
		return nil, "", skipEmpty
	}
	return view, key, skipNone
}

// A NoMessage is why a run mails a subscriber nothing (see Preview).
type NoMessage struct {
	Email  string
	Reason string // like "their status is unsubscribed"
}

func (e *NoMessage) Error() string {
	return "a run sends " + e.Email + " nothing: " + e.Reason
}

// Preview returns the view of eds that a run delivering eds makes sub's
// message from, as the run decides it: the edition of their cadence, only
// the items of their topics, with their own overview. When the run would
// mail them nothing, it returns a *NoMessage saying why: their status, the
// suppression list, their cadence or their topics. It changes nothing, and
// does not ask the journal: a subscriber the edition was already delivered
// to is shown it all the same.
func (d *Dispatcher) Preview(ctx context.Context, eds Editions, sub Subscriber) (*Edition, error) {
	run := &dispatchRun{d: d, views: map[string]*Edition{}}
	view, _, why := run.pick(eds, sub)
	switch why {
	case skipStatus:
		return nil, &NoMessage{Email: sub.Email, Reason: "their status is " + sub.Status}
	case skipNotToday:
		reason := "no daily edition today"
		if sub.Cadence == CadenceWeekly {
			reason = "no weekly edition today (one comes on the weekly day, if the week had items)"
		}
		return nil, &NoMessage{Email: sub.Email, Reason: reason}
	case skipEmpty:
		return nil, &NoMessage{Email: sub.Email, Reason: "no item of the edition has one of their topics (" + strings.Join(sub.Topics, ", ") + ")"}
	}
	email := strings.ToLower(sub.Email)
	suppressed, err := d.Store.Suppressed(ctx, []string{email})
	if err != nil {
		return nil, fmt.Errorf("suppression list: %w", err)
	}
	if suppressed[email] {
		return nil, &NoMessage{Email: sub.Email, Reason: "the address is on the suppression list"}
	}
	return view, nil
}

// view returns the edition as a subscriber with these topics sees it (only
// the items with one of the topics), and its key. Views are shared between
// subscribers with the same topics.
func (run *dispatchRun) view(ed *Edition, topics []string) (*Edition, string) {
	key := ed.ID
	if len(topics) == 0 {
		return ed, key
	}
	key += "\x00" + strings.ToLower(strings.Join(topics, "\x00"))
	if v, ok := run.views[key]; ok {
		return v, key
	}
	v := *ed
	v.Items = nil
	for _, it := range ed.Items {
		if hasTopic(it.Tags, topics) {
			v.Items = append(v.Items, it)
		}
	}
	if len(v.Items) < len(ed.Items) {
		// The edition's overview names stories this subscriber does not get.
		v.Overview = ""
		if run.d.Overview != nil && len(v.Items) > 0 {
			v.Overview = run.d.Overview(v.Items)
		}
	}
	run.views[key] = &v
	return &v, key
}

// body returns the compiled view of key, compiling and framing it the
// first time, for j's subscriber's variant.
func (run *dispatchRun) body(key string, j job) *body {
	if b, ok := run.bodies[key]; ok {
		return b
	}
	b := run.compile(j)
	run.bodies[key] = b
	return b
}

// compile compiles j's view for j's subscriber's variant, or for j's
// subscriber alone when it is not shared, and has the transport frame it.
func (run *dispatchRun) compile(j job) *body {
	d := run.d
	c, err := d.Renderer.Compile(j.ed, j.sub, j.unsubscribe)
	if err != nil {
		return &body{err: fmt.Errorf("render: %w", err)}
	}
	f, err := d.Transport.Frame(c, run.letterhead())
	if err != nil {
		return &body{err: fmt.Errorf("frame: %w", err)}
	}
	return &body{frame: f}
}

// letterhead returns what every message of the run says alike.
func (run *dispatchRun) letterhead() Letterhead {
	d := run.d
	return Letterhead{From: d.From, ListID: d.ListID,
		Unsubscribe: d.UnsubscribeURL != nil || d.UnsubscribeMailto != "", OneClick: d.UnsubscribeURL != nil}
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
	byEdition := map[string][]string{}
	for i, j := range batch {
		byEdition[j.ed.ID] = append(byEdition[j.ed.ID], emails[i])
	}
	var claimed []job
	decide := func(rows map[string]map[string]Delivery) ([]Delivery, error) {
		var writes []Delivery
		claimed, writes = run.decide(batch, emails, suppressed, rows, c)
		if len(writes) > 0 && d.Flight != nil {
			if err := d.Flight.Claimed(writes); err != nil {
				return nil, fmt.Errorf("flight log: %w", err)
			}
		}
		return writes, nil
	}
	if cl, ok := d.Store.(Claimer); ok {
		// Several runs may share the journal: the rows are read and the
		// claims written in one transaction.
		if err := cl.Claim(ctx, channel, byEdition, decide); err != nil {
			return fmt.Errorf("journal: %w", err)
		}
	} else {
		rows := map[string]map[string]Delivery{}
		for id, list := range byEdition {
			if rows[id], err = d.Store.Deliveries(ctx, id, channel, list); err != nil {
				return fmt.Errorf("journal: %w", err)
			}
		}
		writes, err := decide(rows)
		if err != nil {
			return err
		}
		if len(writes) > 0 {
			if err := d.Store.Record(ctx, writes); err != nil {
				return fmt.Errorf("journal: %w", err)
			}
		}
	}
	for _, j := range claimed {
		jobs <- j // claimed rows are always handed on; a stopped worker records them pending
	}
	return nil
}

// decide says, for each job of a batch, what the journal rows ask of it
// (see transition), counts it in c, and returns the jobs to attempt and the
// journal rows to write first.
func (run *dispatchRun) decide(batch []job, emails []string, suppressed map[string]bool, rows map[string]map[string]Delivery, c *Report) ([]job, []Delivery) {
	d := run.d
	channel := d.Transport.Channel()
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
		if !ok {
			row = Delivery{Edition: j.ed.ID, Channel: channel, Email: email}
		}
		key := j.ed.ID + "\x00" + email
		p := policy{run: run.id, created: j.ed.Created, deferMaxAge: d.DeferMaxAge, resendUnknown: d.ResendUnknown,
			messageID: MessageID(j.ed.ID, email, run.domain)}
		st, row := transition(row, now, p)
		if inBatch[key] {
			st = stepTwice
		}
		inBatch[key] = true
		switch st {
		case stepTwice:
			c.Invalid++
			d.Logger.Warn("subscriber skipped", "line", j.sub.Line, "email", email, "err", "address listed twice")
		case stepSkipSent:
			c.AlreadySent++
		case stepSkipFailed:
			c.AlreadyFailed++
		case stepUnknown:
			c.Unknown++
			c.addProblem(Problem{Email: email, Status: Sending, Reply: "unknown: a run stopped while sending; resend with --resend-unknown"})
		case stepExpire:
			writes = append(writes, row)
			c.Failed++
			c.addProblem(Problem{Email: email, Status: Failed, Reply: row.Reply})
		case stepSend, stepRetry:
			j.row = row
			claimed = append(claimed, j)
			writes = append(writes, row)
		}
	}
	return claimed, writes
}
