package store

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/digest-newsletter/digest/digest"
)

// childEnv names the role a re-executed test binary plays; childPath the
// state file it works on.
const (
	childEnv  = "DIGEST_STORE_TEST_CHILD"
	childPath = "DIGEST_STORE_TEST_PATH"
)

// crashBatch is how many rows the crash child records per Record call.
const crashBatch = 50

func TestMain(m *testing.M) {
	switch os.Getenv(childEnv) {
	case "":
		code := m.Run()
		if err := pg.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			code = 1
		}
		os.Exit(code)
	case "lock":
		os.Exit(lockChild(os.Getenv(childPath)))
	case "record":
		os.Exit(recordChild(os.Getenv(childPath)))
	default:
		fmt.Fprintf(os.Stderr, "unknown %s=%q\n", childEnv, os.Getenv(childEnv))
		os.Exit(2)
	}
}

// lockChild takes the run lock, says "locked" and holds the lock until its
// standard input closes, then exits without unlocking.
func lockChild(path string) int {
	if _, err := Lock(path); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Println("locked")
	io.Copy(io.Discard, os.Stdin)
	return 0
}

// recordChild records batches of sent rows, after those already in the
// journal, until it is killed, printing after each Record returns how many
// rows the journal holds.
func recordChild(path string) int {
	ctx := context.Background()
	s, err := Open(ctx, path)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	counts, err := s.Counts(ctx, "e1", "smtp")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	for n := counts[digest.Sent]; ; {
		ds := make([]digest.Delivery, crashBatch)
		for i := range ds {
			ds[i] = delivery("e1", fmt.Sprintf("u%07d@example.com", n+i), digest.Sent)
		}
		if err := s.Record(ctx, ds); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		n += len(ds)
		fmt.Println(n)
	}
}

// child starts the test binary in the given role on the state file.
func child(t *testing.T, role, path string) (*exec.Cmd, io.WriteCloser, *bufio.Scanner) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+role, childPath+"="+path)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	return cmd, stdin, bufio.NewScanner(stdout)
}

func TestLockInProcess(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	unlock, err := Lock(path)
	if err != nil {
		t.Fatalf("first Lock: %v", err)
	}
	if _, err := Lock(path); !errors.Is(err, digest.ErrLocked) {
		t.Fatalf("second Lock: err = %v, want ErrLocked", err)
	}
	if err := unlock(); err != nil {
		t.Fatalf("unlock: %v", err)
	}
	unlock, err = Lock(path)
	if err != nil {
		t.Fatalf("Lock after unlock: %v", err)
	}
	if err := unlock(); err != nil {
		t.Fatal(err)
	}
}

func TestLockAcrossProcesses(t *testing.T) {
	tests := []struct {
		name string
		end  func(cmd *exec.Cmd, stdin io.Closer) error
	}{
		{"child exits without unlocking", func(cmd *exec.Cmd, stdin io.Closer) error {
			stdin.Close()
			return cmd.Wait()
		}},
		{"child killed", func(cmd *exec.Cmd, stdin io.Closer) error {
			cmd.Process.Signal(syscall.SIGKILL)
			cmd.Wait()
			return nil
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "state.db")
			cmd, stdin, out := child(t, "lock", path)
			if !out.Scan() || out.Text() != "locked" {
				t.Fatalf("child did not take the lock: %q %v", out.Text(), out.Err())
			}
			_, err := Lock(path)
			if !errors.Is(err, digest.ErrLocked) {
				t.Fatalf("Lock while the child holds it: err = %v, want ErrLocked", err)
			}
			if !strings.Contains(err.Error(), path+".lock") {
				t.Errorf("error %q does not name the lock file %s.lock", err, path)
			}
			if err := tt.end(cmd, stdin); err != nil {
				t.Fatalf("child: %v", err)
			}
			unlock, err := Lock(path)
			if err != nil {
				t.Fatalf("Lock after the child ended: %v", err)
			}
			if err := unlock(); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestCrashKeepsCommittedRows kills a process that records rows with
// SIGKILL, three times over on the same file, and checks each time that
// every row whose Record call had returned is in the journal and that no
// batch is there in part. (SIGKILL tests the process's crash, not the
// machine's: the kernel still writes what it was given. Surviving power loss
// rests on synchronous=FULL, which TestOpenPragmas checks.)
func TestCrashKeepsCommittedRows(t *testing.T) {
	if testing.Short() {
		t.Skip("starts child processes")
	}
	path := filepath.Join(t.TempDir(), "state.db")
	committed := 0
	for round := range 3 {
		cmd, _, out := child(t, "record", path)
		enough := committed + 1500
		for out.Scan() {
			n, err := strconv.Atoi(out.Text())
			if err != nil {
				t.Fatalf("round %d: child said %q", round+1, out.Text())
			}
			committed = n
			if n >= enough {
				break
			}
		}
		if committed < enough {
			t.Fatalf("round %d: child stopped after %d rows: %v", round+1, committed, out.Err())
		}
		if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		// Lines written before the kill are still in the pipe.
		for out.Scan() {
			if n, err := strconv.Atoi(out.Text()); err == nil {
				committed = n
			}
		}
		cmd.Wait()
		checkJournal(t, path, committed)
	}
}

// checkJournal opens the state after a crash and checks that it holds the
// committed rows, and whole batches only.
func checkJournal(t *testing.T, path string, committed int) {
	t.Helper()
	s, err := Open(t.Context(), path)
	if err != nil {
		t.Fatalf("Open after the crash: %v", err)
	}
	defer s.Close()
	emails := make([]string, committed)
	for i := range emails {
		emails[i] = fmt.Sprintf("u%07d@example.com", i)
	}
	got, err := s.Deliveries(t.Context(), "e1", "smtp", emails)
	if err != nil {
		t.Fatal(err)
	}
	missing := 0
	for _, e := range emails {
		if got[e].Status != digest.Sent {
			missing++
		}
	}
	if missing > 0 {
		t.Errorf("%d of the %d rows committed before the kill are missing", missing, committed)
	}
	counts, err := s.Counts(t.Context(), "e1", "smtp")
	if err != nil {
		t.Fatal(err)
	}
	n := counts[digest.Sent]
	if n < committed || n%crashBatch != 0 {
		t.Errorf("journal holds %d rows after the kill; want at least %d, a multiple of %d", n, committed, crashBatch)
	}
	t.Logf("child reported %d rows committed; journal holds %d", committed, n)
}
