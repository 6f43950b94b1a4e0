package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/digest-newsletter/digest/digest"
	"github.com/digest-newsletter/digest/digest/mailer/mailertest"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// TestMetricsGolden compares a metrics file with testdata/metrics.prom.
func TestMetricsGolden(t *testing.T) {
	path := filepath.Join(t.TempDir(), "digest.prom")
	start := time.Date(2026, 11, 29, 6, 0, 0, 0, time.UTC)
	err := writeMetrics(path, runOutcome{
		Started: start, Finished: start.Add(1500 * time.Millisecond), OK: true, ExitCode: 0, SourceFailures: 1,
		Report: &digest.Report{Sent: 40, AlreadySent: 2, Skipped: 3, Invalid: 1},
	})
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "metrics.prom")
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -update to write it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("metrics differ from %s (go test -update rewrites it):\n%s", golden, got)
	}
	checkTextfile(t, got)
}

// checkTextfile checks the Prometheus text format line by line: comments
// are HELP or TYPE, samples are a name, optional labels and a number.
func checkTextfile(t *testing.T, b []byte) {
	t.Helper()
	sample := regexp.MustCompile(`^[a-zA-Z_:][a-zA-Z0-9_:]*(\{[a-zA-Z_][a-zA-Z0-9_]*="[^"\\\n]*"(,[a-zA-Z_][a-zA-Z0-9_]*="[^"\\\n]*")*\})? -?[0-9.e+]+$`)
	comment := regexp.MustCompile(`^# (HELP [a-zA-Z_:][a-zA-Z0-9_:]* .+|TYPE [a-zA-Z_:][a-zA-Z0-9_:]* (gauge|counter))$`)
	if !bytes.HasSuffix(b, []byte("\n")) {
		t.Error("no final newline")
	}
	for i, line := range strings.Split(strings.TrimSuffix(string(b), "\n"), "\n") {
		if !sample.MatchString(line) && !comment.MatchString(line) {
			t.Errorf("line %d is not Prometheus text format: %q", i+1, line)
		}
	}
}

// TestMetricsKeepLastSuccess: a failed run keeps the success time of the
// run before it; a success sets it.
func TestMetricsKeepLastSuccess(t *testing.T) {
	path := filepath.Join(t.TempDir(), "digest.prom")
	day1 := time.Date(2026, 11, 29, 6, 0, 0, 0, time.UTC)
	day2 := day1.Add(24 * time.Hour)
	day3 := day2.Add(24 * time.Hour)
	steps := []struct {
		name        string
		finished    time.Time
		ok          bool
		wantSuccess float64
		wantLastRun float64
	}{
		{name: "first run fails: never succeeded", finished: day1, wantSuccess: 0, wantLastRun: float64(day1.Unix())},
		{name: "second succeeds", finished: day2, ok: true, wantSuccess: float64(day2.Unix()), wantLastRun: float64(day2.Unix())},
		{name: "third fails: keeps the second", finished: day3, wantSuccess: float64(day2.Unix()), wantLastRun: float64(day3.Unix())},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			code := exitOK
			if !s.ok {
				code = exitPartial
			}
			if err := writeMetrics(path, runOutcome{Started: s.finished.Add(-time.Minute), Finished: s.finished, OK: s.ok, ExitCode: code}); err != nil {
				t.Fatal(err)
			}
			if got := readMetric(path, "digest_last_success_timestamp_seconds"); got != s.wantSuccess {
				t.Errorf("last success = %v, want %v", got, s.wantSuccess)
			}
			if got := readMetric(path, "digest_last_run_timestamp_seconds"); got != s.wantLastRun {
				t.Errorf("last run = %v, want %v", got, s.wantLastRun)
			}
			if got := readMetric(path, "digest_last_run_exit_code"); got != float64(code) {
				t.Errorf("exit code = %v, want %d", got, code)
			}
		})
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Errorf("files left beside the metrics file: %v", entries)
	}
}

// TestRunWritesMetrics runs digest with --metrics-file: a complete run, a
// failing run (the SMTP server refuses everyone) that keeps the success
// time, and JSON logs that parse line by line.
func TestRunWritesMetrics(t *testing.T) {
	f := newCrashFixture(t, 20, nil)
	prom := filepath.Join(f.dir, "digest.prom")
	code, out := f.run("--metrics-file", prom, "--quiet", "--log-format", "json")
	if code != 0 {
		t.Fatalf("run exited %d:\n%s", code, out)
	}
	b, _ := os.ReadFile(prom)
	checkTextfile(t, b)
	for _, want := range []string{`digest_last_run_deliveries{status="sent"} 20`, "digest_last_run_success 1", "digest_last_run_exit_code 0"} {
		if !strings.Contains(string(b), want+"\n") {
			t.Errorf("metrics lack %q:\n%s", want, b)
		}
	}
	success := readMetric(prom, lastSuccessMetric)
	if success == 0 {
		t.Fatal("no success time after a complete run")
	}
	// --quiet: a complete run prints nothing, so cron mails nothing.
	if out != "" {
		t.Errorf("quiet output of a complete run, want none:\n%s", out)
	}

	// The same edition from another state, and nobody can receive it:
	// exit 3, and the success time is kept.
	f.srv.SetFault(mailertest.FailAll(mailertest.StageRcpt, 550))
	environ := append(f.environ(), "DIGEST_STATE="+filepath.Join(f.dir, "other.db"), "DIGEST_METRICS_FILE="+prom, "DIGEST_SMTP_MAX_FAILURES=1000")
	var buf bytes.Buffer
	code = Main(context.Background(), &env{stdout: &buf, stderr: &buf, environ: environ}, []string{"run", "--quiet", "--log-format", "json"})
	if code != exitPartial {
		t.Fatalf("refused run exited %d, want %d:\n%s", code, exitPartial, buf.String())
	}
	// --quiet --log-format json: a run that failed says so, every line a
	// JSON record, the last the summary.
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	for _, line := range lines {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Errorf("not JSON: %q: %v", line, err)
		}
	}
	if last := lines[len(lines)-1]; !strings.Contains(last, `"summary":true`) || !strings.Contains(last, `"failed":20`) {
		t.Errorf("quiet JSON output of a failed run, want the summary record last:\n%s", buf.String())
	}
	if got := readMetric(prom, lastSuccessMetric); got != success {
		t.Errorf("last success = %v after a failed run, want the earlier %v", got, success)
	}
	if got := readMetric(prom, "digest_last_run_success"); got != 0 {
		t.Errorf("digest_last_run_success = %v after a failed run", got)
	}
}
