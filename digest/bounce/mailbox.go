package bounce

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

func sha256Sum(b []byte) [32]byte { return sha256.Sum256(b) }

// ProcessedFolder is the folder messages acted on are moved to: a Maildir++
// subfolder ".Processed" of a Maildir, or "Processed" beside an IMAP folder.
const ProcessedFolder = "Processed"

// Open opens the mailbox named by a path: a Maildir (a folder holding
// cur, new and tmp) or an mbox file. IMAP folders are opened with DialIMAP.
func Open(path string) (Mailbox, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("mailbox: %w", err)
	}
	if fi.IsDir() {
		for _, sub := range []string{"cur", "new"} {
			if st, err := os.Stat(filepath.Join(path, sub)); err != nil || !st.IsDir() {
				return nil, fmt.Errorf("mailbox %s: a folder but not a Maildir (no %s folder)", path, sub)
			}
		}
		return &Maildir{Path: path}, nil
	}
	return &Mbox{Path: path}, nil
}

// A Maildir is a mail folder in the Maildir format. Messages acted on are
// moved into its Maildir++ subfolder .Processed; the others stay where
// they are.
type Maildir struct {
	Path string
}

// Each reads the messages of new and cur, oldest name first.
func (md *Maildir) Each(ctx context.Context, fn func(Message) error) error {
	for _, sub := range []string{"new", "cur"} {
		dir := filepath.Join(md.Path, sub)
		ents, err := os.ReadDir(dir)
		if err != nil {
			return fmt.Errorf("maildir: %w", err)
		}
		sort.Slice(ents, func(i, j int) bool { return ents[i].Name() < ents[j].Name() })
		for _, e := range ents {
			if !e.Type().IsRegular() || strings.HasPrefix(e.Name(), ".") {
				continue
			}
			m, err := readFile(filepath.Join(dir, e.Name()))
			if errors.Is(err, os.ErrNotExist) {
				continue // moved away by another reader of the folder
			}
			if err != nil {
				return fmt.Errorf("maildir: %w", err)
			}
			m.Name = filepath.Join(sub, e.Name())
			if err := fn(m); err != nil {
				return err
			}
		}
	}
	return nil
}

// Done moves the message to .Processed/cur, marked seen.
func (md *Maildir) Done(ctx context.Context, m Message) error {
	dest := filepath.Join(md.Path, "."+ProcessedFolder)
	for _, sub := range []string{"cur", "new", "tmp"} {
		if err := os.MkdirAll(filepath.Join(dest, sub), 0o700); err != nil {
			return err
		}
	}
	name := filepath.Base(m.Name)
	if !strings.Contains(name, ":2,") {
		name += ":2,S"
	}
	return os.Rename(filepath.Join(md.Path, m.Name), filepath.Join(dest, "cur", name))
}

// Close does nothing.
func (md *Maildir) Close() error { return nil }

// readFile reads the first MaxReportBytes of a file and its size; the
// rest is not read.
func readFile(path string) (Message, error) {
	f, err := os.Open(path)
	if err != nil {
		return Message{}, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return Message{}, err
	}
	data, err := io.ReadAll(io.LimitReader(f, MaxReportBytes))
	if err != nil {
		return Message{}, err
	}
	return Message{Data: data, Size: fi.Size()}, nil
}

// An Mbox is a file of messages each starting with a "From " line (mboxo
// or mboxrd; a ">From " quoted in a body is unquoted). It is only read:
// the state's record of each report acted on makes a rerun skip it.
type Mbox struct {
	Path string
}

// Each reads the messages in file order. Each message's name is "line N",
// where its From line is.
func (mb *Mbox) Each(ctx context.Context, fn func(Message) error) error {
	f, err := os.Open(mb.Path)
	if err != nil {
		return fmt.Errorf("mbox: %w", err)
	}
	defer f.Close()
	br := bufio.NewReaderSize(f, 64<<10)
	var cur *Message
	lineNo, start := 0, 0
	cont := false // the last read ended inside a line
	flush := func() error {
		if cur == nil {
			return nil
		}
		m := *cur
		cur = nil
		// The blank line before the next From line belongs to the
		// separator.
		if int64(len(m.Data)) == m.Size && bytes.HasSuffix(m.Data, []byte("\n\n")) {
			m.Data = m.Data[:len(m.Data)-1]
			m.Size--
		}
		m.Name = "line " + strconv.Itoa(start)
		return fn(m)
	}
	for {
		line, err := br.ReadSlice('\n')
		if len(line) > 0 {
			lineNo++
			switch {
			case !cont && bytes.HasPrefix(line, []byte("From ")):
				if err := flush(); err != nil {
					return err
				}
				cur, start = &Message{}, lineNo
			case cur != nil:
				if q := bytes.TrimLeft(line, ">"); !cont && len(q) < len(line) && bytes.HasPrefix(q, []byte("From ")) {
					line = line[1:]
				}
				cur.Size += int64(len(line))
				if room := MaxReportBytes - len(cur.Data); room > 0 {
					cur.Data = append(cur.Data, line[:min(room, len(line))]...)
				}
			}
		}
		cont = errors.Is(err, bufio.ErrBufferFull)
		if cont {
			lineNo-- // the line goes on
			continue
		}
		if err == io.EOF {
			return flush()
		}
		if err != nil {
			return fmt.Errorf("mbox: %w", err)
		}
	}
}

// Done does nothing: an mbox file is not rewritten.
func (mb *Mbox) Done(ctx context.Context, m Message) error { return nil }

// Close does nothing.
func (mb *Mbox) Close() error { return nil }
