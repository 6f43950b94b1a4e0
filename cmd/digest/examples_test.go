package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// The schedule examples under examples/cron, examples/systemd and
// examples/kubernetes are checked for syntax with the tools at hand, and
// every digest command line in them is checked against the real flags.

const examplesDir = "../../examples"

// checkDigestArgs fails unless digest accepts every flag of args: it runs
// them with --help appended, which stops after the flags are parsed.
func checkDigestArgs(t *testing.T, where string, args []string) {
	t.Helper()
	var out bytes.Buffer
	code := Main(context.Background(), &env{stdout: &out, stderr: &out, environ: nil}, append(append([]string(nil), args...), "--help"))
	if code != exitOK {
		t.Errorf("%s: digest %s: exit %d:\n%s", where, strings.Join(args, " "), code, out.String())
	}
}

// checkCronSchedule checks the five time fields of a crontab line: each a
// comma list of *, N or N-M, with an optional /step, within the field's
// range.
func checkCronSchedule(fields []string) error {
	if len(fields) != 5 {
		return fmt.Errorf("%d time fields, want 5", len(fields))
	}
	limits := [5][2]int{{0, 59}, {0, 23}, {1, 31}, {1, 12}, {0, 7}}
	names := [5]string{"minute", "hour", "day of month", "month", "day of week"}
	num := func(s string, i int) error {
		n, err := strconv.Atoi(s)
		if err != nil || n < limits[i][0] || n > limits[i][1] {
			return fmt.Errorf("%s %q: want %d-%d", names[i], s, limits[i][0], limits[i][1])
		}
		return nil
	}
	for i, f := range fields {
		for part := range strings.SplitSeq(f, ",") {
			rng, step, hasStep := strings.Cut(part, "/")
			if hasStep {
				if n, err := strconv.Atoi(step); err != nil || n < 1 {
					return fmt.Errorf("%s step %q", names[i], step)
				}
			}
			if rng == "*" {
				continue
			}
			lo, hi, isRange := strings.Cut(rng, "-")
			if err := num(lo, i); err != nil {
				return err
			}
			if isRange {
				if err := num(hi, i); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

func TestCheckCronSchedule(t *testing.T) {
	tests := []struct {
		in string
		ok bool
	}{
		{"30 6 * * *", true},
		{"*/15 6-18 * * 1-5", true},
		{"0 6,18 1 1,6 0", true},
		{"60 6 * * *", false},
		{"30 24 * * *", false},
		{"30 6 * *", false},
		{"30 6 * * mon-fri-x", false},
		{"*/0 6 * * *", false},
	}
	for _, tt := range tests {
		if err := checkCronSchedule(strings.Fields(tt.in)); (err == nil) != tt.ok {
			t.Errorf("checkCronSchedule(%q) = %v, want ok %v", tt.in, err, tt.ok)
		}
	}
}

// digestArgs returns the arguments after the digest binary in a shell
// command line.
func digestArgs(command string) []string {
	f := strings.Fields(command)
	for i, w := range f {
		if filepath.Base(w) == "digest" && (i == 0 || f[i-1] == "&&" || f[i-1] == ";") {
			return f[i+1:]
		}
	}
	return nil
}

func TestCronExample(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(examplesDir, "cron", "digest.cron"))
	if err != nil {
		t.Fatal(err)
	}
	lines := 0
	for n, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		lines++
		f := strings.Fields(line)
		if len(f) < 7 {
			t.Fatalf("line %d: want 5 time fields, a user and a command: %q", n+1, line)
		}
		if err := checkCronSchedule(f[:5]); err != nil {
			t.Errorf("line %d: %v", n+1, err)
		}
		args := digestArgs(strings.Join(f[6:], " "))
		if len(args) == 0 || args[0] != "run" {
			t.Fatalf("line %d: no digest run command: %q", n+1, line)
		}
		checkDigestArgs(t, fmt.Sprintf("digest.cron:%d", n+1), args)
	}
	if lines != 1 {
		t.Errorf("%d crontab lines, want 1", lines)
	}

	// The example config file parses, and every key in it is a setting.
	known := map[string]bool{}
	for _, s := range settings() {
		known[s.Env] = true
	}
	fh, err := os.Open(filepath.Join(examplesDir, "cron", "digest.env"))
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	kv, err := parseDotenv(fh, "digest.env")
	if err != nil {
		t.Fatal(err)
	}
	for k := range kv {
		if !known[k] {
			t.Errorf("digest.env sets %s, which is no setting", k)
		}
	}
	// Its values pass the settings' checks (the unsubscribe key's length).
	if _, err := loadConfig([]string{"DIGEST_CONFIG=" + filepath.Join(examplesDir, "cron", "digest.env")}, map[string]string{}, io.Discard); err != nil {
		t.Errorf("digest.env: %v", err)
	}
}

// TestSystemdDocumentation: every Documentation= of the units names a page
// of this repository that exists.
func TestSystemdDocumentation(t *testing.T) {
	const repo = "https://github.com/digest-newsletter/digest/blob/main/"
	units, err := filepath.Glob(filepath.Join(examplesDir, "systemd", "*.service"))
	if err != nil || len(units) < 2 {
		t.Fatalf("units %v, err %v", units, err)
	}
	for _, unit := range units {
		b, err := os.ReadFile(unit)
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for line := range strings.SplitSeq(string(b), "\n") {
			doc, ok := strings.CutPrefix(line, "Documentation=")
			if !ok {
				continue
			}
			found = true
			path, ok := strings.CutPrefix(doc, repo)
			if !ok {
				t.Errorf("%s: Documentation=%s is not a page of %s", unit, doc, repo)
				continue
			}
			if _, err := os.Stat(filepath.Join("../..", path)); err != nil {
				t.Errorf("%s: Documentation=%s: %v", unit, doc, err)
			}
		}
		if !found {
			t.Errorf("%s has no Documentation=", unit)
		}
	}
}

// TestSystemdExamples runs systemd-analyze verify on the service and timer,
// with ExecStart pointed at this test binary (verify wants it to exist).
func TestSystemdExamples(t *testing.T) {
	analyze, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Skip("systemd-analyze is not installed")
	}
	dir := t.TempDir()
	for _, name := range []string{"digest.service", "digest.timer", "digest-serve.service"} {
		b, err := os.ReadFile(filepath.Join(examplesDir, "systemd", name))
		if err != nil {
			t.Fatal(err)
		}
		s := string(b)
		for line := range strings.SplitSeq(s, "\n") {
			if cmd, ok := strings.CutPrefix(line, "ExecStart="); ok {
				f := strings.Fields(cmd)
				checkDigestArgs(t, name+" ExecStart", f[1:])
			}
		}
		s = strings.ReplaceAll(s, "/usr/local/bin/digest", os.Args[0])
		if err := os.WriteFile(filepath.Join(dir, name), []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command(analyze, "verify", filepath.Join(dir, "digest.service"), filepath.Join(dir, "digest.timer"), filepath.Join(dir, "digest-serve.service"))
	out, err := cmd.CombinedOutput()
	if err != nil || len(bytes.TrimSpace(out)) > 0 {
		t.Errorf("systemd-analyze verify: %v\n%s", err, out)
	}
	// A broken timer is caught: the check is not vacuous.
	broken := strings.Replace(readString(t, filepath.Join(dir, "digest.timer")), "OnCalendar=*-*-* 06:30:00", "OnCalendar=every morning", 1)
	os.WriteFile(filepath.Join(dir, "digest.timer"), []byte(broken), 0o644)
	if out, err := exec.Command(analyze, "verify", filepath.Join(dir, "digest.timer")).CombinedOutput(); err == nil {
		t.Errorf("systemd-analyze verify passed a bad OnCalendar:\n%s", out)
	}
}

func readString(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// loadYAML parses every document of a YAML file with python3's yaml module
// (PyYAML), as JSON. No YAML library is in go.mod; one for a test alone is
// not worth it while python3 is at hand.
func loadYAML(t *testing.T, path string) []map[string]any {
	t.Helper()
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 is not installed")
	}
	if exec.Command(py, "-c", "import yaml").Run() != nil {
		t.Skip("python3 has no yaml module")
	}
	out, err := exec.Command(py, "-c", "import sys, json, yaml; json.dump(list(yaml.safe_load_all(open(sys.argv[1]))), sys.stdout)", path).Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			t.Fatalf("%s: not YAML:\n%s", path, ee.Stderr)
		}
		t.Fatal(err)
	}
	var docs []map[string]any
	if err := json.Unmarshal(out, &docs); err != nil {
		t.Fatal(err)
	}
	return docs
}

// dig follows a path of map keys and list indexes through decoded JSON.
func dig(v any, path ...any) any {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, ok := v.(map[string]any)
			if !ok {
				return nil
			}
			v = m[k]
		case int:
			l, ok := v.([]any)
			if !ok || k >= len(l) {
				return nil
			}
			v = l[k]
		}
	}
	return v
}

