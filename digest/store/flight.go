package store

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/digest-newsletter/digest/digest"
)

// FlightPath returns the flight log's path for a state file: pass the
// resolved path (Store.Path), so that every path to one state finds its
// flight log. A PostgreSQL state's flight log is a file of this machine's
// temporary folder named after the state's URL (without its password): a
// run finds the log a killed run left on the same machine through the same
// URL. A log lost with its machine or its container, or left through
// another spelling of the URL, leaves the deliveries it claimed unknown,
// as a run without a log would: never sent twice.
func FlightPath(state string) string {
	if IsPostgres(state) {
		sum := sha256.Sum256([]byte(Redact(state)))
		return filepath.Join(os.TempDir(), "digest-"+hex.EncodeToString(sum[:8])+".flight")
	}
	return state + ".flight"
}

// ProcessFlightPath returns a flight log path of this process's own for a
// state that several runs on one machine may share (a PostgreSQL state):
// FlightPath's with the process ID and a random part. Hold Lock on it
// while the log is in use: ProcessFlights's caller recovers only the logs
// whose lock it can take, those of processes that ended.
func ProcessFlightPath(state string) string {
	var b [4]byte
	rand.Read(b[:])
	return strings.TrimSuffix(FlightPath(state), ".flight") + fmt.Sprintf("-%d-%x.flight", os.Getpid(), b)
}

// ProcessFlights returns the flight logs that ProcessFlightPath named for
// state on this machine, of live processes and of ended ones.
func ProcessFlights(state string) ([]string, error) {
	logs, err := filepath.Glob(strings.TrimSuffix(FlightPath(state), ".flight") + "-*.flight")
	if err != nil {
		return nil, fmt.Errorf("flight log: %w", err)
	}
	return logs, nil
}

// bootIDFile holds an ID the kernel draws anew at every boot.
const bootIDFile = "/proc/sys/kernel/random/boot_id"

const flightMagic = "digest-flight 1"

// A Flight is the flight log of one delivery run, implementing
// digest.FlightLog: append-only files beside the state that note each
// delivery's claim, each attempt as it starts and each result, between the
// journal's batched commits. Entries are copied into a shared memory
// mapping of the file (where the system has mmap; one write(2) each
// elsewhere), with no fsync: an entry costs well under a microsecond and
// survives a killed process, since the kernel holds the mapped pages, but
// not a crash of the machine; each file's header names the boot, and
// RecoverFlight ignores a log from an earlier boot. A mapped file is
// segment long from the start, zeros after the last entry. Its space is
// reserved on disk before it is mapped (see FlightOptions.Reserve), so a
// full file system is an error that names the file, never a crash when a
// mapped page is first written.
//
// The log is written in segments (path,
// path.1, path.2, …). A segment is removed once it and every older one
// hold no claim whose result is still to be committed to the journal, so
// the log stays small however long the list.
type Flight struct {
	mu   sync.Mutex
	f    *os.File
	m    []byte // the segment's mapping; nil when entries are written
	off  int    // bytes of the segment used
	path string
	buf  []byte

	seg     int            // the segment being written
	first   int            // the oldest segment still on disk
	open    map[string]int // claims not yet recorded: key → segment
	pending map[int]int    // segment → its claims not yet recorded

	segment int // bytes in a segment
	reserve func(f *os.File, size int64) error
}

// FlightOptions are the settings of a flight log. The zero value is the
// default.
type FlightOptions struct {
	// Segment is the size of a segment in bytes: 0 means 4 MiB, about
	// 10,000 entries.
	Segment int
	// Reserve reserves size bytes of disk for the new segment f before it
	// is mapped. nil means fallocate(2) on Linux. Where it returns an error
	// wrapping errors.ErrUnsupported (other systems, file systems without
	// fallocate), the segment is not mapped and each entry is written with
	// write(2), which reports a full disk itself. Any other error (a full
	// file system, a quota) fails the segment's start.
	Reserve func(f *os.File, size int64) error
}

