package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// pingTimeout bounds one ping: a slow monitoring service must not hold up
// the newsletter.
const pingTimeout = 10 * time.Second

// A pinger reports a run to a dead man's switch in the healthchecks.io
// style: URL/start when the run starts, URL on success, URL/fail on
// failure, each a POST whose body is a line for the monitor's log. A ping
// that fails is logged as a warning and never fails the run. The zero URL
// pings nothing.
type pinger struct {
	URL    string
	Client *http.Client // nil: a client with pingTimeout
	Logger *slog.Logger
}

// start pings URL/start.
func (p *pinger) start(ctx context.Context) { p.ping(ctx, "start", "") }

// finish pings URL on success and URL/fail otherwise, with the run's
// summary as the body.
func (p *pinger) finish(ctx context.Context, ok bool, summary string) {
	if ok {
		p.ping(ctx, "", summary)
		return
	}
	p.ping(ctx, "fail", summary)
}

func (p *pinger) ping(ctx context.Context, suffix, body string) {
	if p == nil || p.URL == "" {
		return
	}
	target, err := pingURL(p.URL, suffix)
	if err != nil {
		p.Logger.Warn("ping not sent", "err", err)
		return
	}
	// A run stopped by SIGTERM still reports its end.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), pingTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, strings.NewReader(body))
	if err != nil {
		p.Logger.Warn("ping not sent", "err", err)
		return
	}
	req.Header.Set("Content-Type", "text/plain; charset=utf-8")
	req.Header.Set("User-Agent", userAgent)
	client := p.Client
	if client == nil {
		client = &http.Client{Timeout: pingTimeout}
	}
	resp, err := client.Do(req)
	if err != nil {
		p.Logger.Warn("ping failed", "url", redactURL(target), "err", redactErr(err, p.URL))
		return
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 4<<10))
	resp.Body.Close()
	if resp.StatusCode >= 300 {
		p.Logger.Warn("ping failed", "url", redactURL(target), "status", resp.Status)
	}
}

// pingURL appends /suffix to the URL's path (less any trailing slash),
// keeping its query.
func pingURL(raw, suffix string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("DIGEST_PING_URL: want an http(s) URL")
	}
	u.Path = strings.TrimRight(u.Path, "/")
	if suffix != "" {
		u.Path += "/" + suffix
	}
	u.RawPath = ""
	return u.String(), nil
}

// redactURL keeps the scheme and host of a ping URL: its path is the
// check's secret.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(bad URL)"
	}
	return u.Scheme + "://" + u.Host + "/…"
}

// redactErr removes the ping URL from an error message.
func redactErr(err error, raw string) string {
	s := err.Error()
	if u, perr := url.Parse(raw); perr == nil && u.Path != "" && u.Path != "/" {
		s = strings.ReplaceAll(s, u.Path, "/…")
	}
	return s
}
