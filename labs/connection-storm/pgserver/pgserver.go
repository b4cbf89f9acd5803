// Package pgserver starts a throwaway PostgreSQL server (and, optionally, a
// PgBouncer in front of it) for the connection-storm lab and its tests: a
// fresh cluster from initdb in a temporary directory, listening only on the
// addresses given (127.0.0.1, and the Docker bridge's gateway, which Bridge
// finds, so that containers reach it), with a low max_connections so that a
// storm of connections hits the limit. Stop stops it and removes the
// directory.
//
// It never touches the system's own cluster. PostgreSQL refuses to run as
// root, so when the caller is root the server runs as the "postgres" system
// user (which Debian's postgresql package creates).
//
// The directory's name carries the run id, so Sweeper finds a server that a
// killed run left behind from the disk (its postmaster.pid), not from memory.
package pgserver

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/shirou/gopsutil/v4/process"

	"github.com/computeladder/computeladder/deployers"
)

// Defaults of Options.
const (
	DefaultMaxConnections      = 20
	DefaultReservedConnections = 3
	// AppUser and Database are the role and database the app uses; the
	// role is not a superuser, so the reserved connections stay reserved.
	AppUser      = "app"
	Database     = "orders"
	adminUser    = "admin"
	dirPrefix    = "computeladder-pg-"
	startTimeout = 60 * time.Second
	stopTimeout  = 15 * time.Second
)

// ErrNotInstalled is wrapped by Start when the PostgreSQL server binaries
// are missing.
var ErrNotInstalled = errors.New("PostgreSQL server binaries not found (initdb, postgres): install them with `" + installHint + "`")

// Options configure Start.
type Options struct {
	// RunID names the directory, for Sweeper; required.
	RunID string
	// Listen are the addresses to listen on (default 127.0.0.1); never
	// 0.0.0.0.
	Listen []string
	// AllowNets are the client networks pg_hba.conf admits, besides
	// 127.0.0.1/32 (e.g. the Docker bridge's subnet).
	AllowNets []string
	// MaxConnections and ReservedConnections (superuser_reserved_connections)
	// default to 20 and 3: the app's role gets the difference.
	MaxConnections, ReservedConnections int
}

// Server is a running throwaway PostgreSQL.
type Server struct {
	dir, password, adminPassword string
	port                         int
	opts                         Options
	cmd                          *exec.Cmd
	exited                       chan struct{}
	cred                         *syscall.Credential
}