// defaultFlightSegment is the size of a segment: about 10,000 entries.
const defaultFlightSegment = 4 << 20

// segmentPath returns the file of segment n.
func segmentPath(path string, n int) string {
	if n == 0 {
		return path
	}
	return path + "." + strconv.Itoa(n)
}

var _ digest.FlightLog = (*Flight)(nil)

// OpenFlight starts a new flight log at path with the default options,
// replacing any old one (call RecoverFlight first).
func OpenFlight(path string) (*Flight, error) { return OpenFlightWith(path, FlightOptions{}) }

// OpenFlightWith starts a new flight log at path, replacing any old one
// (call RecoverFlight first). It fails, leaving no log, when the file
// system has no room for the first segment.
func OpenFlightWith(path string, o FlightOptions) (*Flight, error) {
	if err := removeFlight(path); err != nil {
		return nil, err
	}
	l := &Flight{path: path, open: map[string]int{}, pending: map[int]int{}, segment: o.Segment, reserve: o.Reserve}
	if l.segment <= 0 {
		l.segment = defaultFlightSegment
	}
	if l.reserve == nil {
		l.reserve = reserveFile
	}
	if err := l.startSegment(0); err != nil {
		return nil, err
	}
	return l, nil
}

// startSegment opens segment n for writing. If its space cannot be
// reserved, no file of it is left behind (a segment without its header
// would make RecoverFlight distrust the whole log) and the segment being
// written stays the current one.
func (l *Flight) startSegment(n int) error {
	name := segmentPath(l.path, n)
	f, err := os.OpenFile(name, os.O_CREATE|os.O_TRUNC|os.O_RDWR, 0o600)
	if err != nil {
		return fmt.Errorf("flight log: %w", err)
	}
	fail := func(err error) error {
		f.Close()
		os.Remove(name)
		return err
	}
	header := fmt.Sprintf("%s %s\n", flightMagic, bootID())
	var m []byte
	switch err := l.reserve(f, int64(l.segment)); {
	case err == nil:
		m, err = mapFile(f, l.segment)
		if err != nil {
			m = nil
			if err := f.Truncate(0); err != nil {
				return fail(fmt.Errorf("flight log: %w", err))
			}
		}
	case errors.Is(err, errors.ErrUnsupported):
	default:
		return fail(fmt.Errorf("flight log: cannot reserve %s for %s on the file system of %s: %w",
			sizeText(l.segment), name, filepath.Dir(name), err))
	}
	if m != nil {
		copy(m, header)
	} else if _, err = f.WriteString(header); err != nil {
		return fail(fmt.Errorf("flight log %s: %w", name, err))
	}
	if err := l.closeSegment(); err != nil {
		return fail(err)
	}
	l.f, l.m, l.off, l.seg = f, m, len(header), n
	return nil
}

// sizeText writes n bytes in KiB or MiB.
func sizeText(n int) string {
	if n >= 1<<20 && n%(1<<20) == 0 {
		return strconv.Itoa(n>>20) + " MiB"
	}
	return strconv.Itoa((n+1023)>>10) + " KiB"
}

// closeSegment unmaps and closes the segment being written, if any.
func (l *Flight) closeSegment() error {
	var err error
	if l.m != nil {
		err = unmapFile(l.m)
	}
	if l.f != nil {
		err = errors.Join(err, l.f.Close())
	}
	l.f, l.m = nil, nil
	if err != nil {
		return fmt.Errorf("flight log: %w", err)
	}
	return nil
}

func flightKey(d digest.Delivery) string {
	return d.Edition + "\x00" + d.Channel + "\x00" + strings.ToLower(d.Email)
}

// Claimed notes deliveries about to be claimed in the journal.
func (l *Flight) Claimed(ds []digest.Delivery) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.buf = l.buf[:0]
	for _, d := range ds {
		l.buf = appendEntry(l.buf, 'C', d)
	}
	if err := l.write(); err != nil {
		return err
	}
	for _, d := range ds {
		if d.Status != digest.Sending {
			continue // settled at claim time (a stale deferral failed)
		}
		key := flightKey(d)
		if old, ok := l.open[key]; ok {
			l.pending[old]--
		}
		l.open[key] = l.seg
		l.pending[l.seg]++
	}
	return nil
}