func TestKubernetesExamples(t *testing.T) {
	tests := []struct {
		file      string
		cronJobs  int
		wantShard bool
	}{
		{file: "cronjob.yaml", cronJobs: 1},
		{file: "sharded.yaml", cronJobs: 2, wantShard: true},
		{file: "postgres.yaml", cronJobs: 1},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			docs := loadYAML(t, filepath.Join(examplesDir, "kubernetes", tt.file))
			cronJobs, sharded := 0, false
			for i, d := range docs {
				if d["apiVersion"] == nil || d["kind"] == nil || dig(d, "metadata", "name") == nil {
					t.Errorf("document %d lacks apiVersion, kind or metadata.name", i)
				}
				if d["kind"] != "CronJob" {
					continue
				}
				cronJobs++
				name := dig(d, "metadata", "name")
				if d["apiVersion"] != "batch/v1" {
					t.Errorf("%s: apiVersion %v, want batch/v1", name, d["apiVersion"])
				}
				schedule, _ := dig(d, "spec", "schedule").(string)
				if err := checkCronSchedule(strings.Fields(schedule)); err != nil {
					t.Errorf("%s: schedule %q: %v", name, schedule, err)
				}
				if p := dig(d, "spec", "concurrencyPolicy"); p != "Forbid" {
					t.Errorf("%s: concurrencyPolicy %v, want Forbid", name, p)
				}
				job := dig(d, "spec", "jobTemplate", "spec")
				pod := dig(job, "template", "spec")
				if r := dig(pod, "restartPolicy"); r != "Never" && r != "OnFailure" {
					t.Errorf("%s: restartPolicy %v", name, r)
				}
				c := dig(pod, "containers", 0)
				if dig(c, "image") == nil {
					t.Errorf("%s: no image", name)
				}
				var args []string
				for _, a := range dig(c, "args").([]any) {
					args = append(args, a.(string))
				}
				checkDigestArgs(t, fmt.Sprintf("%s %s", tt.file, name), args)
				for j, a := range args {
					if a != "--shard" || j+1 >= len(args) {
						continue
					}
					sharded = true
					count, _ := strings.CutPrefix(args[j+1], "auto/")
					completions, _ := dig(job, "completions").(float64)
					parallelism, _ := dig(job, "parallelism").(float64)
					if dig(job, "completionMode") != "Indexed" || strconv.Itoa(int(completions)) != count || completions != parallelism {
						t.Errorf("%s: --shard %s with completionMode %v, completions %v, parallelism %v; want Indexed, %s, %s",
							name, args[j+1], dig(job, "completionMode"), completions, parallelism, count, count)
					}
					if _, err := parseShard(args[j+1], []string{"JOB_COMPLETION_INDEX=0"}); err != nil {
						t.Errorf("%s: %v", name, err)
					}
				}
			}
			if cronJobs != tt.cronJobs || sharded != tt.wantShard {
				t.Errorf("%d CronJobs, sharded %v; want %d, %v", cronJobs, sharded, tt.cronJobs, tt.wantShard)
			}
		})
	}
}
