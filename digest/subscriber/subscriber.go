// Package subscriber reads the subscriber list: a CSV file with a header
// row, streamed one row at a time so that a list of millions of addresses
// is never held in memory.
//
// # The file
//
// Columns are found by their header name, compared case-insensitively after
// trimming spaces. The email column is required; name, status, topics,
// cadence and timezone are understood; every other named column is kept in
// Subscriber.Attrs under its lower-cased name, for templates. The delimiter
// is a comma, a semicolon or a tab, whichever the header row uses most
// outside quotes. A UTF-8 byte-order mark, CRLF line ends, quoted fields
// with delimiters, quotes ("") and newlines in them, and blank lines
// (empty, or only delimiters and spaces) are handled. Field values are
// trimmed of spaces. A name, and every extra column, is made one clean line
// with digest.CleanText (every run of white space, line breaks included,
// becomes one space; control, bidi and zero-width characters are removed),
// as a name goes into the To header; a name is cut to digest.MaxName
// characters and an extra column to digest.MaxAttr, with an ellipsis.
//
//   - email: a bare address, checked by CheckAddress. Two rows with the same
//     address, compared case-insensitively, are a duplicate; the later row
//     is skipped.
//   - status: active (or empty), unsubscribed or bounced, in any case. Only
//     active rows are mailed; the others are valid rows that the pipeline
//     counts as skipped.
//   - topics: tags separated by ";", "|", "," or white space (a "," only
//     inside a quoted field when the delimiter is a comma, a ";" likewise
//     when it is a semicolon). Empty means every item.
//   - cadence: daily (or empty) or weekly, in any case.
//   - timezone: an IANA zone name such as Europe/Berlin, as time.LoadLocation
//     knows it; the machine needs the zone database (or a binary that
//     imports time/tzdata).
//
// # Errors
//
// A bad row is yielded as a *digest.InputError naming the file, the line the
// row starts on (1-based; the header is line 1), the field at fault (empty
// for a malformed row) and the reason, and the stream goes on:
//
//	subscribers.csv:7: email: "bob@@example.com" is not a valid address (more than one @)
//
// The file must be UTF-8 (with or without a byte-order mark). A row with a
// field that is not, as a list saved as Latin-1 or Windows-1252 has
// wherever a name has an accent, is a bad row like any other, wrapping
// ErrNotUTF8, and is skipped: its bytes are never guessed at, nor sent on in
// a part labelled UTF-8.
//
//	subscribers.csv:4: name: not UTF-8: "J\xfcrgen" has the byte 0xFC; save the file as UTF-8 (in Excel: "CSV UTF-8")
//
// Only the first problem of a row is reported. A problem that ends the
// stream (the file cannot be opened or read, the header has no email column,
// names a column twice or is not UTF-8, the context is done) is yielded
// once, last, and is never a *digest.InputError, as digest.SubscriberList
// requires; header problems wrap ErrNoEmailColumn, ErrDuplicateColumn or
// ErrNotUTF8.
package subscriber

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"iter"
	"os"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/digest-newsletter/digest/digest"
)

// Errors that end the stream at the header.
var (
	ErrNoEmailColumn   = errors.New("no email column in the header")
	ErrDuplicateColumn = errors.New("column named twice in the header")
)

// ErrNotUTF8 is the reason of a row, or a header, with bytes that are not
// UTF-8: the file was saved in another encoding (Latin-1, Windows-1252).
var ErrNotUTF8 = errors.New("not UTF-8")

// notUTF8 returns the error for a field f that is not valid UTF-8.
func notUTF8(f string) error {
	i := 0
	for i < len(f) {
		r, n := utf8.DecodeRuneInString(f[i:])
		if r == utf8.RuneError && n <= 1 {
			break
		}
		i += n
	}
	return fmt.Errorf("%w: %q has the byte 0x%02X; save the file as UTF-8 (in Excel: \"CSV UTF-8\")", ErrNotUTF8, f, f[i])
}

