package main

import (
	"bytes"
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/digest-newsletter/digest/digest/mailer/mailertest"
)

// A state file that exists but is not digest's state (truncated to zero
// bytes, another program's database, a newer digest's state) is refused
// with exit 2 before anything is sent, and left as it is; --new-state
// starts afresh on purpose, once.
func TestStateFileNotStateIsRefused(t *testing.T) {
	tests := []struct {
		name   string
		spoil  func(t *testing.T, path string)
		say    string
		afresh bool // --new-state may set it aside
	}{
		{"truncated", func(t *testing.T, path string) {
			if err := os.Truncate(path, 0); err != nil {
				t.Fatal(err)
			}
		}, "is empty (0 bytes)", true},
		{"another database", func(t *testing.T, path string) {
			os.Remove(path)
			execSQL(t, path, `CREATE TABLE notes (body TEXT)`)
		}, "without digest's tables (it has table notes)", true},
		{"not SQLite", func(t *testing.T, path string) {
			if err := os.WriteFile(path, []byte("email\nann@example.com\n"), 0o600); err != nil {
				t.Fatal(err)
			}
		}, "is not a SQLite database", true},
		{"newer digest", func(t *testing.T, path string) {
			execSQL(t, path, `UPDATE schema_version SET version = 1000`)
		}, "was written by a newer digest", false},
		{"hard link", func(t *testing.T, path string) {
			if err := os.Link(path, path+".copy"); err != nil {
				t.Skipf("no hard links here: %v", err)
			}
		}, "has 2 names (hard links)", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newCrashFixture(t, 5, nil)
			if code, log := f.run(); code != exitOK || f.srv.Count() != 5 {
				t.Fatalf("first run: exit %d, %d messages:\n%s", code, f.srv.Count(), log)
			}
			tt.spoil(t, f.state)
			before, _ := os.ReadFile(f.state)
			code, log := f.run()
			if code != exitUsage || !strings.Contains(log, tt.say) || !strings.Contains(log, f.state) {
				t.Errorf("run on the spoilt state: exit %d, want %d with %q and the path:\n%s", code, exitUsage, tt.say, log)
			}
			if tt.afresh && !strings.Contains(log, "--new-state") {
				t.Errorf("the refusal does not say how to start afresh:\n%s", log)
			}
			if n := f.srv.Count(); n != 5 {
				t.Errorf("%d messages after the refused run, want 5 (nobody mailed twice)", n)
			}
			if after, _ := os.ReadFile(f.state); string(after) != string(before) {
				t.Errorf("the refused file was changed")
			}

			code, log = f.run("--new-state")
			if !tt.afresh {
				if code != exitUsage || f.srv.Count() != 5 {
					t.Errorf("--new-state on a newer state: exit %d, %d messages; want %d and 5:\n%s", code, f.srv.Count(), exitUsage, log)
				}
				return
			}
			asides, _ := filepath.Glob(f.state + ".aside-*")
			if code != exitOK || f.srv.Count() != 10 || len(asides) != 1 || !strings.Contains(log, "renamed to "+asides[0]) {
				t.Errorf("--new-state: exit %d, %d messages, set aside %v; want 0, 10 and one file named in:\n%s", code, f.srv.Count(), asides, log)
			}
			// The flag is for one run: a real state is never set aside.
			if code, log := f.run("--new-state"); code != exitUsage || !strings.Contains(log, "is digest's state") || f.srv.Count() != 10 {
				t.Errorf("--new-state again: exit %d, %d messages; want %d and 10:\n%s", code, f.srv.Count(), exitUsage, log)
			}
			if code, log := f.run(); code != exitOK || !strings.Contains(log, "already delivered") || f.srv.Count() != 10 {
				t.Errorf("run after: exit %d, %d messages:\n%s", code, f.srv.Count(), log)
			}
		})
	}
}

func execSQL(t *testing.T, path string, stmts ...string) {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, q := range stmts {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
}

// A second run that reaches the state through another name (a symbolic
// link, a relative path) finds the first run's lock: exit 4, nothing sent.
func TestTwoRunsAtOnceThroughOtherNames(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	for _, name := range []string{"symlink", "relative"} {
		t.Run(name, func(t *testing.T) {
			f := newCrashFixture(t, 40, func(stage, rcpt string, n int) error {
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
			real := f.state
			switch name {
			case "symlink":
				f.state = filepath.Join(t.TempDir(), "link.db")
				if err := os.Symlink(real, f.state); err != nil {
					t.Fatal(err)
				}
			case "relative":
				wd, _ := os.Getwd()
				rel, err := filepath.Rel(wd, real)
				if err != nil {
					t.Fatal(err)
				}
				f.state = rel
			}
			code, log := f.run()
			f.state = real
			if code != exitLocked || !strings.Contains(log, "lock") {
				t.Errorf("second run through %s exited %d, want %d naming the lock:\n%s", name, code, exitLocked, log)
			}
			if err := cmd.Wait(); err != nil {
				t.Fatalf("first run: %v\n%s", err, out.String())
			}
			if unknown := f.check(t); unknown != 0 || f.srv.Count() != f.n {
				t.Errorf("%d messages, %d unknown; want %d and 0", f.srv.Count(), unknown, f.n)
			}
		})
	}
}
