package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/digest-newsletter/digest/digest"
	"github.com/digest-newsletter/digest/digest/render"
	"github.com/digest-newsletter/digest/digest/store"
	"github.com/digest-newsletter/digest/digest/subscriber"
	"github.com/digest-newsletter/digest/digest/web"
)

// maxPreviewSubscribers bounds the list the preview server offers to
// render as.
const maxPreviewSubscribers = 1000

// cmdPreview renders one subscriber's message as a run would send it now:
// the edition of their cadence, the items of their topics; or says why a
// run sends them nothing.
func cmdPreview(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "preview", "")
	out := fs.String("out", "preview", "folder to write index.html, message.txt and subject.txt into")
	as := fs.String("as", "", "render what a run sends `ADDR`, a subscriber of the list or the sign-ups: their edition, their topics (default: the first of the list)")
	serve := fs.String("serve", "", "serve the preview on this address (e.g. 127.0.0.1:8081), reloading as templates change")
	dry, err := startDry(ctx, fs, args)
	if err != nil {
		return err
	}
	defer dry.close()
	cfg := dry.cfg
	eds, daily, notice, err := dryEditions(ctx, cfg, dry.st, dry.log)
	if err != nil {
		return err
	}
	if notice != "" {
		fmt.Fprintln(e.stdout, notice)
	}
	load := func() (*render.Renderer, error) { return newRenderer(cfg, time.Now) }
	// The run's own decision of who gets which view of which edition.
	d := newDispatcher(cfg, dry.st, nil, nil, dry.log, time.Now)
	view := func(sub digest.Subscriber) (*digest.Edition, error) { return d.Preview(ctx, eds, sub) }
	if *serve != "" {
		subs, err := previewSubscribers(ctx, cfg)
		if err != nil {
			return err
		}
		ln, err := net.Listen("tcp", *serve)
		if err != nil {
			return usageError{fmt.Errorf("preview: %w", err)}
		}
		mux := http.NewServeMux()
		mux.Handle("/", render.PreviewHandler(load, daily.Edition, subs, cfg.Templates, unsubscribeURL(cfg), view,
			func(email string) (digest.Subscriber, error) { return findSubscriber(ctx, cfg, dry.st, email) }))
		mux.Handle("/signup/", web.SignupPreview(cfg.Templates, cfg.Name))
		srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
		fmt.Fprintf(e.stdout, "previewing edition %s on http://%s/ and the sign-up pages on http://%s/signup/ (Ctrl-C to stop)\n",
			daily.Edition.ID, ln.Addr(), ln.Addr())
		go func() {
			<-ctx.Done()
			srv.Close()
		}()
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			return err
		}
		return nil
	}
	if eds.Daily == nil && eds.Weekly == nil {
		fmt.Fprintf(e.stdout, "edition %s has no items: a run sends nothing\n", daily.Edition.ID)
		return nil
	}
	r, err := load()
	if err != nil {
		return err
	}
	var sub digest.Subscriber
	if *as != "" {
		if sub, err = findSubscriber(ctx, cfg, dry.st, *as); err != nil {
			return fmt.Errorf("preview: %w", err)
		}
	} else {
		subs, err := headSubscribers(ctx, cfg, 1)
		if err != nil {
			return err
		}
		sub = subs[0]
	}
	ed, err := view(sub)
	var none *digest.NoMessage
	if errors.As(err, &none) {
		fmt.Fprintf(e.stdout, "%s; nothing written\n", none)
		return nil
	}
	if err != nil {
		return err
	}
	var unsubscribe string
	if u := unsubscribeURL(cfg); u != nil {
		unsubscribe = u(sub.Email)
	}
	c, err := r.Render(ed, sub, unsubscribe)
	if err != nil {
		return err
	}
	if err := render.WritePreview(*out, c); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "edition %s (%s) as %s: %s/index.html, %s/message.txt\n", ed.ID, itemCount(ed, eds, sub), sub.Email, *out, *out)
	return nil
}

// itemCount says how many items ed, sub's view, holds: "11 items", or "2
// of 11 items, topics space, food".
func itemCount(ed *digest.Edition, eds digest.Editions, sub digest.Subscriber) string {
	whole := eds.Daily
	if ed.Cadence == digest.CadenceWeekly {
		whole = eds.Weekly
	}
	if whole == nil || len(ed.Items) == len(whole.Items) {
		return fmt.Sprintf("%d %s", len(ed.Items), plural(len(ed.Items), "item", "items"))
	}
	return fmt.Sprintf("%d of %d items, topics %s", len(ed.Items), len(whole.Items), strings.Join(sub.Topics, ", "))
}

// findSubscriber returns the subscriber with this address from the list a
// run mails (the subscriber file, then the confirmed sign-ups), reading it
// as a stream to the end if need be. Bad rows are skipped, as a run does.
func findSubscriber(ctx context.Context, cfg *Config, st *store.Store, email string) (digest.Subscriber, error) {
	for sub, err := range runList(cfg, st).Subscribers(ctx) {
		if err != nil {
			var ie *digest.InputError
			if errors.As(err, &ie) {
				continue
			}
			return digest.Subscriber{}, usageError{err}
		}
		if strings.EqualFold(sub.Email, email) {
			return sub, nil
		}
	}
	return digest.Subscriber{}, usageError{fmt.Errorf("%s is neither in %s nor a confirmed sign-up", email, cfg.Subscribers)}
}

// previewSubscribers reads the rows of the list the preview offers.
func previewSubscribers(ctx context.Context, cfg *Config) ([]digest.Subscriber, error) {
	return headSubscribers(ctx, cfg, maxPreviewSubscribers)
}

// headSubscribers reads the first n good rows of the list, skipping bad
// ones (a run reports those); a made-up reader when it has none.
func headSubscribers(ctx context.Context, cfg *Config, n int) ([]digest.Subscriber, error) {
	var subs []digest.Subscriber
	for sub, err := range (&subscriber.File{Path: cfg.Subscribers}).Subscribers(ctx) {
		if err != nil {
			var ie *digest.InputError
			if errors.As(err, &ie) {
				continue
			}
			return nil, usageError{err}
		}
		subs = append(subs, sub)
		if len(subs) == n {
			break
		}
	}
	if len(subs) == 0 {
		subs = append(subs, digest.Subscriber{Email: "reader@example.com", Name: "Reader"})
	}
	return subs, nil
}
