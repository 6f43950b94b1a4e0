package mailer

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/digest-newsletter/digest/digest"
)

// An Outbox writes each message as a .eml file under a folder instead of
// sending it: dir/<edition>/<address>.eml. A file appears whole or not at
// all (written to a temporary file, synced, then renamed). A message sent
// again to the same address in the same edition replaces its file.
type Outbox struct {
	dir      string
	boundary string
}

var _ digest.Transport = (*Outbox)(nil)

// NewOutbox returns an Outbox writing under dir; folders are created as
// needed.
func NewOutbox(dir string) *Outbox { return &Outbox{dir: dir} }

// Channel returns "outbox".
func (o *Outbox) Channel() string { return "outbox" }

// Open returns a connection that writes files; it never fails.
func (o *Outbox) Open(ctx context.Context) (digest.Conn, error) {
	return &outboxConn{o: o}, nil
}

// Path returns the file the Outbox writes m to.
func (o *Outbox) Path(m *digest.Message) string {
	return filepath.Join(o.dir, safeName(m.Edition), safeName(m.To)+".eml")
}

type outboxConn struct {
	o       *Outbox
	builder builder
}

// Send writes m's file and returns "saved <path>".
func (c *outboxConn) Send(ctx context.Context, m *digest.Message) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	var opts []BuildOption
	if c.o.boundary != "" {
		opts = append(opts, WithBoundary(c.o.boundary))
	}
	msg, err := c.builder.build(m, opts...)
	if err != nil {
		return "", &digest.SendError{Permanent: true, Err: err}
	}
	path := c.o.Path(m)
	if err := writeFileAtomic(path, msg); err != nil {
		return "", fmt.Errorf("outbox: %w", err)
	}
	return "saved " + path, nil
}

func (c *outboxConn) Close() error { return nil }

// writeFileAtomic writes data to name through a synced temporary file in
// the same folder and a rename.
func writeFileAtomic(name string, data []byte) (err error) {
	dir := filepath.Dir(name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, ".tmp-*.eml")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			_ = f.Close()
			_ = os.Remove(f.Name())
		}
	}()
	if _, err = f.Write(data); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	if err = os.Rename(f.Name(), name); err != nil {
		return err
	}
	if d, derr := os.Open(dir); derr == nil {
		_ = d.Sync()
		_ = d.Close()
	}
	return nil
}

// safeName turns an address or edition ID into a file name: lower case,
// letters, digits and ".-_+@" kept, anything else replaced by "_", never
// starting with a dot, at most 200 bytes.
func safeName(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	b := []byte(s)
	for i, c := range b {
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9',
			c == '.', c == '-', c == '_', c == '+', c == '@':
		default:
			b[i] = '_'
		}
	}
	if len(b) > 200 {
		b = b[:200]
	}
	if len(b) == 0 || b[0] == '.' {
		b = append([]byte{'_'}, b...)
	}
	return string(b)
}