// A File is a subscriber list in a CSV file, read anew at each call of
// Subscribers.
type File struct {
	// Path is the file's path; reports name the file by it.
	Path string
	// KeepDuplicates yields an address listed twice again instead of
	// reporting it, and so holds no set of addresses: memory stays flat
	// however long the list. For a caller that catches duplicates another
	// way, as the Dispatcher does through the journal.
	KeepDuplicates bool
}

var _ digest.SubscriberList = (*File)(nil)

// Subscribers streams the file's subscribers: each good row as a
// digest.Subscriber with a nil error, each bad row as a *digest.InputError,
// and at most one final error, not a *digest.InputError, when the stream
// ends early. It holds one row at a time, plus a set of 64-bit hashes of the
// addresses seen (see the package doc on duplicates).
func (f *File) Subscribers(ctx context.Context) iter.Seq2[digest.Subscriber, error] {
	return func(yield func(digest.Subscriber, error) bool) {
		fh, err := os.Open(f.Path)
		if err != nil {
			yield(digest.Subscriber{}, fmt.Errorf("subscriber list: %w", err))
			return
		}
		defer fh.Close()
		read(ctx, fh, f.Path, !f.KeepDuplicates, yield)
	}
}

// A Reader is a subscriber list read from an io.Reader, such as standard
// input or a test's string. It can be iterated once.
type Reader struct {
	r    io.Reader
	name string
	used bool
}

var _ digest.SubscriberList = (*Reader)(nil)

// NewReader returns a Reader of the CSV in r; name is the file name used in
// reports ("-" or "stdin" for standard input).
func NewReader(r io.Reader, name string) *Reader {
	return &Reader{r: r, name: name}
}

// Subscribers streams the subscribers as File.Subscribers does. A second
// iteration yields only an error.
func (r *Reader) Subscribers(ctx context.Context) iter.Seq2[digest.Subscriber, error] {
	return func(yield func(digest.Subscriber, error) bool) {
		if r.used {
			yield(digest.Subscriber{}, fmt.Errorf("%s: subscriber list already read", r.name))
			return
		}
		r.used = true
		read(ctx, r.r, r.name, true, yield)
	}
}

// column is what a header column holds.
type column int

const (
	colAttr column = iota
	colEmail
	colName
	colStatus
	colTopics
	colCadence
	colTimezone
	colIgnored // a column with an empty header name
)

var known = map[string]column{
	"email":    colEmail,
	"name":     colName,
	"status":   colStatus,
	"topics":   colTopics,
	"cadence":  colCadence,
	"timezone": colTimezone,
}

// header is the layout of the file, read from its first row.
type header struct {
	kinds []column
	names []string // lower-cased, trimmed
	attrs int      // how many attribute columns
}

// field returns the name of column i for a report: its header name, or
// its number if the header leaves it unnamed.
func (h header) field(i int) string {
	if h.names[i] != "" {
		return h.names[i]
	}
	return fmt.Sprintf("column %d", i+1)
}

// parser holds the state of one pass over a file.
type parser struct {
	name  string
	delim rune
	hdr   header
	seen  *addressSet
	zones map[string]bool // time zone names already looked up
}

// headerError is a problem in the header row; it ends the stream.
type headerError struct {
	file string
	err  error
}

func (e *headerError) Error() string { return fmt.Sprintf("%s:1: %v", e.file, e.err) }
func (e *headerError) Unwrap() error { return e.err }

// maxZones bounds the cache of time zone lookups; a file naming more
// distinct zones than this is still read, only more slowly.
const maxZones = 1024