// Recorded notes that these rows are committed to the journal: their claims
// need the log no more. Segments with nothing left to settle are removed.
func (l *Flight) Recorded(ds []digest.Delivery) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, d := range ds {
		key := flightKey(d)
		if seg, ok := l.open[key]; ok {
			delete(l.open, key)
			l.pending[seg]--
		}
	}
	for l.first < l.seg && l.pending[l.first] <= 0 {
		delete(l.pending, l.first)
		if err := os.Remove(segmentPath(l.path, l.first)); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("flight log: %w", err)
		}
		l.first++
	}
	return nil
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

// write appends l.buf, starting a new segment when the current one has no
// room for it. A claim of more entries than a segment holds goes into a
// segment of its own, written rather than mapped.
func (l *Flight) write() error {
	if l.f == nil {
		return errors.New("flight log: closed")
	}
	if l.off+len(l.buf) > l.segment {
		if err := l.startSegment(l.seg + 1); err != nil {
			return err
		}
	}
	if l.m != nil && l.off+len(l.buf) <= len(l.m) {
		l.off += copy(l.m[l.off:], l.buf)
		return nil
	}
	if l.m != nil {
		// Too big for a mapped segment: write it after the mapped bytes.
		if err := unmapFile(l.m); err != nil {
			return fmt.Errorf("flight log: %w", err)
		}
		l.m = nil
		if err := l.f.Truncate(int64(l.off)); err != nil {
			return fmt.Errorf("flight log: %w", err)
		}
		if _, err := l.f.Seek(int64(l.off), 0); err != nil {
			return fmt.Errorf("flight log: %w", err)
		}
	}
	if _, err := l.f.Write(l.buf); err != nil {
		return fmt.Errorf("flight log: %w", err)
	}
	l.off += len(l.buf)
	return nil
}

// Close ends the log and removes it: every result is in the journal.
func (l *Flight) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f == nil {
		return nil
	}
	if err := l.closeSegment(); err != nil {
		return err
	}
	return removeFlight(l.path)
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
	segs, err := flightSegments(path)
	if err != nil || len(segs) == 0 {
		return rec, err
	}
	rec.Found = true
	boot := bootID()
	var body []byte
	for _, seg := range segs {
		data, err := os.ReadFile(segmentPath(path, seg))
		if err != nil {
			return rec, fmt.Errorf("flight log: %w", err)
		}
		if i := bytes.IndexByte(data, 0); i >= 0 {
			data = data[:i] // the unused end of a mapped segment
		}
		header, rest, _ := bytes.Cut(data, []byte("\n"))
		if boot == "" || string(header) != flightMagic+" "+boot {
			rec.Ignored = true
			return rec, removeFlight(path)
		}
		// A torn last line of a segment must not run into the next one.
		if len(rest) > 0 && rest[len(rest)-1] != '\n' {
			rest = append(rest, '\n')
		}
		body = append(body, rest...)
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

// flightSegments returns the numbers of the flight log's segments on disk,
// oldest first.
func flightSegments(path string) ([]int, error) {
	var segs []int
	if _, err := os.Stat(path); err == nil {
		segs = append(segs, 0)
	}
	more, err := filepath.Glob(path + ".*")
	if err != nil {
		return nil, fmt.Errorf("flight log: %w", err)
	}
	for _, m := range more {
		if n, err := strconv.Atoi(strings.TrimPrefix(m, path+".")); err == nil && n > 0 {
			segs = append(segs, n)
		}
	}
	slices.Sort(segs)
	return segs, nil
}

// removeFlight removes every segment of the flight log at path.
func removeFlight(path string) error {
	segs, err := flightSegments(path)
	if err != nil {
		return err
	}
	for _, n := range segs {
		if err := os.Remove(segmentPath(path, n)); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("flight log: %w", err)
		}
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
