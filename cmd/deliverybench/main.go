// Command deliverybench measures how fast `digest run` delivers an edition
// over SMTP, against the limit of the transport itself: Postfix's
// smtp-source sending as many messages of the same size over as many
// connections to the same loopback smtp-sink, in the same run.
//
//	go run ./cmd/deliverybench [-n 10000] [-c 4] [-runs 3] [-state postgres [-procs 3]]
//
// It generates n subscribers, starts smtp-sink on a free loopback port,
// builds cmd/digest and runs it against the sink with a fresh state file
// per run (the journal as durable as in production: SQLite WAL with
// synchronous=FULL), then runs smtp-source. It prints, per run and as the
// median: messages per second, the ratio digest / smtp-source, peak RSS,
// CPU seconds and the p50/p99 time per message from digest's report.
// After each digest run it checks, with the sink's own counter, that the
// sink received exactly n messages: a count, not a check of who got each.
//
// With -state postgres it starts a private PostgreSQL cluster in a
// temporary folder (initdb and pg_ctl from Debian's postgresql package,
// durable settings), and each run delivers from a new database, made a
// digest state before the run starts, as --new-state does. With -procs N
// (PostgreSQL only), N `digest run` processes start at once on that one
// state and deliver the edition together; the rate is n over the wall time
// from the first start to the last exit, the CPU is theirs summed and the
// peak RSS, p50 and p99 the highest of them.
//
// smtp-sink and smtp-source come from Debian's postfix package, fetched
// once with `apt-get download postfix` and unpacked with `dpkg -x` into
// -postfix (default ~/.cache/digest-bench); Postfix is neither installed
// nor started. The benchmark needs Linux and apt; CI does not run it.
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/digest-newsletter/digest/digest/store"
	"github.com/digest-newsletter/digest/digest/store/pgtest"
	"github.com/digest-newsletter/digest/digest/subscriber"
)

// options are the command's flags.
type options struct {
	n, conns, runs int
	postfix        string // folder of the unpacked postfix package
	work           string // folder for lists, state and binaries; "" = temporary
	keep           bool
	cpuprofile     string // passed to digest as DIGEST_CPUPROFILE
	memprofile     string // passed to digest as DIGEST_MEMPROFILE
	noSource       bool
	perConn        int
	bin            string // a prebuilt digest; "" = build ./cmd/digest
	noPipelining   bool   // smtp-sink -p: PIPELINING not offered
	noPin          bool   // leave smtp-sink free to move between CPUs
	state          string // "sqlite" or "postgres"
	procs          int    // digest run processes at once on one state
}

// check refuses flags that do not go together.
func (o options) check() error {
	switch {
	case o.n < 1 || o.conns < 1 || o.runs < 1 || o.procs < 1:
		return errors.New("-n, -c, -runs and -procs must be at least 1")
	case o.state != "sqlite" && o.state != "postgres":
		return fmt.Errorf("-state %q: want sqlite or postgres", o.state)
	case o.procs > 1 && o.state != "postgres":
		return errors.New("-procs above 1 needs -state postgres: runs share a SQLite state only one at a time")
	}
	return nil
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var o options
	home, _ := os.UserCacheDir()
	flag.IntVar(&o.n, "n", 10000, "subscribers (messages) per run")
	flag.IntVar(&o.conns, "c", 4, "SMTP connections (DIGEST_SMTP_CONCURRENCY and smtp-source -s)")
	flag.IntVar(&o.runs, "runs", 3, "runs; the table ends with the median")
	flag.StringVar(&o.postfix, "postfix", filepath.Join(home, "digest-bench"), "folder holding (or to receive) the unpacked postfix package")
	flag.StringVar(&o.work, "work", "", "work folder (default: a temporary one, removed unless -keep)")
	flag.BoolVar(&o.keep, "keep", false, "keep the work folder")
	flag.StringVar(&o.cpuprofile, "cpuprofile", "", "ask digest for a CPU profile of each run (DIGEST_CPUPROFILE=FILE.runN)")
	flag.StringVar(&o.memprofile, "memprofile", "", "ask digest for an allocation profile of each run (DIGEST_MEMPROFILE=FILE.runN)")
	flag.BoolVar(&o.noSource, "no-smtp-source", false, "skip the smtp-source reference")
	flag.IntVar(&o.perConn, "per-conn", 0, "DIGEST_SMTP_MAX_PER_CONN (0: digest's default)")
	flag.StringVar(&o.bin, "bin", "", "use this digest binary instead of building ./cmd/digest")
	flag.BoolVar(&o.noPipelining, "no-pipelining", false, "have smtp-sink not offer PIPELINING (smtp-sink -p)")
	flag.BoolVar(&o.noPin, "no-pin", false, "do not pin smtp-sink to the last CPU (with taskset)")
	flag.StringVar(&o.state, "state", "sqlite", "the state: sqlite (a file per run) or postgres (a private cluster, a database per run)")
	flag.IntVar(&o.procs, "procs", 1, "digest run processes started at once on one state (more than 1 needs -state postgres)")
	flag.Parse()
	if err := run(ctx, os.Stdout, o); err != nil {
		fmt.Fprintf(os.Stderr, "deliverybench: %v\n", err)
		os.Exit(1)
	}
}

