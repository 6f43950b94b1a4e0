// Package pgtest starts a private PostgreSQL server for tests: a cluster
// made with initdb in a temporary folder, listening on a loopback port
// with password authentication, and stopped and removed at the end.
//
// It needs the PostgreSQL server programs (initdb, pg_ctl) on PATH or in
// Debian's /usr/lib/postgresql/VERSION/bin. Where they are missing, the
// tests that need a server skip, unless DIGEST_REQUIRE_POSTGRES=1, when
// they fail. Run as root (as CI does), the server runs as the user nobody,
// since PostgreSQL refuses to run as root.
package pgtest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// RequireEnv names the variable that, set to 1, makes a missing PostgreSQL
// server a test failure rather than a skip.
const RequireEnv = "DIGEST_REQUIRE_POSTGRES"

// ErrNotInstalled is returned by Start when initdb or pg_ctl is not found.
var ErrNotInstalled = errors.New("pgtest: PostgreSQL server programs (initdb, pg_ctl) not found")

// User and Password are the superuser's name and password in every server
// Start makes.
const (
	User     = "digest"
	Password = "digest-test-password"
)

// nobody is the user and group the server runs as when the tests run as
// root.
const nobody = 65534

// A Server is a running private cluster.
type Server struct {
	dir   string // holds data/, the log and the password file
	port  int
	pgctl string
	cred  *syscall.Credential
	next  atomic.Int64 // numbers the databases NewDatabase makes
}

// Start makes a cluster in a new temporary folder and starts its server,
// with durability off (fsync, synchronous_commit and full_page_writes) so
// that tests run fast: a crash of the machine may lose its data. It
// returns ErrNotInstalled (wrapped) when the server programs are missing.
func Start(ctx context.Context) (*Server, error) {
	return start(ctx, "-c fsync=off -c synchronous_commit=off -c full_page_writes=off")
}

// StartDurable is Start with PostgreSQL's durable defaults: every commit
// is flushed to disk before it returns, as in production. The delivery
// benchmark uses it to compare with SQLite's synchronous=FULL.
func StartDurable(ctx context.Context) (*Server, error) {
	return start(ctx, "")
}

// start makes and starts a cluster with the server options settings
// added to the loopback-only ones.
func start(ctx context.Context, settings string) (*Server, error) {
	bin, err := findBin()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "digest-pg-")
	if err != nil {
		return nil, fmt.Errorf("pgtest: %w", err)
	}
	s := &Server{dir: dir, pgctl: filepath.Join(bin, "pg_ctl")}
	if os.Geteuid() == 0 {
		s.cred = &syscall.Credential{Uid: nobody, Gid: nobody}
		if err := os.Chown(dir, nobody, nobody); err != nil {
			os.RemoveAll(dir)
			return nil, fmt.Errorf("pgtest: %w", err)
		}
	}
	pw := filepath.Join(dir, "password")
	if err := os.WriteFile(pw, []byte(Password+"\n"), 0o600); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("pgtest: %w", err)
	}
	if s.cred != nil {
		if err := os.Chown(pw, nobody, nobody); err != nil {
			os.RemoveAll(dir)
			return nil, fmt.Errorf("pgtest: %w", err)
		}
	}
	data := filepath.Join(dir, "data")
	if err := s.command(ctx, filepath.Join(bin, "initdb"), "-D", data, "-U", User, "--pwfile", pw,
		"--auth", "scram-sha-256", "-E", "UTF8", "--locale", "C.UTF-8", "--no-sync"); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	for range 5 {
		if s.port, err = freePort(); err != nil {
			break
		}
		opts := fmt.Sprintf("-c listen_addresses=127.0.0.1 -p %d -c unix_socket_directories='' "+
			"-c max_connections=300 %s", s.port, settings)
		if err = s.command(ctx, s.pgctl, "start", "-w", "-t", "60", "-D", data,
			"-l", filepath.Join(dir, "server.log"), "-o", opts); err == nil {
			return s, nil
		}
	}
	log, _ := os.ReadFile(filepath.Join(dir, "server.log"))
	os.RemoveAll(dir)
	return nil, fmt.Errorf("%w\n%s", err, log)
}

