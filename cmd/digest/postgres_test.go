package main

import (
	"bytes"
	"context"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/digest-newsletter/digest/digest/mailer/mailertest"
	"github.com/digest-newsletter/digest/digest/store"
	"github.com/digest-newsletter/digest/digest/store/pgtest"
)

// TestPostgresState walks a PostgreSQL state through what a user meets:
// an empty database is refused until --new-state makes the state there;
// the run delivers, a second run sends nothing, --new-state on the state
// is refused, and digest status reads it. Another application's database
// and a wrong password are refused, and no message shows the password.
func TestPostgresState(t *testing.T) {
	f := newCrashFixture(t, 20, nil)
	f.state = pg.Database(t)
	step := func(name string, wantCode int, want string, args ...string) string {
		t.Helper()
		code, out := f.run(args...)
		t.Logf("%s: exit %d\n%s", name, code, out)
		if code != wantCode || !strings.Contains(out, want) {
			t.Errorf("%s: exit %d, want %d with %q:\n%s", name, code, wantCode, want, out)
		}
		if strings.Contains(out, pgtest.Password) {
			t.Errorf("%s: the output shows the database's password:\n%s", name, out)
		}
		return out
	}
	step("empty database", exitUsage, "has no tables in schema public: digest's state was never made there. "+
		"Check --state (DIGEST_STATE); to make digest's state there on purpose, run once with --new-state (DIGEST_NEW_STATE=1)")
	if f.srv.Count() != 0 {
		t.Fatalf("%d messages sent on an empty database", f.srv.Count())
	}
	step("new state", exitOK, "made a new digest state in postgres://digest:xxxxx@", "--new-state")
	if f.srv.Count() != f.n {
		t.Fatalf("%d messages, want %d", f.srv.Count(), f.n)
	}
	step("rerun", exitOK, "was already delivered to all 20 subscribers")
	step("new state again", exitUsage, "holds a digest state already (schema public); it is kept", "--new-state")
	if f.srv.Count() != f.n {
		t.Errorf("%d messages after the reruns, want %d", f.srv.Count(), f.n)
	}
	if got := f.check(t); got != 0 {
		t.Errorf("%d unknown", got)
	}
	var out bytes.Buffer
	code := Main(context.Background(), &env{stdout: &out, stderr: &out, stdin: strings.NewReader(""), environ: f.environ()}, []string{"status"})
	if code != exitOK || !strings.Contains(out.String(), "2026-11-29") || !strings.Contains(out.String(), " 20 ") {
		t.Errorf("status: exit %d:\n%s", code, out.String())
	}

	// Another application's database.
	other := pg.Database(t)
	conn, err := pgx.Connect(t.Context(), other)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(t.Context(), `CREATE TABLE invoices (id int)`); err != nil {
		t.Fatal(err)
	}
	conn.Close(t.Context())
	f.state = other
	step("another application", exitUsage, "is a PostgreSQL database without digest's tables (schema public has table invoices), "+
		"and is left as it is: digest makes a state only in an empty database or schema")
	step("another application, --new-state", exitUsage, "is not empty (schema public has table invoices)", "--new-state")

	// A wrong password.
	u, _ := url.Parse(other)
	u.User = url.UserPassword(pgtest.User, "wrong-password")
	f.state = u.String()
	out2 := step("wrong password", exitUsage, "password authentication failed")
	if strings.Contains(out2, "wrong-password") {
		t.Errorf("the output shows the password:\n%s", out2)
	}
	u.User = url.UserPassword(pgtest.User, pgtest.Password)
	u.Path = "/no-such-database"
	f.state = u.String()
	step("no such database", exitUsage, `database "no-such-database" does not exist`)
	if f.srv.Count() != f.n {
		t.Errorf("%d messages in all, want %d", f.srv.Count(), f.n)
	}
}