func read(ctx context.Context, r io.Reader, name string, dedupe bool, yield func(digest.Subscriber, error) bool) {
	br := bufio.NewReaderSize(r, 64<<10)
	if bom, _ := br.Peek(3); bytes.Equal(bom, []byte("\uFEFF")) {
		br.Discard(3)
	}
	p := &parser{name: name, delim: sniffDelimiter(br), zones: map[string]bool{}}
	if dedupe {
		p.seen = newAddressSet()
	}
	cr := csv.NewReader(br)
	cr.Comma = p.delim
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true

	first, err := cr.Read()
	switch {
	case errors.Is(err, io.EOF):
		yield(digest.Subscriber{}, &headerError{name, fmt.Errorf("empty file: %w", ErrNoEmailColumn)})
		return
	case err != nil:
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			err = &headerError{name, pe.Err}
		} else {
			err = fmt.Errorf("read %s: %w", name, err)
		}
		yield(digest.Subscriber{}, err)
		return
	}
	if err := p.readHeader(first); err != nil {
		yield(digest.Subscriber{}, err)
		return
	}

	for n := 0; ; n++ {
		if n%1024 == 0 {
			if err := ctx.Err(); err != nil {
				yield(digest.Subscriber{}, fmt.Errorf("read %s: %w", name, err))
				return
			}
		}
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return
		}
		if err != nil {
			var pe *csv.ParseError
			if !errors.As(err, &pe) {
				yield(digest.Subscriber{}, fmt.Errorf("read %s: %w", name, err))
				return
			}
			// encoding/csv drops the rest of a malformed row and goes
			// on with the next line.
			if !yield(digest.Subscriber{}, &digest.InputError{File: name, Line: pe.StartLine, Column: pe.Column, Err: pe.Err}) {
				return
			}
			continue
		}
		if blank(rec) {
			continue
		}
		line, _ := cr.FieldPos(0)
		sub, err := p.row(rec, line)
		if err != nil {
			if !yield(digest.Subscriber{}, err) {
				return
			}
			continue
		}
		if !yield(sub, nil) {
			return
		}
	}
}

// sniffDelimiter looks at the first line of br, without consuming it, and
// returns the one of ',', ';' and '\t' that occurs most often outside quotes,
// a comma on a tie. It looks at 64 KiB at most.
func sniffDelimiter(br *bufio.Reader) rune {
	n := 1
	for {
		buf, err := br.Peek(n)
		counts, done := countDelimiters(buf)
		if done || err != nil {
			best, most := ',', counts[',']
			for _, d := range []rune{';', '\t'} {
				if counts[d] > most {
					best, most = d, counts[d]
				}
			}
			return best
		}
		n = br.Buffered() + 1
	}
}

// countDelimiters counts the candidate delimiters in the first line of buf
// outside quotes, and reports whether buf holds the whole line.
func countDelimiters(buf []byte) (counts map[rune]int, done bool) {
	counts = map[rune]int{}
	quoted := false
	for _, c := range buf {
		switch {
		case c == '"':
			quoted = !quoted
		case quoted:
		case c == '\n':
			return counts, true
		case c == ',' || c == ';' || c == '\t':
			counts[rune(c)]++
		}
	}
	return counts, false
}

func (p *parser) readHeader(rec []string) error {
	h := header{kinds: make([]column, len(rec)), names: make([]string, len(rec))}
	where := map[string]bool{}
	hasEmail := false
	for i, f := range rec {
		if !utf8.ValidString(f) {
			return &headerError{p.name, fmt.Errorf("column %d: %w", i+1, notUTF8(f))}
		}
		name := strings.ToLower(strings.TrimSpace(f))
		h.names[i] = name
		if name == "" {
			h.kinds[i] = colIgnored
			continue
		}
		if where[name] {
			return &headerError{p.name, fmt.Errorf("%q: %w", name, ErrDuplicateColumn)}
		}
		where[name] = true
		kind, ok := known[name]
		if !ok {
			h.attrs++
		}
		h.kinds[i] = kind
		hasEmail = hasEmail || kind == colEmail
	}
	if !hasEmail {
		return &headerError{p.name, fmt.Errorf("%w (columns: %s)", ErrNoEmailColumn, strings.Join(h.names, ", "))}
	}
	p.hdr = h
	return nil
}