// findBin returns the folder of initdb and pg_ctl.
func findBin() (string, error) {
	if p, err := exec.LookPath("initdb"); err == nil {
		if _, err := exec.LookPath("pg_ctl"); err == nil {
			if real, err := filepath.EvalSymlinks(p); err == nil {
				return filepath.Dir(real), nil
			}
			return filepath.Dir(p), nil
		}
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Sort(sort.Reverse(sort.StringSlice(dirs)))
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "initdb")); err == nil {
			return d, nil
		}
	}
	return "", ErrNotInstalled
}

// command runs a server program, as nobody when the tests run as root.
func (s *Server) command(ctx context.Context, name string, args ...string) error {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = s.dir
	cmd.Env = append(os.Environ(), "LC_ALL=C.UTF-8")
	if s.cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: s.cred}
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("pgtest: %s: %w\n%s", filepath.Base(name), err, out)
	}
	return nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("pgtest: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// Stop stops the server at once and removes its folder.
func (s *Server) Stop() error {
	err := s.command(context.Background(), s.pgctl, "stop", "-m", "immediate", "-w", "-D", filepath.Join(s.dir, "data"))
	if rerr := os.RemoveAll(s.dir); err == nil {
		err = rerr
	}
	return err
}

// PID returns the process id of the server's main process (the
// postmaster), from the first line of its postmaster.pid.
func (s *Server) PID() (int, error) {
	b, err := os.ReadFile(filepath.Join(s.dir, "data", "postmaster.pid"))
	if err != nil {
		return 0, fmt.Errorf("pgtest: %w", err)
	}
	line, _, _ := strings.Cut(string(b), "\n")
	pid, err := strconv.Atoi(strings.TrimSpace(line))
	if err != nil {
		return 0, fmt.Errorf("pgtest: postmaster.pid: %w", err)
	}
	return pid, nil
}

// Addr returns the server's host:port.
func (s *Server) Addr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(s.port)) }

// URL returns the postgres:// URL of database db as the superuser.
func (s *Server) URL(db string) string {
	u := url.URL{Scheme: "postgres", User: url.UserPassword(User, Password), Host: s.Addr(), Path: "/" + db,
		RawQuery: "sslmode=disable"}
	return u.String()
}

// NewDatabase makes a new, empty database and returns its URL.
func (s *Server) NewDatabase(ctx context.Context) (string, error) {
	name := fmt.Sprintf("t%d", s.next.Add(1))
	conn, err := pgx.Connect(ctx, s.URL("postgres"))
	if err != nil {
		return "", fmt.Errorf("pgtest: %w", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		return "", fmt.Errorf("pgtest: %w", err)
	}
	return s.URL(name), nil
}

// A Lazy starts its server when a test first asks for a database, so that
// a test binary whose chosen tests need none starts none. Make one in
// TestMain and call Stop after the tests ran.
type Lazy struct {
	once sync.Once
	srv  *Server
	err  error
}

// Server returns the running server, starting it on the first call. When
// the server programs are missing, it skips t, or fails it when
// DIGEST_REQUIRE_POSTGRES=1.
func (l *Lazy) Server(t testing.TB) *Server {
	t.Helper()
	l.once.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		l.srv, l.err = Start(ctx)
	})
	switch {
	case errors.Is(l.err, ErrNotInstalled) && os.Getenv(RequireEnv) != "1":
		t.Skipf("%v; set %s=1 to fail instead", l.err, RequireEnv)
	case l.err != nil:
		t.Fatal(l.err)
	}
	return l.srv
}

// Database makes a new, empty database on the server (see Server) and
// returns its URL.
func (l *Lazy) Database(t testing.TB) string {
	t.Helper()
	srv := l.Server(t)
	u, err := srv.NewDatabase(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// Stop stops the server if one was started.
func (l *Lazy) Stop() error {
	if l.srv == nil {
		return nil
	}
	return l.srv.Stop()
}
