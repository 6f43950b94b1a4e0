package main

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"log/slog"
	"sync"
	"time"

	"github.com/digest-newsletter/digest/digest"
	"github.com/digest-newsletter/digest/digest/store"
)

// welcomeLockWait is how long a welcome waits for a run that holds the
// state's lock; after that the subscriber gets the next run's edition only.
const welcomeLockWait = 2 * time.Minute

// welcomer mails the latest frozen edition of their cadence to a new
// sign-up (DIGEST_WELCOME=latest), through the run's own dispatcher, so
// that the delivery is in the journal: a run of the same edition does not
// mail it again. It takes the run lock for each welcome, so it never
// delivers beside a run; one welcome goes at a time.
type welcomer struct {
	cfg       *Config
	st        *store.Store
	transport digest.Transport
	log       *slog.Logger

	mu       sync.Mutex // one welcome at a time; guards renderer
	renderer digest.Renderer
}

// welcome mails sub the latest edition of their cadence, if there is one.
func (w *welcomer) welcome(ctx context.Context, sub digest.Subscriber) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if err := w.deliver(ctx, sub); err != nil {
		w.log.Warn("welcome edition not sent; the next run mails the subscriber", "email", sub.Email, "err", err)
	}
}

func (w *welcomer) deliver(ctx context.Context, sub digest.Subscriber) error {
	unlock, err := w.lock(ctx)
	if err != nil {
		return err
	}
	defer unlock()
	cadence := sub.Cadence
	if cadence == "" {
		cadence = digest.CadenceDaily
	}
	recent, err := w.st.Recent(ctx, 50)
	if err != nil {
		return err
	}
	var ed *digest.Edition
	for _, r := range recent {
		if r.Cadence == cadence {
			if ed, err = w.st.Edition(ctx, r.ID); err != nil {
				return err
			}
			break
		}
	}
	if ed == nil {
		w.log.Info("no welcome edition: none frozen yet", "email", sub.Email, "cadence", cadence)
		return nil
	}
	if w.renderer == nil {
		r, err := newRenderer(w.cfg, time.Now)
		if err != nil {
			return err
		}
		w.renderer = r
	}
	d := newDispatcher(w.cfg, w.st, w.renderer, w.transport, w.log, time.Now)
	d.Subscribers = oneSubscriber{sub}
	d.Workers = 1
	var eds digest.Editions
	if cadence == digest.CadenceWeekly {
		eds.Weekly = ed
	} else {
		eds.Daily = ed
	}
	rep, err := d.Deliver(ctx, eds)
	if err != nil {
		return err
	}
	switch {
	case rep.Sent == 1:
		w.log.Info("welcome edition sent", "email", sub.Email, "edition", ed.ID)
	case rep.AlreadySent == 1:
		w.log.Info("welcome edition already delivered", "email", sub.Email, "edition", ed.ID)
	case !rep.Complete():
		return fmt.Errorf("edition %s: %s", ed.ID, rep.Summary())
	}
	return nil
}

// lock takes the run lock, waiting up to welcomeLockWait for a run.
func (w *welcomer) lock(ctx context.Context) (func() error, error) {
	deadline := time.Now().Add(welcomeLockWait)
	for {
		unlock, err := store.Lock(w.cfg.State)
		if err == nil || !errors.Is(err, digest.ErrLocked) || time.Now().After(deadline) {
			return unlock, err
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(2 * time.Second):
		}
	}
}

// oneSubscriber is a subscriber list of one.
type oneSubscriber struct{ sub digest.Subscriber }

func (o oneSubscriber) Subscribers(ctx context.Context) iter.Seq2[digest.Subscriber, error] {
	return func(yield func(digest.Subscriber, error) bool) { yield(o.sub, nil) }
}