// measure is one program's run.
type measure struct {
	sent     int
	wall     time.Duration // the whole process
	delivery time.Duration // digest: the delivery stage only (its report)
	cpu      time.Duration // user + system of the child
	maxRSS   int64         // bytes
	p50, p99 time.Duration
	sinkCPU  time.Duration // smtp-sink's user + system time during the run
	pgCPU    time.Duration // the PostgreSQL server's (its backends') during the run; 0 for SQLite
	ratio    float64       // of the median row: the median of the runs' ratios
}

func (m measure) rate() float64 { return float64(m.sent) / m.wall.Seconds() }

func (m measure) deliveryRate() float64 {
	if m.delivery <= 0 {
		return 0
	}
	return float64(m.sent) / m.delivery.Seconds()
}

func run(ctx context.Context, out io.Writer, o options) error {
	if err := o.check(); err != nil {
		return err
	}
	root, err := moduleRoot(ctx)
	if err != nil {
		return err
	}
	sink, source, err := postfixTools(ctx, o.postfix)
	if err != nil {
		return err
	}
	work := o.work
	if work == "" {
		if work, err = os.MkdirTemp("", "deliverybench-"); err != nil {
			return err
		}
		if !o.keep {
			defer os.RemoveAll(work)
		}
	} else if err := os.MkdirAll(work, 0o755); err != nil {
		return err
	}
	bin := o.bin
	if bin == "" {
		bin = filepath.Join(work, "digest")
		build := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/digest")
		build.Dir, build.Stderr = root, os.Stderr
		if err := build.Run(); err != nil {
			return fmt.Errorf("build digest: %w", err)
		}
	}
	list := filepath.Join(work, "subscribers.csv")
	if err := writeList(list, o.n); err != nil {
		return err
	}
	size, err := messageSize(ctx, bin, root, work)
	if err != nil {
		return err
	}
	var pg *pgtest.Server
	pgPID := 0
	if o.state == "postgres" {
		if pg, err = pgtest.StartDurable(ctx); err != nil {
			return fmt.Errorf("postgres: %w", err)
		}
		defer pg.Stop()
		if pgPID, err = pg.PID(); err != nil {
			return fmt.Errorf("postgres: %w", err)
		}
	}

	port, err := freePort()
	if err != nil {
		return err
	}
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	args := []string{}
	if os.Geteuid() == 0 {
		args = append(args, "-u", "root") // required when run as root
	}
	if o.noPipelining {
		args = append(args, "-p")
	}
	args = append(args, "-c", addr, "256") // -c: counters on stdout
	args = append([]string{sink}, args...)
	pinned := ""
	if cpu := runtime.NumCPU() - 1; cpu > 0 && !o.noPin {
		if taskset, err := exec.LookPath("taskset"); err == nil {
			// smtp-sink is one process: left free, it moves between CPUs
			// and its cost per message swings by half (smtp-source's rate
			// with it, 4,000 to 6,700 a second here); on a CPU of its
			// own it is steady.
			args = append([]string{taskset, "-c", strconv.Itoa(cpu)}, args...)
			pinned = fmt.Sprintf(" sink on CPU %d", cpu)
		}
	}
	sinkCmd := exec.CommandContext(ctx, args[0], args[1:]...)
	sinkCmd.Env = append(os.Environ(), "LD_LIBRARY_PATH="+postfixLibs(o.postfix))
	sinkCmd.Stderr = os.Stderr
	var count sinkCount
	sinkCmd.Stdout = &count
	if err := sinkCmd.Start(); err != nil {
		return fmt.Errorf("smtp-sink: %w", err)
	}
	defer func() { _ = sinkCmd.Process.Kill(); _ = sinkCmd.Wait() }()
	if err := waitListening(ctx, addr); err != nil {
		return fmt.Errorf("smtp-sink: %w", err)
	}

	fmt.Fprintf(out, "deliverybench: n=%d connections=%d message=%d bytes state=%s procs=%d  %s%s\n",
		o.n, o.conns, size, o.state, o.procs, machine(), pinned)
	fmt.Fprintf(out, "%-4s %-6s %10s %10s %10s %7s %9s %8s %9s %9s %10s %10s %10s %7s\n",
		"run", "load", "digest/s", "deliver/s", "source/s", "ratio", "peakRSS", "CPU s", "p50", "p99",
		"source CPU", "sink CPU d", "sink CPU s", "pg CPU")
	var ds, ss []measure
	counted := 0 // messages the sink must have received so far
	for i := 1; i <= o.runs; i++ {
		load := loadAvg()
		state := ""
		if pg != nil {
			if state, err = newPostgresState(ctx, pg); err != nil {
				return fmt.Errorf("run %d: %w", i, err)
			}
		}
		// The counters come through a pipe and may lag behind the
		// sink: wait for the last run's before taking the baseline.
		received := count.await(ctx, counted)
		before := procCPU(sinkCmd.Process.Pid, false)
		pgBefore := procCPU(pgPID, true)
		d, err := runDigest(ctx, o, i, bin, root, work, list, state, port)
		if err != nil {
			return fmt.Errorf("run %d: %w", i, err)
		}
		d.sinkCPU = procCPU(sinkCmd.Process.Pid, false) - before
		if pgPID > 0 {
			// The backends end when the runs close their connections;
			// give the server a moment to reap them.
			time.Sleep(100 * time.Millisecond)
			d.pgCPU = procCPU(pgPID, true) - pgBefore
		}
		if got := count.await(ctx, received+o.n) - received; got != o.n {
			return fmt.Errorf("run %d: the sink received %d messages for %d subscribers", i, got, o.n)
		}
		counted = received + o.n
		ds = append(ds, d)
		var s measure
		if !o.noSource {
			before := procCPU(sinkCmd.Process.Pid, false)
			if s, err = runSource(ctx, o, source, size, addr); err != nil {
				return fmt.Errorf("run %d: %w", i, err)
			}
			s.sinkCPU = procCPU(sinkCmd.Process.Pid, false) - before
			ss = append(ss, s)
			counted += o.n
		}
		printRow(out, strconv.Itoa(i), load, d, s)
	}
	var medS measure
	if len(ss) > 0 {
		medS = median(ss)
		// The ratio's median is taken over the runs' ratios, each of a
		// digest run and the smtp-source run right after it: the machine
		// drifts between faster and slower spells, which a ratio of
		// medians taken apart would mix.
		ratios := make([]float64, len(ss))
		for i := range ss {
			ratios[i] = ds[i].rate() / ss[i].rate()
		}
		slices.Sort(ratios)
		medS.ratio = ratios[len(ratios)/2]
	}
	printRow(out, "med", loadAvg(), median(ds), medS)
	fmt.Fprintln(out, "digest/s: messages / wall time of the whole `digest run` process (start, collect, render, deliver, exit);")
	fmt.Fprintln(out, "deliver/s: messages / the delivery stage of digest's report; ratio = digest/s / source/s (med: the median ratio);")
	fmt.Fprintln(out, "peakRSS and CPU s: digest's (rusage of the child); p50/p99: time per message, render to final reply;")
	fmt.Fprintln(out, "source CPU: smtp-source's CPU seconds; sink CPU d, s: smtp-sink's while digest, smtp-source sent.")
	if pg != nil {
		fmt.Fprintln(out, "pg CPU: the PostgreSQL server's backends' CPU seconds during the digest run (its background processes not counted).")
	}
	if o.procs > 1 {
		fmt.Fprintf(out, "%d processes: digest/s from the first start to the last exit; deliver/s over the longest delivery stage;\n", o.procs)
		fmt.Fprintln(out, "CPU s summed; peakRSS, p50 and p99 the highest of the processes'.")
	}
	return nil
}

