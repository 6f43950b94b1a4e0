package bounce

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
)

// An IMAPConfig says which IMAP folder to read and how to reach it.
type IMAPConfig struct {
	// URL is imaps://user@host[:port]/Folder (TLS, port 993 by default),
	// or imap://user@host[:port]/Folder, in the clear, allowed only to a
	// loopback host. The folder defaults to INBOX.
	URL      string
	Password string
	// TLSConfig, if set, is used for imaps:// (tests give their own
	// roots); its ServerName is set from the URL when empty.
	TLSConfig *tls.Config
	// Timeout bounds the dial and each command (default 30s).
	Timeout time.Duration
}

// fetchBatch is how many messages one FETCH asks for: at most 20 MiB held
// at once.
const fetchBatch = 20

// An IMAP is an IMAP folder. Messages acted on are moved to the folder
// Processed (created if missing), with MOVE where the server has it and
// COPY, STORE \Deleted and EXPUNGE where it has not.
type IMAP struct {
	c       *imapclient.Client
	folder  string
	timeout time.Duration

	haveProcessed bool // the folder Processed exists
}

// ParseIMAPURL splits an IMAP URL into the address to dial, the user, the
// folder and whether to use TLS. A password in the URL is refused: it
// would show in ps and in logs.
func ParseIMAPURL(raw string) (addr, user, folder string, useTLS bool, err error) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", "", "", false, fmt.Errorf("imap URL: %w", err)
	}
	switch u.Scheme {
	case "imaps":
		useTLS = true
	case "imap":
	default:
		return "", "", "", false, fmt.Errorf("imap URL: scheme must be imaps or imap, got %q", u.Scheme)
	}
	if u.Hostname() == "" {
		return "", "", "", false, errors.New("imap URL: no host")
	}
	if u.User == nil || u.User.Username() == "" {
		return "", "", "", false, errors.New("imap URL: no user (imaps://user@host/Folder)")
	}
	if _, ok := u.User.Password(); ok {
		return "", "", "", false, errors.New("imap URL: holds a password; give it in DIGEST_IMAP_PASSWORD or a _FILE instead")
	}
	port := u.Port()
	if port == "" {
		port = map[bool]string{true: "993", false: "143"}[useTLS]
	}
	if !useTLS {
		ip := net.ParseIP(u.Hostname())
		if u.Hostname() != "localhost" && (ip == nil || !ip.IsLoopback()) {
			return "", "", "", false, fmt.Errorf("imap URL: plain imap:// only to a loopback host, not %s: use imaps://", u.Hostname())
		}
	}
	folder = strings.Trim(u.Path, "/")
	if folder == "" {
		folder = "INBOX"
	}
	return net.JoinHostPort(u.Hostname(), port), u.User.Username(), folder, useTLS, nil
}

// DialIMAP connects, logs in and selects the folder.
func DialIMAP(ctx context.Context, cfg IMAPConfig) (*IMAP, error) {
	addr, user, folder, useTLS, err := ParseIMAPURL(cfg.URL)
	if err != nil {
		return nil, err
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 30 * time.Second
	}
	opts := &imapclient.Options{Dialer: &net.Dialer{Timeout: cfg.Timeout}}
	var c *imapclient.Client
	if useTLS {
		tc := cfg.TLSConfig.Clone()
		if tc == nil {
			tc = &tls.Config{}
		}
		if tc.ServerName == "" {
			tc.ServerName, _, _ = net.SplitHostPort(addr)
		}
		opts.TLSConfig = tc
		c, err = imapclient.DialTLS(addr, opts)
	} else {
		c, err = imapclient.DialInsecure(addr, opts)
	}
	if err != nil {
		return nil, fmt.Errorf("imap %s: %w", addr, err)
	}
	m := &IMAP{c: c, folder: folder, timeout: cfg.Timeout}
	stop := context.AfterFunc(ctx, func() { c.Close() })
	defer stop()
	if err := c.Login(user, cfg.Password).Wait(); err != nil {
		c.Close()
		return nil, fmt.Errorf("imap %s: login as %s: %w", addr, user, err)
	}
	if _, err := c.Select(folder, &imap.SelectOptions{}).Wait(); err != nil {
		c.Close()
		return nil, fmt.Errorf("imap %s: select %s: %w", addr, folder, err)
	}
	return m, nil
}

// Each reads the folder's messages in UID order, in batches: the first
// MaxReportBytes of each (without setting \Seen) and its size.
func (m *IMAP) Each(ctx context.Context, fn func(Message) error) error {
	stop := context.AfterFunc(ctx, func() { m.c.Close() })
	defer stop()
	sd, err := m.c.UIDSearch(&imap.SearchCriteria{}, nil).Wait()
	if err != nil {
		return fmt.Errorf("imap: search %s: %w", m.folder, err)
	}
	uids := sd.AllUIDs()
	section := &imap.FetchItemBodySection{Peek: true, Partial: &imap.SectionPartial{Offset: 0, Size: MaxReportBytes}}
	for len(uids) > 0 {
		n := min(len(uids), fetchBatch)
		batch := imap.UIDSetNum(uids[:n]...)
		uids = uids[n:]
		msgs, err := m.c.Fetch(batch, &imap.FetchOptions{UID: true, RFC822Size: true, BodySection: []*imap.FetchItemBodySection{section}}).Collect()
		if err != nil {
			return fmt.Errorf("imap: fetch from %s: %w", m.folder, err)
		}
		for _, msg := range msgs {
			if err := ctx.Err(); err != nil {
				return err
			}
			var data []byte
			for _, b := range msg.BodySection {
				data = b.Bytes
			}
			if err := fn(Message{Name: fmt.Sprintf("%s uid %d", m.folder, msg.UID), Data: data, Size: msg.RFC822Size, uid: uint32(msg.UID)}); err != nil {
				return err
			}
		}
	}
	return nil
}

// Done moves the message to the folder Processed, creating it if needed.
func (m *IMAP) Done(ctx context.Context, msg Message) error {
	uid := msg.uid
	if uid == 0 {
		return fmt.Errorf("imap: message %q: not from this folder", msg.Name)
	}
	stop := context.AfterFunc(ctx, func() { m.c.Close() })
	defer stop()
	if !m.haveProcessed {
		list, err := m.c.List("", ProcessedFolder, nil).Collect()
		if err != nil {
			return fmt.Errorf("imap: list %s: %w", ProcessedFolder, err)
		}
		if len(list) == 0 {
			if err := m.c.Create(ProcessedFolder, nil).Wait(); err != nil {
				return fmt.Errorf("imap: create %s: %w", ProcessedFolder, err)
			}
		}
		m.haveProcessed = true
	}
	if _, err := m.c.Move(imap.UIDSetNum(imap.UID(uid)), ProcessedFolder).Wait(); err != nil {
		return fmt.Errorf("imap: move to %s: %w", ProcessedFolder, err)
	}
	return nil
}

// Close logs out and closes the connection.
func (m *IMAP) Close() error {
	m.c.Logout().Wait()
	return m.c.Close()
}
