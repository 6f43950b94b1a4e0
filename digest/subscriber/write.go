package subscriber

import (
	"bufio"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/digest-newsletter/digest/digest"
)

// Columns returns the header of the list's file: its column names,
// lower-cased and trimmed, in order. It reads the first row only.
func (f *File) Columns(ctx context.Context) ([]string, error) {
	fh, err := os.Open(f.Path)
	if err != nil {
		return nil, fmt.Errorf("subscriber list: %w", err)
	}
	defer fh.Close()
	br := bufio.NewReaderSize(fh, 64<<10)
	if bom, _ := br.Peek(3); string(bom) == "\uFEFF" {
		br.Discard(3)
	}
	cr := csv.NewReader(br)
	cr.Comma = sniffDelimiter(br)
	cr.FieldsPerRecord = -1
	rec, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, &headerError{f.Path, fmt.Errorf("empty file: %w", ErrNoEmailColumn)}
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", f.Path, err)
	}
	cols := make([]string, len(rec))
	for i, c := range rec {
		cols[i] = strings.ToLower(strings.TrimSpace(c))
	}
	return cols, nil
}

// A Writer writes subscribers as a CSV list that File reads back the same:
// a header of the given columns, then one row a subscriber, comma
// separated. Columns that File understands (email, name, status, topics,
// cadence, timezone) take the subscriber's fields, topics joined with
// ";"; any other takes the attribute of that name; an empty name stays
// empty.
type Writer struct {
	w    *csv.Writer
	cols []string
	row  []string
}

// NewWriter returns a Writer of these columns to w, and writes the header.
func NewWriter(w io.Writer, columns []string) (*Writer, error) {
	cw := csv.NewWriter(w)
	if err := cw.Write(columns); err != nil {
		return nil, err
	}
	return &Writer{w: cw, cols: columns, row: make([]string, len(columns))}, nil
}

// Write writes one subscriber.
func (w *Writer) Write(sub digest.Subscriber) error {
	for i, c := range w.cols {
		switch known[c] {
		case colEmail:
			w.row[i] = sub.Email
		case colName:
			w.row[i] = sub.Name
		case colStatus:
			w.row[i] = sub.Status
		case colTopics:
			w.row[i] = strings.Join(sub.Topics, ";")
		case colCadence:
			w.row[i] = sub.Cadence
		case colTimezone:
			w.row[i] = sub.Timezone
		default:
			w.row[i] = sub.Attrs[c]
		}
	}
	return w.w.Write(w.row)
}

// Flush writes what is buffered and returns the first error of any write.
func (w *Writer) Flush() error {
	w.w.Flush()
	return w.w.Error()
}