func printRow(out io.Writer, name, load string, d, s measure) {
	ratio, srate, scpu, ssink := "-", "-", "-", "-"
	if s.sent > 0 {
		srate = fmt.Sprintf("%.0f", s.rate())
		r := d.rate() / s.rate()
		if s.ratio > 0 {
			r = s.ratio
		}
		ratio = fmt.Sprintf("%.2f", r)
		scpu = fmt.Sprintf("%.2f", s.cpu.Seconds())
		ssink = fmt.Sprintf("%.2f", s.sinkCPU.Seconds())
	}
	pg := "-"
	if d.pgCPU > 0 {
		pg = fmt.Sprintf("%.2f", d.pgCPU.Seconds())
	}
	fmt.Fprintf(out, "%-4s %-6s %10.0f %10.0f %10s %7s %8.1fM %8.2f %9s %9s %10s %10.2f %10s %7s\n",
		name, load, d.rate(), d.deliveryRate(), srate, ratio, float64(d.maxRSS)/(1<<20), d.cpu.Seconds(),
		d.p50.Round(time.Microsecond), d.p99.Round(time.Microsecond), scpu, d.sinkCPU.Seconds(), ssink, pg)
}

// median takes the median of each column on its own.
func median(ms []measure) measure {
	pick := func(f func(measure) float64) float64 {
		v := make([]float64, len(ms))
		for i, m := range ms {
			v[i] = f(m)
		}
		slices.Sort(v)
		return v[len(v)/2]
	}
	sent := ms[0].sent
	return measure{
		sent:     sent,
		wall:     time.Duration(float64(sent) / pick(measure.rate) * float64(time.Second)),
		delivery: time.Duration(float64(sent) / max(pick(measure.deliveryRate), 1e-9) * float64(time.Second)),
		cpu:      time.Duration(pick(func(m measure) float64 { return float64(m.cpu) })),
		maxRSS:   int64(pick(func(m measure) float64 { return float64(m.maxRSS) })),
		p50:      time.Duration(pick(func(m measure) float64 { return float64(m.p50) })),
		p99:      time.Duration(pick(func(m measure) float64 { return float64(m.p99) })),
		sinkCPU:  time.Duration(pick(func(m measure) float64 { return float64(m.sinkCPU) })),
		pgCPU:    time.Duration(pick(func(m measure) float64 { return float64(m.pgCPU) })),
	}
}

