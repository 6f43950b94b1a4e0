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
	"github.com/digest-newsletter/digest/digest/subscriber"
	"github.com/digest-newsletter/digest/digest/web"
)

// maxPreviewSubscribers bounds the list the preview server offers to
// render as.
const maxPreviewSubscribers = 1000

func cmdPreview(ctx context.Context, e *env, args []string) error {
	flagEnv := map[string]string{}
	fs := newFlagSet(e, "preview", "", flagEnv)
	out := fs.String("out", "preview", "folder to write index.html, message.txt and subject.txt into")
	as := fs.String("as", "", "render as this subscriber from the list (default: the first)")
	serve := fs.String("serve", "", "serve the preview on this address (e.g. 127.0.0.1:8081), reloading as templates change")
	dry, err := startDry(ctx, e, fs, flagEnv, args)
	if err != nil {
		return err
	}
	defer dry.close()
	cfg := dry.cfg
	p, notice, err := dryEdition(ctx, cfg, dry.st, dry.log)
	if err != nil {
		return err
	}
	if notice != "" {
		fmt.Fprintln(e.stdout, notice)
	}
	subs, err := previewSubscribers(ctx, cfg)
	if err != nil {
		return err
	}
	load := func() (*render.Renderer, error) { return newRenderer(cfg, time.Now) }
	if *serve != "" {
		ln, err := net.Listen("tcp", *serve)
		if err != nil {
			return usageError{fmt.Errorf("preview: %w", err)}
		}
		mux := http.NewServeMux()
		mux.Handle("/", render.PreviewHandler(load, p.Edition, subs, cfg.Templates, unsubscribeURL(cfg)))
		mux.Handle("/signup/", web.SignupPreview(cfg.Templates, cfg.Name))
		srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
		fmt.Fprintf(e.stdout, "previewing edition %s on http://%s/ and the sign-up pages on http://%s/signup/ (Ctrl-C to stop)\n",
			p.Edition.ID, ln.Addr(), ln.Addr())
		go func() {
			<-ctx.Done()
			srv.Close()
		}()
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			return err
		}
		return nil
	}
	r, err := load()
	if err != nil {
		return err
	}
	sub := subs[0]
	if *as != "" {
		found := false
		for _, s := range subs {
			if strings.EqualFold(s.Email, *as) {
				sub, found = s, true
			}
		}
		if !found {
			return usageError{fmt.Errorf("preview: %s is not in the first %d rows of %s", *as, maxPreviewSubscribers, cfg.Subscribers)}
		}
	}
	var unsubscribe string
	if u := unsubscribeURL(cfg); u != nil {
		unsubscribe = u(sub.Email)
	}
	c, err := r.Render(p.Edition, sub, unsubscribe)
	if err != nil {
		return err
	}
	if err := render.WritePreview(*out, c); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "edition %s (%d items) as %s: %s/index.html, %s/message.txt\n", p.Edition.ID, len(p.Edition.Items), sub.Email, *out, *out)
	return nil
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
