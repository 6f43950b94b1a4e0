package main

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/digest-newsletter/digest/digest"
)

// runOutcome is what one run leaves in the metrics file and the pings.
type runOutcome struct {
	Started, Finished time.Time
	// OK is true when the run ended with exit code 0: everything owed was
	// delivered, or nothing was owed.
	OK       bool
	ExitCode int
	Report   *digest.Report // nil when the run stopped before delivering
	// SourceFailures counts the sources that failed, also when the run
	// stopped before delivering.
	SourceFailures int
}

// lastSuccessMetric is the one value carried over from the previous file.
const lastSuccessMetric = "digest_last_success_timestamp_seconds"

// writeMetrics writes the outcome as a Prometheus textfile for
// node_exporter's textfile collector. The file is written under a temporary
// name in the same folder (not ending in .prom, so the collector skips it)
// and renamed, so a scrape never sees half a file. The last success time is
// read back from the file being replaced when this run did not succeed.
func writeMetrics(path string, o runOutcome) error {
	lastSuccess := float64(0)
	if o.OK {
		lastSuccess = unixSeconds(o.Finished)
	} else {
		lastSuccess = readMetric(path, lastSuccessMetric)
	}
	var b bytes.Buffer
	gauge := func(name, help string, v float64) {
		fmt.Fprintf(&b, "# HELP %s %s\n# TYPE %s gauge\n%s %s\n", name, help, name, name, formatFloat(v))
	}
	gauge("digest_last_run_timestamp_seconds", "When the last digest run finished, as a Unix time.", unixSeconds(o.Finished))
	gauge(lastSuccessMetric, "When the last digest run that exited 0 finished, as a Unix time; 0: never.", lastSuccess)
	gauge("digest_last_run_success", "1 if the last digest run exited 0, else 0.", boolFloat(o.OK))
	gauge("digest_last_run_exit_code", "The exit code of the last digest run.", float64(o.ExitCode))
	gauge("digest_last_run_duration_seconds", "How long the last digest run took.", o.Finished.Sub(o.Started).Seconds())
	gauge("digest_last_run_source_failures", "Sources that failed in the last digest run.", float64(o.SourceFailures))
	r := o.Report
	if r == nil {
		r = &digest.Report{}
	}
	const name = "digest_last_run_deliveries"
	fmt.Fprintf(&b, "# HELP %s Deliveries of the last digest run, by outcome.\n# TYPE %s gauge\n", name, name)
	for _, c := range []struct {
		status string
		n      int
	}{
		{"sent", r.Sent}, {"failed", r.Failed}, {"deferred", r.Deferred}, {"unknown", r.Unknown}, {"pending", r.Pending},
		{"already_sent", r.AlreadySent}, {"already_failed", r.AlreadyFailed}, {"skipped", r.Skipped},
		{"invalid", r.Invalid}, {"empty", r.Empty}, {"not_today", r.NotToday},
	} {
		fmt.Fprintf(&b, "%s{status=%q} %d\n", name, c.status, c.n)
	}
	if old, err := os.ReadFile(path); err == nil {
		b.WriteString(bounceMetricLines(string(old)))
	}
	return writeFileAtomic(path, b.Bytes(), 0o644)
}

// readMetric returns the value of an unlabelled sample in a textfile, or 0
// when the file or the sample is missing or unreadable.
func readMetric(path, name string) float64 {
	f, err := os.Open(path)
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		rest, ok := strings.CutPrefix(sc.Text(), name+" ")
		if !ok {
			continue
		}
		v, err := strconv.ParseFloat(strings.TrimSpace(rest), 64)
		if err != nil {
			return 0
		}
		return v
	}
	return 0
}

// writeFileAtomic writes data to a temporary file beside path and renames
// it over path.
func writeFileAtomic(path string, data []byte, perm os.FileMode) error {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	tmp, err := os.CreateTemp(dir, "."+base+".tmp*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	_, werr := tmp.Write(data)
	if werr == nil {
		werr = tmp.Chmod(perm)
	}
	if err := tmp.Close(); werr == nil {
		werr = err
	}
	if werr == nil {
		werr = os.Rename(tmp.Name(), path)
	}
	if werr != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("write %s: %w", path, werr)
	}
	return nil
}

func unixSeconds(t time.Time) float64 {
	if t.IsZero() {
		return 0
	}
	return float64(t.UnixMilli()) / 1000
}

func formatFloat(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

func boolFloat(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// The bounce counters: digest bounces writes them from the state's totals,
// and a run's rewrite of the file carries them over.
const (
	bouncesMetric    = "digest_bounces_total"
	complaintsMetric = "digest_complaints_total"
)

func isBounceMetricLine(line string) bool {
	for _, name := range []string{bouncesMetric, complaintsMetric} {
		if strings.HasPrefix(line, name+" ") || strings.HasPrefix(line, name+"{") ||
			strings.HasPrefix(line, "# HELP "+name+" ") || strings.HasPrefix(line, "# TYPE "+name+" ") {
			return true
		}
	}
	return false
}

// bounceMetricLines returns the lines of the bounce counters in a textfile.
func bounceMetricLines(file string) string {
	var b strings.Builder
	for line := range strings.Lines(file) {
		if isBounceMetricLine(strings.TrimRight(line, "\n")) {
			b.WriteString(line)
		}
	}
	return b.String()
}

// withBounceMetrics returns the textfile with its bounce counters replaced
// by these totals.
func withBounceMetrics(file string, totals map[digest.BounceKind]int) string {
	var b strings.Builder
	for line := range strings.Lines(file) {
		if !isBounceMetricLine(strings.TrimRight(line, "\n")) {
			b.WriteString(line)
		}
	}
	fmt.Fprintf(&b, "# HELP %s Bounces recorded in the state, by kind (hard or soft), one per address and report.\n# TYPE %s counter\n", bouncesMetric, bouncesMetric)
	for _, k := range []digest.BounceKind{digest.HardBounce, digest.SoftBounce} {
		fmt.Fprintf(&b, "%s{kind=%q} %d\n", bouncesMetric, k, totals[k])
	}
	fmt.Fprintf(&b, "# HELP %s Spam complaints (feedback reports) recorded in the state.\n# TYPE %s counter\n%s %d\n",
		complaintsMetric, complaintsMetric, complaintsMetric, totals[digest.Complaint])
	return b.String()
}