// report is the part of digest's --report JSON the benchmark reads.
type report struct {
	Sent      int           `json:"sent"`
	Unknown   int           `json:"unknown"`
	Duration  time.Duration `json:"duration_ns"`
	SendTimes *struct {
		P50 time.Duration `json:"p50_ns"`
		P99 time.Duration `json:"p99_ns"`
	} `json:"send_times"`
}

// runDigest runs o.procs `digest run` processes at once against the sink,
// on a fresh state: a new file in the run's folder, or the PostgreSQL
// state at the URL state.
func runDigest(ctx context.Context, o options, i int, bin, root, work, list, state string, port int) (measure, error) {
	dir := filepath.Join(work, fmt.Sprintf("run%d", i))
	if err := os.RemoveAll(dir); err != nil {
		return measure{}, err
	}
	if state == "" {
		state = filepath.Join(dir, "digest.db")
	}
	cmds := make([]*exec.Cmd, o.procs)
	reports := make([]string, o.procs)
	for p := range cmds {
		pdir, suffix := dir, fmt.Sprintf(".run%d", i)
		if o.procs > 1 {
			pdir = filepath.Join(dir, fmt.Sprintf("p%d", p+1))
			suffix += fmt.Sprintf(".p%d", p+1)
		}
		if err := os.MkdirAll(pdir, 0o755); err != nil {
			return measure{}, err
		}
		reports[p] = filepath.Join(pdir, "report.json")
		env := append(os.Environ(),
			fmt.Sprintf("DIGEST_SMTP_URL=smtp://127.0.0.1:%d?tls=none", port),
			"DIGEST_SUBSCRIBERS="+list,
			"DIGEST_STATE="+state,
			"DIGEST_SOURCES="+filepath.Join(root, "examples", "sources.txt"),
			"DIGEST_SMTP_CONCURRENCY="+strconv.Itoa(o.conns),
			"DIGEST_REPORT="+reports[p],
			"DIGEST_FROM=The Digest <digest@example.org>",
			"DIGEST_QUIET=true",
		)
		env = append(env, listEnv...)
		if o.perConn > 0 {
			env = append(env, "DIGEST_SMTP_MAX_PER_CONN="+strconv.Itoa(o.perConn))
		}
		if o.cpuprofile != "" {
			env = append(env, "DIGEST_CPUPROFILE="+o.cpuprofile+suffix)
		}
		if o.memprofile != "" {
			env = append(env, "DIGEST_MEMPROFILE="+o.memprofile+suffix)
		}
		cmd := exec.CommandContext(ctx, bin, "run")
		cmd.Dir, cmd.Env, cmd.Stderr = pdir, env, os.Stderr
		cmds[p] = cmd
	}
	m, err := timedAll(cmds)
	if err != nil {
		return m, fmt.Errorf("digest run: %w", err)
	}
	var unknown int
	for _, f := range reports {
		b, err := os.ReadFile(f)
		if err != nil {
			return m, err
		}
		var r report
		if err := json.Unmarshal(b, &r); err != nil {
			return m, fmt.Errorf("report %s: %w", f, err)
		}
		m.sent += r.Sent
		unknown += r.Unknown
		m.delivery = max(m.delivery, r.Duration)
		if r.SendTimes != nil {
			m.p50, m.p99 = max(m.p50, r.SendTimes.P50), max(m.p99, r.SendTimes.P99)
		}
	}
	if m.sent != o.n || unknown != 0 {
		return m, fmt.Errorf("digest sent %d of %d messages (%d unknown)", m.sent, o.n, unknown)
	}
	return m, nil
}

