package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/digest-newsletter/digest/digest/mailer/mailertest"
	"github.com/digest-newsletter/digest/digest/store"
	"github.com/digest-newsletter/digest/digest/store/pgtest"
	"github.com/digest-newsletter/digest/digest/subscriber"
)

// TestMain lets the test binary act as the digest command: in testscript
// scripts (as "digest"), and when re-executed by the crash tests.
func TestMain(m *testing.M) {
	if os.Getenv("DIGEST_TEST_RUN_MAIN") == "1" {
		os.Exit(runMain())
	}
	testscript.Main(stopping{m}, map[string]func(){"digest": func() { os.Exit(runMain()) }})
}

// pg is the PostgreSQL server of this test binary, started by the first
// test that needs one.
var pg pgtest.Lazy

// stopping runs the tests, then stops pg.
type stopping struct{ m *testing.M }

func (s stopping) Run() int {
	code := s.m.Run()
	if err := pg.Stop(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		code = 1
	}
	return code
}

// forEachState runs test twice, as subtests: on a SQLite state file and on
// a PostgreSQL state (skipped where no server is installed; see pgtest).
func forEachState(t *testing.T, test func(t *testing.T, postgres bool)) {
	t.Run("sqlite", func(t *testing.T) { test(t, false) })
	t.Run("postgres", func(t *testing.T) { test(t, true) })
}

// newPostgresState makes digest's state in a new PostgreSQL database and
// returns its URL.
func newPostgresState(t *testing.T) string {
	t.Helper()
	u := pg.Database(t)
	if err := store.MakePostgresState(t.Context(), u); err != nil {
		t.Fatal(err)
	}
	return u
}

func runMain() int {
	return Main(context.Background(), &env{stdout: os.Stdout, stderr: os.Stderr, stdin: os.Stdin, environ: os.Environ()}, os.Args[1:])
}

// TestScripts runs the CLI scripts in testdata/script. Each starts in a
// folder laid out like a fresh clone: examples/ and subscribers.example.csv.
func TestScripts(t *testing.T) {
	repo, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	testscript.Run(t, testscript.Params{
		Dir: "testdata/script",
		Setup: func(e *testscript.Env) error {
			if err := os.CopyFS(filepath.Join(e.WorkDir, "examples"), os.DirFS(filepath.Join(repo, "examples"))); err != nil {
				return err
			}
			b, err := os.ReadFile(filepath.Join(repo, "subscribers.example.csv"))
			if err != nil {
				return err
			}
			e.Setenv("DIGEST_TIMEZONE", "UTC")
			return os.WriteFile(filepath.Join(e.WorkDir, "subscribers.example.csv"), b, 0o644)
		},
	})
}

// crashFixture is a state, a subscriber list and an SMTP server for runs
// in child processes.
type crashFixture struct {
	dir, state, list string
	srv              *mailertest.Server
	n                int
}

func newCrashFixture(t *testing.T, n int, fault mailertest.Fault) *crashFixture {
	return newCrashFixtureOn(t, false, n, fault)
}