// TestThreeRunsOneKilled starts three runs at once on one PostgreSQL state
// with 3,000 subscribers, SIGKILLs one half-way, then runs once more, and
// checks through the SMTP server that every subscriber received exactly
// one message, but for the deliveries reported unknown (in flight at the
// kill), which received at most one.
func TestThreeRunsOneKilled(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	f := newCrashFixtureOn(t, true, 3000, func(stage, rcpt string, n int) error {
		if stage == mailertest.StageData {
			return mailertest.Stall(2 * time.Millisecond)
		}
		return nil
	})
	outs := make([]bytes.Buffer, 3)
	cmds := make([]*exec.Cmd, 3)
	for i := range cmds {
		cmds[i] = f.child(t, &outs[i])
	}
	deadline := time.Now().Add(2 * time.Minute)
	for f.srv.Count() < f.n/2 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if err := cmds[0].Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	killedAt := f.srv.Count()
	cmds[0].Wait()
	codes := []int{-1}
	for i, cmd := range cmds[1:] {
		err := cmd.Wait()
		codes = append(codes, cmd.ProcessState.ExitCode())
		if err != nil && cmd.ProcessState.ExitCode() != exitPartial {
			t.Errorf("run %d: %v\n%s", i+2, err, outs[i+1].String())
		}
	}
	if killedAt >= f.n {
		t.Fatalf("the runs finished before the kill")
	}
	afterRuns := f.srv.Count()
	for i := range outs {
		for _, line := range strings.Split(outs[i].String(), "\n") {
			if strings.Contains(line, "edition [") {
				t.Logf("run %d: %s", i+1, line)
				if i > 0 && strings.Contains(line, "sent 0,") {
					t.Errorf("run %d sent nothing: the runs did not share the edition", i+1)
				}
			}
		}
	}
	code, log := f.run()
	unknown := f.check(t)
	per := map[string]int{}
	for _, m := range f.srv.Messages() {
		per[m.To[0]]++
	}
	t.Logf("killed one of three runs after %d of %d messages; the other two exited %d and %d with %d sent; the rerun exited %d, %d unknown\n%s",
		killedAt, f.n, codes[1], codes[2], afterRuns, code, unknown, log)
	fmt.Printf("three runs, one killed (postgres): killed at %d of %d messages; the others exited %d, %d; rerun exit %d; %d messages for %d subscribers; unknown %d; nobody mailed twice, nobody lost\n",
		killedAt, f.n, codes[1], codes[2], code, f.srv.Count(), len(per), unknown)
	if unknown > 4 {
		t.Errorf("%d deliveries unknown; at most the 4 in flight in the killed run may be", unknown)
	}
	if (unknown == 0) != (code == exitOK) {
		t.Errorf("rerun exit %d with %d unknown; want 0 only when nothing is unknown, else 3", code, unknown)
	}
}

// TestPostgresResendUnknownAlone checks that --resend-unknown on a
// PostgreSQL state refuses to start (exit 4) while another run delivers:
// the deliveries it would resend may be that run's, in flight.
func TestPostgresResendUnknownAlone(t *testing.T) {
	f := newCrashFixtureOn(t, true, 10, nil)
	unlock, err := store.LockPostgresShared(f.state, phaseLock(deliverPhase, "2026-11-29")) // a run delivering
	if err != nil {
		t.Fatal(err)
	}
	code, out := f.run("--resend-unknown")
	if code != exitLocked {
		t.Errorf("--resend-unknown beside a delivering run: exit %d, want %d:\n%s", code, exitLocked, out)
	}
	if f.srv.Count() != 0 {
		t.Errorf("%d messages sent", f.srv.Count())
	}
	if code, out := f.run(); code != exitOK || f.srv.Count() != f.n {
		t.Errorf("a run beside a delivering run: exit %d, %d messages; want 0 and %d:\n%s", code, f.srv.Count(), f.n, out)
	}
	unlock()
	if code, out := f.run("--resend-unknown"); code != exitOK {
		t.Errorf("--resend-unknown alone: exit %d:\n%s", code, out)
	}
}

// TestPostgresPhaseLocksPerEdition checks that the freeze and deliver
// locks of a PostgreSQL state are each edition's own: while one edition's
// are held (by a run resending its unknown deliveries, by a run freezing
// it), a run of another edition goes ahead, and a run of the same edition
// exits 4 or waits.
func TestPostgresPhaseLocksPerEdition(t *testing.T) {
	f := newCrashFixtureOn(t, true, 10, nil)
	// As a --resend-unknown run of 2026-11-29 holds it.
	unlock, err := store.LockPostgres(f.state, phaseLock(deliverPhase, "2026-11-29"))
	if err != nil {
		t.Fatal(err)
	}
	if code, out := f.run("--edition", "special"); code != exitOK || f.srv.Count() != f.n {
		t.Errorf("a run of another edition beside a resend: exit %d, %d messages; want 0 and %d:\n%s", code, f.srv.Count(), f.n, out)
	}
	if code, out := f.run(); code != exitLocked || f.srv.Count() != f.n {
		t.Errorf("a run of the same edition beside a resend: exit %d, %d messages; want %d and %d:\n%s", code, f.srv.Count(), exitLocked, f.n, out)
	}
	unlock()

	// As a run freezing 2026-11-29 holds it.
	unfreeze, err := store.LockPostgres(f.state, phaseLock(freezePhase, "2026-11-29"))
	if err != nil {
		t.Fatal(err)
	}
	start := func(args ...string) chan int {
		done := make(chan int, 1)
		go func() {
			code, out := f.run(args...)
			t.Logf("run %v: exit %d\n%s", args, code, out)
			done <- code
		}()
		return done
	}
	select {
	case code := <-start("--edition", "other"):
		if code != exitOK {
			t.Errorf("a run of another edition beside a freeze: exit %d", code)
		}
	case <-time.After(time.Minute):
		unfreeze()
		t.Fatal("a run of another edition waits for the freeze of 2026-11-29")
	}
	done := start()
	select {
	case code := <-done:
		t.Fatalf("a run of the edition being frozen did not wait: exit %d", code)
	case <-time.After(time.Second):
	}
	unfreeze()
	select {
	case code := <-done:
		if code != exitOK {
			t.Errorf("run of the edition once frozen: exit %d", code)
		}
	case <-time.After(time.Minute):
		t.Fatal("the run still waits after the freeze lock was let go")
	}
}