// newPostgresState makes a new database on srv and digest's state in it,
// as `digest run --new-state` does, and returns its URL.
func newPostgresState(ctx context.Context, srv *pgtest.Server) (string, error) {
	u, err := srv.NewDatabase(ctx)
	if err != nil {
		return "", err
	}
	if err := store.MakePostgresState(ctx, u); err != nil {
		return "", err
	}
	return u, nil
}

// listEnv configures the list as one in production is: every message has
// its own one-click unsubscribe link, in the body and the headers.
var listEnv = []string{
	"DIGEST_BASE_URL=https://news.example.org",
	"DIGEST_SECRET=deliverybench-secret-of-32-bytes-or-more",
}

// runSource sends n messages of size bytes over conns connections, each
// connection kept for all its messages (-d), as digest keeps its own.
func runSource(ctx context.Context, o options, source string, size int, addr string) (measure, error) {
	cmd := exec.CommandContext(ctx, source, "-d", "-l", strconv.Itoa(size), "-m", strconv.Itoa(o.n),
		"-s", strconv.Itoa(o.conns), "-f", "from@example.org", "-t", "to@example.org", addr)
	cmd.Env = append(os.Environ(), "LD_LIBRARY_PATH="+postfixLibs(o.postfix))
	cmd.Stderr = os.Stderr
	m, err := timed(cmd)
	if err != nil {
		return m, fmt.Errorf("smtp-source: %w", err)
	}
	m.sent = o.n
	return m, nil
}

