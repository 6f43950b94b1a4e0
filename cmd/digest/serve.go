package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/digest-newsletter/digest/digest/render"
	"github.com/digest-newsletter/digest/digest/store"
	"github.com/digest-newsletter/digest/digest/web"
)

// cmdServe serves one-click unsubscribe and the web archive until SIGINT.
// It opens the state read-write without the run lock, so that it can run
// beside a run: SQLite's WAL lets one writer and many readers share the
// file, and each unsubscribe is one short write.
func cmdServe(ctx context.Context, e *env, args []string) error {
	flagEnv := map[string]string{}
	fs := newFlagSet(e, "serve", "", flagEnv)
	addr := fs.String("addr", "127.0.0.1:8080", "address to listen on (put a TLS proxy in front for DIGEST_BASE_URL)")
	cfg, err := parseFlags(e, fs, flagEnv, args)
	if err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Errorf("serve: unexpected argument %q", fs.Arg(0))}
	}
	if cfg.List.Secret == "" {
		return usageError{errors.New("serve: DIGEST_SECRET (or DIGEST_SECRET_FILE) must be set: it signs the unsubscribe links")}
	}
	log := newLogger(e.stderr, cfg)
	// The archive shows editions to anyone: no address, name or
	// unsubscribe link goes into them.
	r, err := render.New(render.Options{
		Dir:            cfg.Templates,
		Name:           cfg.Name,
		Lang:           cfg.Lang,
		BaseURL:        strings.TrimRight(cfg.List.BaseURL, "/"),
		NoteUnsafeHTML: cfg.NoteHTML,
	})
	if err != nil {
		return err
	}
	st, err := openWritable(ctx, cfg, e.stderr)
	if err != nil {
		return err
	}
	defer st.Close()

	var lc net.ListenConfig
	l, err := lc.Listen(ctx, "tcp", *addr)
	if err != nil {
		return usageError{fmt.Errorf("serve: %w", err)}
	}
	h := web.NewHandler(web.Config{
		State:    serveState{st},
		Renderer: r,
		Secret:   []byte(cfg.List.Secret),
		Name:     cfg.Name,
		Now:      time.Now,
		Logger:   log,
	})
	fmt.Fprintf(e.stdout, "serving on http://%s (unsubscribe: /unsubscribe, archive: /archive/)\n", l.Addr())
	return web.Serve(ctx, l, h)
}

// serveState is the state as package web needs it.
type serveState struct{ *store.Store }

// Archive lists the n most recent editions, newest first.
func (s serveState) Archive(ctx context.Context, n int) ([]web.ArchiveEntry, error) {
	recent, err := s.Recent(ctx, n)
	if err != nil {
		return nil, err
	}
	out := make([]web.ArchiveEntry, len(recent))
	for i, r := range recent {
		out[i] = web.ArchiveEntry{ID: r.ID, Cadence: r.Cadence, Subject: r.Subject, Created: r.Created}
	}
	return out, nil
}
