package mailer

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/digest-newsletter/digest/digest"
)

// An Outbox writes each message as a .eml file under a folder instead of
// sending it: dir/<edition>/<address>.eml, named as fileName says, so that
// distinct addresses get distinct files. A file appears whole or not at
// all (written to a temporary file, synced, then linked to its name, which
// fails if the name exists). A message sent again to the same address in
// the same edition (the same Message-ID) replaces its file; a file that
// holds another message is never overwritten: that send fails for good.
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

// Frame builds the skeleton of c's messages once.
func (o *Outbox) Frame(c *digest.Compiled, h digest.Letterhead) (digest.Frame, error) {
	return newFrame(c, h, o.boundary)
}

// Open returns a connection that writes files; it never fails.
func (o *Outbox) Open(ctx context.Context) (digest.Conn, error) {
	return &outboxConn{o: o}, nil
}

// Path returns the file the Outbox writes m to.
func (o *Outbox) Path(m *digest.Message) string {
	return filepath.Join(o.dir, fileName(m.Edition), fileName(m.To)+".eml")
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
	msg, err := c.builder.build(m, false)
	if err != nil {
		return "", &digest.SendError{Permanent: true, Err: err}
	}
	path := c.o.Path(m)
	if err := writeFileExclusive(path, msg, m.MessageID); err != nil {
		if errors.Is(err, errNameTaken) {
			return "", &digest.SendError{Permanent: true, Err: fmt.Errorf("outbox: %w", err)}
		}
		return "", fmt.Errorf("outbox: %w", err)
	}
	return "saved " + path, nil
}

func (c *outboxConn) Close() error { return nil }

// errNameTaken is returned by writeFileExclusive when the file's name is
// held by another message.
var errNameTaken = errors.New("file name already holds another message")

// writeFileExclusive writes data to name through a synced temporary file
// in the same folder, hard-linked to name so that an existing file is never
// overwritten. If name exists and holds the message with the Message-ID
// id (the same delivery sent again), it is replaced; if it holds another
// message, the error wraps errNameTaken.
func writeFileExclusive(name string, data []byte, id string) (err error) {
	dir := filepath.Dir(name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, ".tmp-*.eml")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer func() {
		_ = os.Remove(tmp) // linked, renamed or failed: the temporary name goes
	}()
	if _, err = f.Write(data); err != nil {
		_ = f.Close()
		return err
	}
	if err = f.Sync(); err != nil {
		_ = f.Close()
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	err = os.Link(tmp, name)
	if errors.Is(err, fs.ErrExist) {
		same, rerr := holdsMessage(name, id)
		switch {
		case rerr != nil:
			return rerr
		case !same:
			return fmt.Errorf("%s: %w", name, errNameTaken)
		}
		err = os.Rename(tmp, name)
	}
	if err != nil {
		return err
	}
	if d, derr := os.Open(dir); derr == nil {
		_ = d.Sync()
		_ = d.Close()
	}
	return nil
}

// holdsMessage reports whether the .eml file name has the Message-ID id
// among its headers.
func holdsMessage(name, id string) (bool, error) {
	f, err := os.Open(name)
	if err != nil {
		return false, err
	}
	defer f.Close()
	want := "message-id: <" + strings.ToLower(id) + ">"
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line == "\r" {
			return false, nil // the end of the header
		}
		if strings.EqualFold(strings.TrimRight(line, "\r"), want) {
			return true, nil
		}
	}
	return false, sc.Err()
}

// maxName is the longest file name fileName returns, without ".eml", well
// under the 255 bytes most file systems allow.
const maxName = 200

// fileName turns an address or edition ID into a file name, distinct for
// distinct inputs once lower-cased and trimmed (addresses are compared in
// lower case): letters, digits and ".-_+@" are kept, every other byte
// (a '/', a '%', each byte of a non-ASCII letter) is written as %XX, and a
// leading dot as %2e, so a plain address keeps its own name
// ("ada@example.com") and the name can be decoded back. A name longer than
// maxName bytes is cut and ends in "~" and 16 hex digits of the input's
// SHA-256 (a '~' appears in no other name). An empty input gives "_".
func fileName(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	if s == "" {
		return "_"
	}
	const hex = "0123456789abcdef"
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9',
			c == '-', c == '_', c == '+', c == '@',
			c == '.' && i > 0:
			b = append(b, c)
		default:
			b = append(b, '%', hex[c>>4], hex[c&15])
		}
	}
	if len(b) <= maxName {
		return string(b)
	}
	sum := sha256.Sum256([]byte(s))
	suffix := "~" + fmt.Sprintf("%x", sum[:8])
	cut := maxName - len(suffix)
	// Never cut inside a %XX.
	if i := bytes.LastIndexByte(b[max(0, cut-2):cut], '%'); i >= 0 {
		cut = max(0, cut-2) + i
	}
	return string(b[:cut]) + suffix
}
