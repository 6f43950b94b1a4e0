package store

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/digest-newsletter/digest/digest"
)

// FlightPath returns the flight log's path for a state file.
func FlightPath(state string) string { return state + ".flight" }

// bootIDFile holds an ID the kernel draws anew at every boot.
const bootIDFile = "/proc/sys/kernel/random/boot_id"

const flightMagic = "digest-flight 1"

// A Flight is the flight log of one delivery run, implementing
// digest.FlightLog: an append-only file beside the state that notes each
// delivery's claim, each attempt as it starts and each result, between the
// journal's batched commits. Each entry is one write(2) and no fsync, so it
// costs microseconds and survives a killed process (the kernel keeps what
// was written) but not a crash of the machine; its header names the boot,
// and RecoverFlight ignores a log from an earlier boot.
type Flight struct {
	mu   sync.Mutex
	f    *os.File
	path string
	buf  []byte
}

var _ digest.FlightLog = (*Flight)(nil)

// OpenFlight starts a new flight log at path, replacing any old one (call
// RecoverFlight first).
func OpenFlight(path string) (*Flight, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_TRUNC|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("flight log: %w", err)
	}
	if _, err := fmt.Fprintf(f, "%s %s\n", flightMagic, bootID()); err != nil {
		f.Close()
		return nil, fmt.Errorf("flight log: %w", err)
	}
	return &Flight{f: f, path: path}, nil
}

// Claimed notes deliveries about to be claimed in the journal.
func (l *Flight) Claimed(ds []digest.Delivery) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.buf = l.buf[:0]
	for _, d := range ds {
		l.buf = appendEntry(l.buf, 'C', d)
	}
	return l.write()
}

// Attempting notes that a message is about to be handed to the transport.
func (l *Flight) Attempting(d digest.Delivery) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.buf = appendEntry(l.buf[:0], 'A', d)
	return l.write()
}

// Finished notes a delivery's result before it reaches the journal.
func (l *Flight) Finished(d digest.Delivery) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.buf = appendEntry(l.buf[:0], 'R', d)
	return l.write()
}

func (l *Flight) write() error {
	if l.f == nil {
		return errors.New("flight log: closed")
	}
	if _, err := l.f.Write(l.buf); err != nil {
		return fmt.Errorf("flight log: %w", err)
	}
	return nil
}

// Close ends the log and removes it: every result is in the journal.
func (l *Flight) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f == nil {
		return nil
	}
	err := l.f.Close()
	l.f = nil
	if rerr := os.Remove(l.path); rerr != nil && err == nil {
		err = rerr
	}
	if err != nil {
		return fmt.Errorf("flight log: %w", err)
	}
	return nil
}

// appendEntry writes one line: kind, then the delivery's fields separated
// by tabs, the free-text reply quoted.
func appendEntry(b []byte, kind byte, d digest.Delivery) []byte {
	b = append(b, kind, '\t')
	b = append(b, d.Edition...)
	b = append(b, '\t')
	b = append(b, d.Channel...)
	b = append(b, '\t')
	b = append(b, strings.ToLower(d.Email)...)
	b = append(b, '\t')
	b = append(b, d.Status...)
	b = append(b, '\t')
	b = strconv.AppendInt(b, int64(d.Attempts), 10)
	b = append(b, '\t')
	b = append(b, d.MessageID...)
	b = append(b, '\t')
	b = strconv.AppendInt(b, d.Updated.UnixNano(), 10)
	b = append(b, '\t')
	b = strconv.AppendQuote(b, d.Reply)
	return append(b, '\n')
}

func parseEntry(line string) (kind byte, d digest.Delivery, ok bool) {
	f := strings.SplitN(line, "\t", 9)
	if len(f) != 9 || len(f[0]) != 1 {
		return 0, d, false
	}
	attempts, err1 := strconv.Atoi(f[5])
	nanos, err2 := strconv.ParseInt(f[7], 10, 64)
	reply, err3 := strconv.Unquote(f[8])
	if err1 != nil || err2 != nil || err3 != nil {
		return 0, d, false
	}
	return f[0][0], digest.Delivery{
		Edition: f[1], Channel: f[2], Email: f[3], Status: digest.DeliveryStatus(f[4]),
		Attempts: attempts, MessageID: f[6], Updated: time.Unix(0, nanos).UTC(), Reply: reply,
	}, true
}

// FlightRecovery says what RecoverFlight did.
type FlightRecovery struct {
	Found bool // a flight log was left by a run that did not finish
	// Ignored is set when the log came from before a reboot and could be
	// incomplete: every delivery it claimed stays unknown.
	Ignored  bool
	Pending  int // claimed but never attempted: owed again
	Finished int // results the journal had not recorded yet
	Unknown  int // attempted with no result: truly in flight
}

// RecoverFlight applies the flight log a killed run left at path to the
// journal, then removes it: deliveries claimed but never attempted go back
// to pending, results not yet recorded are recorded, and only the messages
// that were in flight stay in sending (unknown). Only rows still in
// sending are changed. Without a log it does nothing.
func (s *Store) RecoverFlight(ctx context.Context, path string) (FlightRecovery, error) {
	var rec FlightRecovery
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return rec, nil
	}
	if err != nil {
		return rec, fmt.Errorf("flight log: %w", err)
	}
	rec.Found = true
	header, body, _ := bytes.Cut(data, []byte("\n"))
	boot := bootID()
	if boot == "" || string(header) != flightMagic+" "+boot {
		rec.Ignored = true
		return rec, removeFlight(path)
	}
	type state struct {
		claim     digest.Delivery
		attempted bool
		result    *digest.Delivery
	}
	byKey := map[string]*state{}
	var order []string
	sc := bufio.NewScanner(bytes.NewReader(body))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		kind, d, ok := parseEntry(sc.Text())
		if !ok {
			continue // a torn last line: the entry never completed
		}
		key := d.Edition + "\x00" + d.Channel + "\x00" + d.Email
		st := byKey[key]
		switch kind {
		case 'C':
			if st == nil {
				st = &state{}
				byKey[key] = st
				order = append(order, key)
			}
			st.claim, st.attempted, st.result = d, false, nil
		case 'A':
			if st != nil {
				st.attempted, st.result = true, nil
			}
		case 'R':
			if st != nil {
				st.result = &d
			}
		}
	}
	// Only rows the journal still holds in sending are the log's to settle.
	var writes []digest.Delivery
	for _, key := range order {
		st := byKey[key]
		rows, err := s.Deliveries(ctx, st.claim.Edition, st.claim.Channel, []string{st.claim.Email})
		if err != nil {
			return rec, err
		}
		row, ok := rows[st.claim.Email]
		if !ok || row.Status != digest.Sending {
			continue
		}
		switch {
		case st.result != nil && st.result.Status != digest.Sending:
			writes = append(writes, *st.result)
			rec.Finished++
		case st.attempted || st.result != nil:
			rec.Unknown++
		default:
			d := st.claim
			d.Status = digest.Pending
			writes = append(writes, d)
			rec.Pending++
		}
	}
	if err := s.Record(ctx, writes); err != nil {
		return rec, err
	}
	return rec, removeFlight(path)
}

func removeFlight(path string) error {
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("flight log: %w", err)
	}
	return nil
}

func bootID() string {
	b, err := os.ReadFile(bootIDFile)
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}