// TestPostgresConnectionDropped ends every connection of a run to its
// PostgreSQL state half-way (as a restarted or failed-over server would):
// the run stops with an error that says what failed, and the next run
// mails everyone the first did not, nobody twice.
func TestPostgresConnectionDropped(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	f := newCrashFixtureOn(t, true, 400, func(stage, rcpt string, n int) error {
		if stage == mailertest.StageData {
			return mailertest.Stall(5 * time.Millisecond)
		}
		return nil
	})
	var out bytes.Buffer
	cmd := f.child(t, &out)
	deadline := time.Now().Add(time.Minute)
	for f.srv.Count() < 100 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	conn, err := pgx.Connect(t.Context(), f.state)
	if err != nil {
		t.Fatal(err)
	}
	var ended int
	if err := conn.QueryRow(t.Context(), `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
		WHERE application_name = 'digest' AND datname = current_database() AND pid <> pg_backend_pid()`).Scan(&ended); err != nil {
		t.Fatal(err)
	}
	conn.Close(t.Context())
	droppedAt := f.srv.Count()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(time.Minute):
		cmd.Process.Kill()
		t.Fatalf("the run went on for a minute after its connections ended:\n%s", out.String())
	}
	code := cmd.ProcessState.ExitCode()
	t.Logf("ended %d connections after %d of %d messages; the run exited %d:\n%s", ended, droppedAt, f.n, code, out.String())
	if code == exitOK && f.srv.Count() < f.n {
		t.Errorf("the run exited 0 having mailed %d of %d", f.srv.Count(), f.n)
	}
	rerun, log := f.run()
	unknown := f.check(t)
	t.Logf("the rerun exited %d, %d unknown:\n%s", rerun, unknown, log)
	if unknown > 4 {
		t.Errorf("%d unknown after the rerun; at most the 4 in flight may be", unknown)
	}
}

// TestMigrateCommand checks that a PostgreSQL state an older digest made
// is refused by run and status (exit 2, saying to run digest migrate) and
// left as it is, with nothing sent; that digest migrate upgrades it and
// says from which version to which; and that it is a no-op that says the
// version on a current state, of either kind, and refuses a missing file.
func TestMigrateCommand(t *testing.T) {
	f := newCrashFixture(t, 20, nil)
	sqlite := f.state
	f.state = pg.Database(t)
	cmd := func(args ...string) (int, string) {
		var out bytes.Buffer
		code := Main(context.Background(), &env{stdout: &out, stderr: &out, stdin: strings.NewReader(""), environ: f.environ()}, args)
		t.Logf("digest %s: exit %d\n%s", strings.Join(args, " "), code, out.String())
		return code, out.String()
	}
	if code, _ := cmd("run", "--new-state"); code != exitOK {
		t.Fatalf("first run: exit %d", code)
	}
	// What an older digest made: no bounce tables yet (schema version 3).
	conn, err := pgx.Connect(t.Context(), f.state)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(t.Context(), `DROP TABLE bounces, bounce_reports, resubscribed;
		ALTER TABLE suppressed DROP COLUMN detail; UPDATE schema_version SET version = 3`); err != nil {
		t.Fatal(err)
	}
	conn.Close(t.Context())
	want := "has schema version 3, older than this digest's 4: run digest migrate (with the same --state) to upgrade it"
	for _, args := range [][]string{{"run", "--edition", "2026-11-30"}, {"status"}} {
		if code, out := cmd(args...); code != exitUsage || !strings.Contains(out, want) {
			t.Errorf("digest %s on a version 3 state: exit %d, want %d saying %q", args[0], code, exitUsage, want)
		}
	}
	if f.srv.Count() != f.n {
		t.Errorf("%d messages, want the first run's %d", f.srv.Count(), f.n)
	}
	if code, out := cmd("migrate"); code != exitOK || !strings.Contains(out, "migrated from schema version 3 to version 4") ||
		strings.Contains(out, pgtest.Password) {
		t.Errorf("migrate: exit %d, want 0 saying from 3 to 4, without the password", code)
	}
	if code, out := cmd("migrate"); code != exitOK || !strings.Contains(out, "is at schema version 4, this digest's: nothing to do") {
		t.Errorf("migrate again: exit %d, want 0 saying nothing to do:\n%s", code, out)
	}
	if code, out := cmd("run"); code != exitOK || !strings.Contains(out, "already delivered to all 20 subscribers") {
		t.Errorf("run after migrate: exit %d", code)
	}
	if f.srv.Count() != f.n {
		t.Errorf("%d messages, want %d", f.srv.Count(), f.n)
	}

	// SQLite: a missing file is not made; a current one is left as it is.
	f.state = sqlite
	if code, out := cmd("migrate"); code != exitUsage || !strings.Contains(out, "no state at") {
		t.Errorf("migrate of a missing file: exit %d, want %d saying no state", code, exitUsage)
	}
	if !stateFileMissing(sqlite) {
		t.Errorf("migrate made the state file %s", sqlite)
	}
	if code, _ := cmd("run"); code != exitOK {
		t.Fatalf("run on SQLite: exit %d", code)
	}
	if code, out := cmd("migrate"); code != exitOK || !strings.Contains(out, "is at schema version 4, this digest's: nothing to do") {
		t.Errorf("migrate of a current SQLite state: exit %d", code)
	}
}