// newCrashFixtureOn is newCrashFixture on a PostgreSQL state if postgres
// is set.
func newCrashFixtureOn(t *testing.T, postgres bool, n int, fault mailertest.Fault) *crashFixture {
	dir := t.TempDir()
	f := &crashFixture{dir: dir, state: filepath.Join(dir, "digest.db"), list: filepath.Join(dir, "subscribers.csv"), n: n,
		srv: mailertest.NewServer(t, mailertest.WithFault(fault))}
	if postgres {
		f.state = newPostgresState(t)
	}
	var b bytes.Buffer
	if err := subscriber.Generate(&b, n); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(f.list, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *crashFixture) environ() []string {
	return append(os.Environ(),
		"DIGEST_SMTP_URL="+f.srv.URL(),
		"DIGEST_STATE="+f.state,
		"DIGEST_SUBSCRIBERS="+f.list,
		"DIGEST_SOURCES=../../examples/sources.txt",
		"DIGEST_EDITION=2026-11-29",
		"DIGEST_SMTP_CONCURRENCY=4",
		"DIGEST_REPORT="+filepath.Join(f.dir, "report.json"),
		// As a list in production: one-click unsubscribe links.
		"DIGEST_BASE_URL=https://news.example.org",
		"DIGEST_SECRET=crash-fixture-secret-of-32-bytes-or-more",
	)
}

// child starts digest run in a new process.
func (f *crashFixture) child(t *testing.T, out *bytes.Buffer) *exec.Cmd {
	cmd := exec.Command(os.Args[0], "run")
	cmd.Env = append(f.environ(), "DIGEST_TEST_RUN_MAIN=1")
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return cmd
}

// run runs digest run in this process.
func (f *crashFixture) run(args ...string) (int, string) {
	var out bytes.Buffer
	code := Main(context.Background(), &env{stdout: &out, stderr: &out, stdin: strings.NewReader(""), environ: f.environ()}, append([]string{"run"}, args...))
	return code, out.String()
}

// check fails unless nobody got two messages and everybody got one but the
// deliveries the journal reports unknown. It returns the unknown count.
func (f *crashFixture) check(t *testing.T) int {
	t.Helper()
	got := map[string]int{}
	for _, m := range f.srv.Messages() {
		got[m.To[0]]++
	}
	st, err := store.OpenReadOnly(context.Background(), f.state)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	unknown := map[string]bool{}
	rows, _ := st.Unknown(context.Background(), "2026-11-29", "smtp")
	for _, r := range rows {
		unknown[r.Email] = true
	}
	for i := 1; i <= f.n; i++ {
		addr := fmt.Sprintf("user%07d@example.com", i)
		switch {
		case got[addr] > 1:
			t.Errorf("%s received %d messages", addr, got[addr])
		case got[addr] == 0 && !unknown[addr]:
			t.Errorf("%s received nothing and is not reported unknown: lost", addr)
		}
	}
	return len(unknown)
}

func TestKillAndResume(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	forEachState(t, testKillAndResume)
}

func testKillAndResume(t *testing.T, postgres bool) {
	slow := true
	f := newCrashFixtureOn(t, postgres, 300, func(stage, rcpt string, n int) error {
		if slow && stage == mailertest.StageData {
			return mailertest.Stall(20 * time.Millisecond)
		}
		return nil
	})
	var out bytes.Buffer
	cmd := f.child(t, &out)
	deadline := time.Now().Add(60 * time.Second)
	for f.srv.Count() < 60 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	killedAt := f.srv.Count()
	if killedAt >= f.n {
		t.Fatalf("the run finished before it was killed:\n%s", out.String())
	}
	f.srv.SetFault(nil)
	code, log := f.run()
	unknown := f.check(t)
	t.Logf("killed after %d of %d messages; the rerun exited %d; %d left unknown (in flight at the kill)\n%s", killedAt, f.n, code, unknown, log)
	if unknown > 4 {
		t.Errorf("%d deliveries unknown after the kill; at most the 4 in flight may be", unknown)
	}
	if (unknown == 0) != (code == 0) {
		t.Errorf("rerun exit %d with %d unknown; want 0 only when nothing is unknown, else 3", code, unknown)
	}
	fmt.Printf("kill-and-resume (%s): killed after %d of %d; rerun exit %d; unknown %d; nobody mailed twice, nobody lost\n", path.Base(t.Name()), killedAt, f.n, code, unknown)

	// The unknown ones were cut off while waiting for the server's reply
	// to DATA: some reached the server anyway. That is why they are not
	// resent without --resend-unknown.
	arrived := 0
	st, _ := store.OpenReadOnly(context.Background(), f.state)
	rows, _ := st.Unknown(context.Background(), "2026-11-29", "smtp")
	st.Close()
	for _, r := range rows {
		for _, m := range f.srv.Messages() {
			if m.To[0] == r.Email {
				arrived++
			}
		}
	}
	fmt.Printf("kill-and-resume: of the %d unknown, %d had reached the server: resending them would have mailed those twice\n", unknown, arrived)
}

func TestTwoRunsAtOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	forEachState(t, testTwoRunsAtOnce)
}

func testTwoRunsAtOnce(t *testing.T, postgres bool) {
	f := newCrashFixtureOn(t, postgres, 40, func(stage, rcpt string, n int) error {
		if stage == mailertest.StageData {
			return mailertest.Stall(20 * time.Millisecond)
		}
		return nil
	})
	var out bytes.Buffer
	cmd := f.child(t, &out)
	for f.srv.Count() == 0 && cmd.ProcessState == nil {
		time.Sleep(5 * time.Millisecond)
	}
	code, log := f.run()
	switch {
	case postgres && code != exitOK:
		// Runs on a PostgreSQL state deliver one edition together.
		t.Errorf("second run exited %d, want %d:\n%s", code, exitOK, log)
	case !postgres && (code != exitLocked || !strings.Contains(log, "lock")):
		t.Errorf("second run exited %d, want %d naming the lock:\n%s", code, exitLocked, log)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("first run: %v\n%s", err, out.String())
	}
	if unknown := f.check(t); unknown != 0 || f.srv.Count() != f.n {
		t.Errorf("%d messages, %d unknown; want %d and 0", f.srv.Count(), unknown, f.n)
	}
}