// timedAll starts cmds at once and returns the wall time from the first
// start to the last exit, their CPU time summed and the highest peak RSS.
// It waits for every command, also when one fails, and returns the first
// error.
func timedAll(cmds []*exec.Cmd) (measure, error) {
	start := time.Now()
	var first error
	started := cmds[:0:0]
	for p, cmd := range cmds {
		if err := cmd.Start(); err != nil {
			first = fmt.Errorf("process %d: %w", p+1, err)
			break
		}
		started = append(started, cmd)
	}
	var m measure
	for p, cmd := range started {
		if err := cmd.Wait(); err != nil && first == nil {
			first = fmt.Errorf("process %d: %w", p+1, err)
		}
		if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
			m.cpu += time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
			m.maxRSS = max(m.maxRSS, ru.Maxrss<<10) // kilobytes on Linux
		}
	}
	m.wall = time.Since(start)
	return m, first
}

// timed runs cmd and returns its wall time, CPU time and peak RSS.
func timed(cmd *exec.Cmd) (measure, error) {
	start := time.Now()
	if err := cmd.Run(); err != nil {
		return measure{}, err
	}
	m := measure{wall: time.Since(start)}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		m.cpu = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
		m.maxRSS = ru.Maxrss << 10 // kilobytes on Linux
	}
	return m, nil
}

// messageSize runs digest into an outbox for a few subscribers and returns
// the average size of the messages it wrote.
func messageSize(ctx context.Context, bin, root, work string) (int, error) {
	dir := filepath.Join(work, "size")
	if err := os.RemoveAll(dir); err != nil {
		return 0, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return 0, err
	}
	list := filepath.Join(dir, "subscribers.csv")
	if err := writeList(list, 20); err != nil {
		return 0, err
	}
	cmd := exec.CommandContext(ctx, bin, "run")
	cmd.Dir, cmd.Stderr = dir, os.Stderr
	cmd.Env = append(os.Environ(),
		"DIGEST_SUBSCRIBERS="+list,
		"DIGEST_STATE="+filepath.Join(dir, "digest.db"),
		"DIGEST_SOURCES="+filepath.Join(root, "examples", "sources.txt"),
		"DIGEST_OUTBOX="+filepath.Join(dir, "outbox"),
		"DIGEST_FROM=The Digest <digest@example.org>",
		"DIGEST_QUIET=true",
	)
	cmd.Env = append(cmd.Env, listEnv...)
	if err := cmd.Run(); err != nil {
		return 0, fmt.Errorf("digest run to the outbox: %w", err)
	}
	var total, count int
	err := filepath.WalkDir(filepath.Join(dir, "outbox"), func(path string, e os.DirEntry, err error) error {
		if err != nil || e.IsDir() || !strings.HasSuffix(path, ".eml") {
			return err
		}
		info, err := e.Info()
		if err != nil {
			return err
		}
		total += int(info.Size())
		count++
		return nil
	})
	if err != nil {
		return 0, err
	}
	if count == 0 {
		return 0, errors.New("digest wrote no message to the outbox")
	}
	return total / count, nil
}

func writeList(path string, n int) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := subscriber.Generate(f, n); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// postfixTools returns the paths of smtp-sink and smtp-source, fetching and
// unpacking the postfix package into dir first if they are not there.
func postfixTools(ctx context.Context, dir string) (sink, source string, err error) {
	sink = filepath.Join(dir, "pkg", "usr", "sbin", "smtp-sink")
	source = filepath.Join(dir, "pkg", "usr", "sbin", "smtp-source")
	if _, err := os.Stat(sink); err == nil {
		return sink, source, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", "", err
	}
	dl := exec.CommandContext(ctx, "apt-get", "download", "postfix")
	dl.Dir, dl.Stdout, dl.Stderr = dir, os.Stderr, os.Stderr
	if err := dl.Run(); err != nil {
		return "", "", fmt.Errorf("apt-get download postfix (needs apt; or unpack postfix into %s/pkg): %w", dir, err)
	}
	debs, _ := filepath.Glob(filepath.Join(dir, "postfix_*.deb"))
	if len(debs) == 0 {
		return "", "", errors.New("apt-get download postfix: no .deb")
	}
	x := exec.CommandContext(ctx, "dpkg", "-x", debs[len(debs)-1], filepath.Join(dir, "pkg"))
	x.Stderr = os.Stderr
	if err := x.Run(); err != nil {
		return "", "", fmt.Errorf("dpkg -x: %w", err)
	}
	return sink, source, nil
}

