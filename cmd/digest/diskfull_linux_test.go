package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestDiskFullOnTinyFileSystem runs digest with its state on a 2 MiB tmpfs,
// too small for a flight log segment (4 MiB), mounted in a private mount
// namespace (so it needs root, and is skipped without). Before its space
// was reserved, the flight log was mapped sparse and the run died of
// SIGBUS (exit 2) once the file system filled up, having sent messages;
// now the run stops before the first message with exit 1 and an error
// naming the file system.
func TestDiskFullOnTinyFileSystem(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	const inside = "DIGEST_TEST_TINY_FS"
	if os.Getenv(inside) == "" {
		if os.Geteuid() != 0 {
			t.Skip("needs root to mount a tmpfs in a private mount namespace")
		}
		cmd := exec.Command(os.Args[0], "-test.run=^TestDiskFullOnTinyFileSystem$", "-test.v")
		cmd.Env = append(os.Environ(), inside+"=1")
		cmd.SysProcAttr = &syscall.SysProcAttr{Unshareflags: syscall.CLONE_NEWNS}
		out, err := cmd.CombinedOutput()
		if err != nil && strings.Contains(err.Error(), "operation not permitted") {
			t.Skipf("no private mount namespace here: %v", err)
		}
		t.Logf("in a private mount namespace:\n%s", out)
		if err != nil {
			t.Fatalf("in a private mount namespace: %v", err)
		}
		if strings.Contains(string(out), "--- SKIP") {
			t.Skip("skipped in the namespace")
		}
		return
	}
	dir := t.TempDir()
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, "size=2m,mode=0700"); err != nil {
		t.Skipf("mount a tmpfs: %v", err)
	}
	t.Cleanup(func() { syscall.Unmount(dir, syscall.MNT_DETACH) })

	f := newCrashFixture(t, 3000, nil)
	f.state = filepath.Join(dir, "digest.db")
	code, log := f.run()
	if code != exitError || !strings.Contains(log, "no space left on device") || !strings.Contains(log, "file system of "+dir) {
		t.Errorf("exit %d, want %d naming the full file system %s:\n%s", code, exitError, dir, tail(log, 20))
	}
	if n := f.srv.Count(); n != 0 {
		t.Errorf("%d messages sent, want none before the flight log has its space", n)
	}
	if segs, _ := filepath.Glob(filepath.Join(dir, "digest.db.flight*")); len(segs) != 0 {
		t.Errorf("flight log files left: %v", segs)
	}
	t.Logf("on a 2 MiB tmpfs: exit %d, %d messages sent:\n%s", code, f.srv.Count(), tail(log, 3))
}

// tail returns the last n lines of s.
func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}