// blank reports whether a row has nothing but spaces in it.
func blank(rec []string) bool {
	for _, f := range rec {
		if strings.TrimSpace(f) != "" {
			return false
		}
	}
	return true
}

// row turns one record into a subscriber, or returns the first problem
// found as a *digest.InputError. Only a good row's address is added to the
// duplicate set, so a bad row does not shadow a later good one.
func (p *parser) row(rec []string, line int) (digest.Subscriber, error) {
	bad := func(field string, err error) (digest.Subscriber, error) {
		return digest.Subscriber{}, &digest.InputError{File: p.name, Line: line, Field: field, Err: err}
	}
	if want := len(p.hdr.kinds); len(rec) != want {
		if len(rec) < want {
			return bad("", fmt.Errorf("too few fields (%d, want %d)", len(rec), want))
		}
		return bad("", fmt.Errorf("too many fields (%d, want %d)", len(rec), want))
	}
	for i, f := range rec {
		if !utf8.ValidString(f) {
			return bad(p.hdr.field(i), notUTF8(f))
		}
	}
	sub := digest.Subscriber{Line: line}
	if p.hdr.attrs > 0 {
		sub.Attrs = make(map[string]string, p.hdr.attrs)
	}
	for i, f := range rec {
		f = strings.TrimSpace(f)
		switch p.hdr.kinds[i] {
		case colEmail:
			if err := CheckAddress(f); err != nil {
				return bad("email", fmt.Errorf("%q is not a valid address (%w)", f, err))
			}
			sub.Email = f
		case colName:
			// A name ends up in the To header: one clean line.
			sub.Name = digest.Shorten(digest.CleanText(f), digest.MaxName)
		case colStatus:
			s := strings.ToLower(f)
			switch s {
			case "", digest.StatusActive, digest.StatusUnsubscribed, digest.StatusBounced:
			default:
				return bad("status", fmt.Errorf("%q is not a status (want active, unsubscribed or bounced)", f))
			}
			sub.Status = s
		case colTopics:
			sub.Topics = splitTopics(f)
		case colCadence:
			c := strings.ToLower(f)
			switch c {
			case "", digest.CadenceDaily, digest.CadenceWeekly:
			default:
				return bad("cadence", fmt.Errorf("%q is not a cadence (want daily or weekly)", f))
			}
			sub.Cadence = c
		case colTimezone:
			if f != "" && !p.knownZone(f) {
				return bad("timezone", fmt.Errorf("%q is not a known time zone", f))
			}
			sub.Timezone = f
		case colAttr:
			sub.Attrs[p.hdr.names[i]] = digest.Shorten(digest.CleanText(f), digest.MaxAttr)
		}
	}
	if p.seen == nil {
		return sub, nil
	}
	if first, dup := p.seen.add(sub.Email, line); dup {
		return bad("email", fmt.Errorf("%q is a duplicate of line %d", sub.Email, first))
	}
	return sub, nil
}

// knownZone reports whether time.LoadLocation knows name, remembering the
// answer for up to maxZones names. "Local" is refused: it means the
// machine's zone, not the subscriber's.
func (p *parser) knownZone(name string) bool {
	if ok, cached := p.zones[name]; cached {
		return ok
	}
	_, err := time.LoadLocation(name)
	ok := err == nil && name != "Local"
	if len(p.zones) < maxZones {
		p.zones[name] = ok
	}
	return ok
}

// splitTopics splits a topics field on ";", "|", "," and white space,
// dropping empty and repeated topics.
func splitTopics(f string) []string {
	if f == "" {
		return nil
	}
	var topics []string
	for _, t := range strings.FieldsFunc(f, func(r rune) bool {
		return r == ';' || r == '|' || r == ',' || r == ' ' || r == '\t' || r == '\n' || r == '\r'
	}) {
		dup := false
		for _, u := range topics {
			dup = dup || u == t
		}
		if !dup {
			topics = append(topics, t)
		}
	}
	return topics
}