// postfixLibs is where the unpacked tools find their shared libraries.
func postfixLibs(dir string) string {
	return filepath.Join(dir, "pkg", "usr", "lib", "postfix")
}

func moduleRoot(ctx context.Context) (string, error) {
	b, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	mod := strings.TrimSpace(string(b))
	if mod == "" || mod == os.DevNull {
		return "", errors.New("run from inside the digest module")
	}
	return filepath.Dir(mod), nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func waitListening(ctx context.Context, addr string) error {
	deadline := time.Now().Add(5 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			return nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return err
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// procCPU is the user + system time of a running process, from
// /proc/PID/stat, with reaped also that of its children it has waited
// for; 0 if it cannot be read.
func procCPU(pid int, reaped bool) time.Duration {
	if pid <= 0 {
		return 0
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// The fields after the command name, which is in parentheses and may
	// hold spaces: state is field 3, utime 14 and stime 15.
	_, rest, ok := bytes.Cut(b, []byte(") "))
	if !ok {
		return 0
	}
	// cutime and cstime, the waited-for children's, are 16 and 17.
	f := strings.Fields(string(rest))
	if len(f) < 15 {
		return 0
	}
	last := 12
	if reaped {
		last = 14
	}
	var t int64
	for _, v := range f[11 : last+1] {
		n, _ := strconv.ParseInt(v, 10, 64)
		t += n
	}
	const ticks = 100 // USER_HZ on Linux
	return time.Duration(t) * time.Second / ticks
}

// loadAvg is the one-minute load average, from /proc/loadavg.
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	return strings.Fields(string(b))[0]
}

// machine names the CPU and its cores, from /proc/cpuinfo.
func machine() string {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return ""
	}
	defer f.Close()
	model, cores := "", 0
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, _ := strings.Cut(sc.Text(), ":")
		switch strings.TrimSpace(k) {
		case "model name":
			model = strings.TrimSpace(v)
		case "processor":
			cores++
		}
	}
	return fmt.Sprintf("cpu=%q cores=%d", model, cores)
}

// sinkCount reads smtp-sink's counters (its -c flag) from its standard
// output: records such as "sess=2 quit=2 mesg=11", each ended by a
// carriage return, mesg counting the messages received so far.
type sinkCount struct {
	mu      sync.Mutex
	partial []byte
	mesg    int
}

// Write takes the sink's output; it never fails.
func (c *sinkCount) Write(b []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.partial = append(c.partial, b...)
	for {
		i := bytes.IndexAny(c.partial, "\r\n")
		if i < 0 {
			break
		}
		for _, f := range strings.Fields(string(c.partial[:i])) {
			if v, ok := strings.CutPrefix(f, "mesg="); ok {
				if n, err := strconv.Atoi(v); err == nil {
					c.mesg = n
				}
			}
		}
		c.partial = c.partial[i+1:]
	}
	return len(b), nil
}

// messages is the count of messages the sink has received.
func (c *sinkCount) messages() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.mesg
}

// await returns the sink's count once it reaches want and then a moment
// later (so that messages beyond want are counted too), or after two
// seconds, whichever comes first.
func (c *sinkCount) await(ctx context.Context, want int) int {
	deadline := time.Now().Add(2 * time.Second)
	for c.messages() < want && time.Now().Before(deadline) && ctx.Err() == nil {
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(200 * time.Millisecond)
	return c.messages()
}