// TestPostgresMetricsAndStatus checks that a run on a PostgreSQL state
// writes the metrics file with its counts, as on SQLite, and that digest
// status shows the same counts: a run that two recipients refuse (550),
// then a rerun that finds everything done.
func TestPostgresMetricsAndStatus(t *testing.T) {
	f := newCrashFixture(t, 20, mailertest.FailRcpt(mailertest.StageRcpt, 550, "user0000003@example.com", "user0000007@example.com"))
	f.state = pg.Database(t)
	prom := filepath.Join(f.dir, "digest.prom")
	metrics := func(name string, want ...string) {
		t.Helper()
		b, err := os.ReadFile(prom)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		checkTextfile(t, b)
		for _, w := range want {
			if !strings.Contains(string(b), w+"\n") {
				t.Errorf("%s: metrics lack %q:\n%s", name, w, b)
			}
		}
	}
	code, out := f.run("--new-state", "--metrics-file", prom)
	if code != exitPartial {
		t.Fatalf("run: exit %d, want %d:\n%s", code, exitPartial, out)
	}
	metrics("run", `digest_last_run_deliveries{status="sent"} 18`, `digest_last_run_deliveries{status="failed"} 2`,
		`digest_last_run_deliveries{status="unknown"} 0`, "digest_last_run_success 0", "digest_last_run_exit_code 3",
		lastSuccessMetric+" 0")
	code, out = f.run("--metrics-file", prom)
	if code != exitOK {
		t.Fatalf("rerun: exit %d:\n%s", code, out)
	}
	metrics("rerun", `digest_last_run_deliveries{status="sent"} 0`, `digest_last_run_deliveries{status="already_sent"} 18`,
		`digest_last_run_deliveries{status="already_failed"} 2`, "digest_last_run_success 1", "digest_last_run_exit_code 0")
	if readMetric(prom, lastSuccessMetric) == 0 {
		t.Error("no success time after a complete rerun")
	}
	var buf bytes.Buffer
	code = Main(context.Background(), &env{stdout: &buf, stderr: &buf, stdin: strings.NewReader(""), environ: f.environ()}, []string{"status"})
	t.Logf("status: exit %d\n%s", code, buf.String())
	var row []string
	for _, line := range strings.Split(buf.String(), "\n") {
		if fields := strings.Fields(line); len(fields) > 0 && fields[0] == "2026-11-29" {
			row = fields
		}
	}
	// EDITION CADENCE CREATED (date time) CHANNEL SENT FAILED DEFERRED UNKNOWN PENDING ...
	if code != exitOK || len(row) < 10 || row[4] != "smtp" || row[5] != "18" || row[6] != "2" || row[7] != "0" || row[8] != "0" || row[9] != "0" {
		t.Errorf("status: exit %d, want a row for 2026-11-29 with 18 sent and 2 failed:\n%s", code, buf.String())
	}
	if !strings.Contains(buf.String(), "complaints of 18 delivered") {
		t.Errorf("status lacks the complaint rate over 18 delivered:\n%s", buf.String())
	}
}