// Start creates a cluster and starts the server; it returns when the server
// accepts connections, with the app's role and database created. On error
// nothing is left running and the directory is removed.
func Start(ctx context.Context, opts Options) (s *Server, err error) {
	if opts.RunID == "" {
		return nil, errors.New("pgserver: a run id is required")
	}
	if opts.MaxConnections == 0 {
		opts.MaxConnections = DefaultMaxConnections
	}
	if opts.ReservedConnections == 0 {
		opts.ReservedConnections = DefaultReservedConnections
	}
	if opts.ReservedConnections >= opts.MaxConnections {
		return nil, fmt.Errorf("pgserver: %d reserved of %d connections: leave some for the app", opts.ReservedConnections, opts.MaxConnections)
	}
	if len(opts.Listen) == 0 {
		opts.Listen = []string{"127.0.0.1"}
	}
	for _, a := range opts.Listen {
		if ip := net.ParseIP(a); ip == nil || ip.IsUnspecified() {
			return nil, fmt.Errorf("pgserver: listen address %q: use specific IP addresses, never 0.0.0.0", a)
		}
	}
	bin, err := BinDir()
	if err != nil {
		return nil, err
	}
	cred, owner, err := runAs()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", dirPrefix+opts.RunID+"-")
	if err != nil {
		return nil, fmt.Errorf("pgserver: %w", err)
	}
	s = &Server{dir: dir, opts: opts, cred: cred, password: randomHex(), adminPassword: randomHex()}
	defer func() {
		if err != nil {
			_ = s.Stop()
			s = nil
		}
	}()
	// The owner, so that a sweep leaves a running lab's server alone.
	if err := os.WriteFile(filepath.Join(dir, ownerFile), []byte(deployers.Self()+"\n"), 0o644); err != nil {
		return s, fmt.Errorf("pgserver: %w", err)
	}
	if owner != nil {
		if err := os.Chown(dir, owner[0], owner[1]); err != nil {
			return s, fmt.Errorf("pgserver: %w", err)
		}
	}
	pwfile := filepath.Join(dir, "pwfile")
	if err := s.writeFile(pwfile, s.adminPassword+"\n", owner); err != nil {
		return s, err
	}
	data := filepath.Join(dir, "data")
	initdb := s.command(ctx, filepath.Join(bin, "initdb"), "-D", data, "-U", adminUser, "--pwfile="+pwfile,
		"-A", "scram-sha-256", "-E", "UTF8", "--locale=C", "--no-sync")
	if out, err := initdb.CombinedOutput(); err != nil {
		return s, fmt.Errorf("pgserver: initdb: %w: %s", err, lastLines(string(out), 5))
	}
	hba := "# computeladder connection-storm: loopback and the listed networks only\nhost all all 127.0.0.1/32 scram-sha-256\n"
	for _, n := range opts.AllowNets {
		if _, _, err := net.ParseCIDR(n); err != nil {
			return s, fmt.Errorf("pgserver: allowed network %q: use CIDR notation like 172.17.0.0/16", n)
		}
		hba += "host all all " + n + " scram-sha-256\n"
	}
	if err := s.writeFile(filepath.Join(data, "pg_hba.conf"), hba, owner); err != nil {
		return s, err
	}
	if s.port, err = FreePort(); err != nil {
		return s, err
	}
	logf, err := os.Create(filepath.Join(dir, "postgres.log"))
	if err != nil {
		return s, fmt.Errorf("pgserver: %w", err)
	}
	defer logf.Close()
	s.cmd = s.command(context.WithoutCancel(ctx), filepath.Join(bin, "postgres"), "-D", data,
		"-c", "listen_addresses="+strings.Join(opts.Listen, ","),
		"-c", "port="+strconv.Itoa(s.port),
		"-c", "max_connections="+strconv.Itoa(opts.MaxConnections),
		"-c", "superuser_reserved_connections="+strconv.Itoa(opts.ReservedConnections),
		"-c", "unix_socket_directories="+dir,
		// A throwaway server: durability buys nothing here.
		"-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
		"-c", "log_min_messages=fatal")
	s.cmd.Stdout, s.cmd.Stderr = logf, logf
	if err := s.cmd.Start(); err != nil {
		return s, fmt.Errorf("pgserver: start postgres: %w", err)
	}
	s.exited = make(chan struct{})
	go func() { _ = s.cmd.Wait(); close(s.exited) }()
	conn, err := s.waitReady(ctx)
	if err != nil {
		return s, err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	for _, q := range []string{
		fmt.Sprintf("CREATE ROLE %s LOGIN PASSWORD '%s'", AppUser, s.password),
		fmt.Sprintf("CREATE DATABASE %s OWNER %s", Database, AppUser),
	} {
		if _, err := conn.Exec(ctx, q); err != nil {
			return s, fmt.Errorf("pgserver: set up the app's role: %w", err)
		}
	}
	return s, nil
}

// waitReady polls a superuser connection until the server answers, failing
// fast when the server process exits.
func (s *Server) waitReady(ctx context.Context) (*pgx.Conn, error) {
	ctx, cancel := context.WithTimeout(ctx, startTimeout)
	defer cancel()
	dsn := s.dsn(adminUser, s.adminPassword, "127.0.0.1", s.port, "postgres")
	for {
		c, err := pgx.Connect(ctx, dsn)
		if err == nil {
			return c, nil
		}
		select {
		case <-s.exited:
			log, _ := os.ReadFile(filepath.Join(s.dir, "postgres.log"))
			return nil, fmt.Errorf("pgserver: postgres exited at start: %s", lastLines(string(log), 5))
		case <-ctx.Done():
			return nil, fmt.Errorf("pgserver: postgres not ready: %w (last: %v)", ctx.Err(), err)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// Port is the server's TCP port.
func (s *Server) Port() int { return s.port }

// Dir is the server's directory (data, logs).
func (s *Server) Dir() string { return s.dir }

// Available is how many connections the app's role may open at once.
func (s *Server) Available() int { return s.opts.MaxConnections - s.opts.ReservedConnections }

// DSN is the app role's URL through 127.0.0.1.
func (s *Server) DSN() string { return s.DSNFor("127.0.0.1") }

// DSNFor is the app role's URL through host (one of the listen addresses).
func (s *Server) DSNFor(host string) string {
	return s.dsn(AppUser, s.password, host, s.port, Database)
}

// AdminDSN is a superuser's URL (it may use the reserved connections).
func (s *Server) AdminDSN() string {
	return s.dsn(adminUser, s.adminPassword, "127.0.0.1", s.port, Database)
}

func (s *Server) dsn(usr, pw, host string, port int, db string) string {
	u := url.URL{Scheme: "postgres", User: url.UserPassword(usr, pw), Host: net.JoinHostPort(host, strconv.Itoa(port)),
		Path: "/" + db, RawQuery: "sslmode=disable&connect_timeout=5"}
	return u.String()
}

// Stop stops the server (a fast shutdown, then a kill) and removes its
// directory. It accepts nil and can run twice.
func (s *Server) Stop() error {
	if s == nil {
		return nil
	}
	var errs []error
	if s.cmd != nil && s.cmd.Process != nil && s.exited != nil {
		errs = append(errs, stopProcess(s.cmd.Process, s.exited))
	}
	if err := os.RemoveAll(s.dir); err != nil {
		errs = append(errs, fmt.Errorf("pgserver: remove %s: %w", s.dir, err))
	}
	return errors.Join(errs...)
}

// AppConnections counts the app role's connections on the server
// (pg_stat_activity). It connects as the superuser for the count alone:
// a connection kept open would hold one of the app's seats (PostgreSQL
// counts superusers' connections against max_connections and hands them
// a reserved slot only once the others are full), and when they are full
// the count still gets in.
func (s *Server) AppConnections(ctx context.Context) (int, error) {
	conn, err := pgx.Connect(ctx, s.AdminDSN())
	if err != nil {
		return 0, fmt.Errorf("pgserver: count the app's connections: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	var n int
	if err := conn.QueryRow(ctx, "SELECT count(*) FROM pg_stat_activity WHERE usename = $1", AppUser).Scan(&n); err != nil {
		return 0, fmt.Errorf("pgserver: count the app's connections: %w", err)
	}
	return n, nil
}

// Drain waits until the server holds no app connections, for at most
// timeout: every seat is then free for what comes next.
func (s *Server) Drain(ctx context.Context, timeout time.Duration) error {
	return drain(ctx, timeout, s.AppConnections)
}

// drain is Drain with the count as a parameter. When the wait's deadline
// passes while a count is under way (a connection's authentication takes
// a while on a busy machine), the last count taken is what it reports.
func drain(ctx context.Context, timeout time.Duration, count func(context.Context) (int, error)) error {
	open := -1 // the last count taken
	err := deployers.Poll(ctx, 100*time.Millisecond, timeout, func(wait context.Context) (bool, error) {
		n, err := count(wait)
		if err != nil {
			if wait.Err() != nil {
				return false, wait.Err()
			}
			return false, err
		}
		open = n
		return n == 0, nil
	})
	if err == nil || ctx.Err() != nil || !errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	if open < 0 {
		return fmt.Errorf("pgserver: the app's connections could not be counted within %s: %w", timeout, err)
	}
	return fmt.Errorf("pgserver: %d app connections still open after %s", open, timeout)
}

// stopProcess sends SIGINT (PostgreSQL's and PgBouncer's fast shutdown),
// then SIGKILL when the process has not exited after stopTimeout.
func stopProcess(p *os.Process, exited <-chan struct{}) error {
	select {
	case <-exited:
		return nil
	default:
	}
	_ = p.Signal(os.Interrupt)
	select {
	case <-exited:
		return nil
	case <-time.After(stopTimeout):
	}
	_ = p.Kill()
	select {
	case <-exited:
		return nil
	case <-time.After(5 * time.Second):
		return fmt.Errorf("pgserver: process %d did not exit after SIGKILL", p.Pid)
	}
}

// ownerFile, in a server's directory, holds its owner's label
// (deployers.Self): the process that started the server.
const ownerFile = "owner"

// Sweeper finds the servers (and their PgBouncers) that runs left, from
// the run id in their directories' names: what `computeladder sweep`, a
// second Ctrl-C and the lab's leftover check see of this package.
type Sweeper struct{}

// String names what it sweeps.
func (Sweeper) String() string { return "postgres" }

// List returns the servers' directories left with runID (every run's when
// empty).
func (Sweeper) List(_ context.Context, runID string) ([]deployers.Resource, error) {
	m, err := filepath.Glob(filepath.Join(os.TempDir(), dirPrefix+"*"))
	if err != nil {
		return nil, fmt.Errorf("pgserver: %w", err)
	}
	sort.Strings(m)
	var out []deployers.Resource
	for _, dir := range m {
		// dirPrefix, the run id, "-" and os.MkdirTemp's digits: a run id
		// that another one begins with must not match it.
		rest := strings.TrimPrefix(filepath.Base(dir), dirPrefix)
		i := strings.LastIndexByte(rest, '-')
		if i <= 0 || (runID != "" && rest[:i] != runID) {
			continue
		}
		owner, _ := os.ReadFile(filepath.Join(dir, ownerFile))
		out = append(out, deployers.Resource{Kind: "postgres-server", ID: dir, RunID: rest[:i], Owner: strings.TrimSpace(string(owner))})
	}
	return out, nil
}

// Sweep kills the processes of the servers (and bouncers) left with runID
// (every run's when empty), found from their pid files, removes their
// directories, and returns what it removed.
func (s Sweeper) Sweep(ctx context.Context, runID string) ([]deployers.Resource, error) {
	rs, err := s.List(ctx, runID)
	if err != nil {
		return nil, err
	}
	var removed []deployers.Resource
	var errs []error
	for _, r := range rs {
		for _, pidfile := range []string{filepath.Join(r.ID, "data", "postmaster.pid"), filepath.Join(r.ID, "pgbouncer.pid")} {
			killFromPidfile(pidfile, r.ID)
		}
		if err := os.RemoveAll(r.ID); err != nil {
			errs = append(errs, fmt.Errorf("pgserver: %w", err))
			continue
		}
		removed = append(removed, r)
	}
	return removed, errors.Join(errs...)
}

// killFromPidfile kills the pid in pidfile if that process's command line
// names dir (a recycled pid belongs to someone else).
func killFromPidfile(pidfile, dir string) {
	b, err := os.ReadFile(pidfile)
	if err != nil {
		return
	}
	pid, err := strconv.Atoi(strings.TrimSpace(strings.SplitN(string(b), "\n", 2)[0]))
	if err != nil || pid <= 1 || pid > math.MaxInt32 {
		return
	}
	// gopsutil reads it from /proc on Linux, from sysctl on macOS.
	cmdline, err := (&process.Process{Pid: int32(pid)}).Cmdline()
	if err != nil || !strings.Contains(cmdline, dir) {
		return
	}
	_ = syscall.Kill(pid, syscall.SIGKILL)
	for i := 0; i < 50 && syscall.Kill(pid, 0) == nil; i++ {
		time.Sleep(100 * time.Millisecond)
	}
}

// BinDir finds the server binaries: the newest of Debian's
// /usr/lib/postgresql/<v>/bin or Homebrew's opt/postgresql@<v>/bin, else the
// directory of initdb on PATH.
func BinDir() (string, error) {
	var m []string
	for _, g := range binGlobs {
		found, _ := filepath.Glob(g)
		m = append(m, found...)
	}
	sort.Slice(m, func(i, j int) bool { return version(m[i]) > version(m[j]) })
	for _, p := range m {
		if _, err := os.Stat(filepath.Join(filepath.Dir(p), "initdb")); err == nil {
			return filepath.Dir(p), nil
		}
	}
	if p, err := exec.LookPath("initdb"); err == nil {
		if _, err := os.Stat(filepath.Join(filepath.Dir(p), "postgres")); err == nil {
			return filepath.Dir(p), nil
		}
	}
	return "", ErrNotInstalled
}

// version is the major version in a server binary's path: Debian's
// .../postgresql/17/bin/postgres or Homebrew's .../postgresql@17/bin/postgres.
func version(p string) int {
	dir := filepath.Base(filepath.Dir(filepath.Dir(p)))
	if _, v, ok := strings.Cut(dir, "@"); ok {
		dir = v
	}
	n, _ := strconv.Atoi(dir)
	return n
}

// runAs returns the credential to run the server with: none when not root,
// else the postgres system user's (and its uid, gid for chown).
func runAs() (*syscall.Credential, []int, error) {
	if os.Geteuid() != 0 {
		return nil, nil, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, nil, fmt.Errorf("pgserver: running as root, and PostgreSQL refuses root: create a postgres user (apt-get install postgresql does) or run as another user: %w", err)
	}
	uid, err1 := strconv.Atoi(u.Uid)
	gid, err2 := strconv.Atoi(u.Gid)
	if err1 != nil || err2 != nil {
		return nil, nil, fmt.Errorf("pgserver: postgres user has uid %q gid %q", u.Uid, u.Gid)
	}
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, []int{uid, gid}, nil
}

func (s *Server) command(ctx context.Context, name string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = s.dir
	cmd.Env = []string{"PATH=/usr/bin:/bin", "LC_ALL=C"}
	cmd.SysProcAttr = sysProcAttr(s.cred)
	return cmd
}

func (s *Server) writeFile(path, content string, owner []int) error {
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		return fmt.Errorf("pgserver: %w", err)
	}
	if owner != nil {
		if err := os.Chown(path, owner[0], owner[1]); err != nil {
			return fmt.Errorf("pgserver: %w", err)
		}
	}
	return nil
}

// FreePort returns a TCP port that was free on 127.0.0.1.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("pgserver: find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func randomHex() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func lastLines(s string, n int) string {
	l := strings.Split(strings.TrimSpace(s), "\n")
	if len(l) > n {
		l = l[len(l)-n:]
	}
	return strings.Join(l, " | ")
}
