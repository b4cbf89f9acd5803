package pgserver

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/computeladder/computeladder/harness/targets"
)

// ErrNoBouncer is wrapped by StartBouncer when pgbouncer is not installed.
var ErrNoBouncer = errors.New("pgbouncer not found: install it with `" + installHint + "`")

// Bouncer is a PgBouncer in transaction mode in front of a Server: many
// client connections share a few server connections, each held only for
// the length of a transaction.
type Bouncer struct {
	srv      *Server
	port     int
	poolSize int
	cmd      *exec.Cmd
	exited   chan struct{}
}

// PgBouncer is the bouncer as a prerequisite of the lab (for
// `computeladder setup connection-storm` and the lab's check).
var PgBouncer = targets.Prereq{Name: "pgbouncer", Find: BouncerPath, Apt: "pgbouncer", Brew: "pgbouncer"}

// Postgres is the server as a prerequisite of the lab.
var Postgres = targets.Prereq{Name: "PostgreSQL server (initdb, postgres)", Find: BinDir, Apt: "postgresql", Brew: "postgresql@17"}

// BouncerPath finds the pgbouncer binary.
func BouncerPath() (string, error) {
	for _, p := range []string{"/usr/sbin/pgbouncer", "/usr/bin/pgbouncer"} {
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	if p, err := exec.LookPath("pgbouncer"); err == nil {
		return p, nil
	}
	return "", ErrNoBouncer
}

// StartBouncer starts PgBouncer on the server's listen addresses, with at
// most poolSize connections to the server (which must be below the
// server's Available), and waits until it answers.
func (s *Server) StartBouncer(ctx context.Context, poolSize int) (b *Bouncer, err error) {
	if poolSize < 1 || poolSize > s.Available() {
		return nil, fmt.Errorf("pgserver: bouncer pool of %d: use 1 to %d (the server's connections)", poolSize, s.Available())
	}
	bin, err := BouncerPath()
	if err != nil {
		return nil, err
	}
	port, err := FreePort()
	if err != nil {
		return nil, err
	}
	b = &Bouncer{srv: s, port: port, poolSize: poolSize}
	defer func() {
		if err != nil {
			_ = b.Stop()
			b = nil
		}
	}()
	var owner []int
	if s.cred != nil {
		owner = []int{int(s.cred.Uid), int(s.cred.Gid)}
	}
	users := filepath.Join(s.dir, "userlist.txt")
	if err := s.writeFile(users, fmt.Sprintf("%q %q\n", AppUser, s.password), owner); err != nil {
		return nil, err
	}
	ini := fmt.Sprintf(`[databases]
%[1]s = host=127.0.0.1 port=%[2]d dbname=%[1]s

[pgbouncer]
listen_addr = %[3]s
listen_port = %[4]d
unix_socket_dir =
auth_type = scram-sha-256
auth_file = %[5]s
pool_mode = transaction
default_pool_size = %[6]d
max_db_connections = %[6]d
max_client_conn = 1000
pidfile = %[7]s
ignore_startup_parameters = extra_float_digits
`, Database, s.port, strings.Join(s.opts.Listen, ","), port, users, poolSize, filepath.Join(s.dir, "pgbouncer.pid"))
	conf := filepath.Join(s.dir, "pgbouncer.ini")
	if err := s.writeFile(conf, ini, owner); err != nil {
		return nil, err
	}
	logf, err := os.Create(filepath.Join(s.dir, "pgbouncer.log"))
	if err != nil {
		return nil, fmt.Errorf("pgserver: %w", err)
	}
	defer logf.Close()
	b.cmd = s.command(context.WithoutCancel(ctx), bin, "-q", conf)
	b.cmd.Stdout, b.cmd.Stderr = logf, logf
	if err := b.cmd.Start(); err != nil {
		return nil, fmt.Errorf("pgserver: start pgbouncer: %w", err)
	}
	b.exited = make(chan struct{})
	go func() { _ = b.cmd.Wait(); close(b.exited) }()
	return b, b.waitReady(ctx)
}

func (b *Bouncer) waitReady(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, startTimeout)
	defer cancel()
	for {
		c, err := pgx.Connect(ctx, b.DSN())
		if err == nil {
			_, err = c.Exec(ctx, "SELECT 1")
			c.Close(ctx)
			if err == nil {
				return nil
			}
		}
		select {
		case <-b.exited:
			log, _ := os.ReadFile(filepath.Join(b.srv.dir, "pgbouncer.log"))
			return fmt.Errorf("pgserver: pgbouncer exited at start: %s", lastLines(string(log), 5))
		case <-ctx.Done():
			return fmt.Errorf("pgserver: pgbouncer not ready: %w (last: %v)", ctx.Err(), err)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// PoolSize is the bouncer's most connections to the server.
func (b *Bouncer) PoolSize() int { return b.poolSize }

// DSN is the app role's URL through the bouncer on 127.0.0.1.
func (b *Bouncer) DSN() string { return b.DSNFor("127.0.0.1") }

// DSNFor is the app role's URL through the bouncer on host. Transaction
// pooling gives each transaction whichever server connection is free, so
// prepared statements (pgx's default) cannot be used: the URL selects the
// simple protocol.
func (b *Bouncer) DSNFor(host string) string {
	u := b.srv.dsn(AppUser, b.srv.password, host, b.port, Database)
	return u + "&default_query_exec_mode=simple_protocol"
}

// Port is the bouncer's TCP port.
func (b *Bouncer) Port() int { return b.port }

// Stop stops the bouncer; it accepts nil and can run twice. The server's
// Stop removes its files.
func (b *Bouncer) Stop() error {
	if b == nil || b.cmd == nil || b.cmd.Process == nil || b.exited == nil {
		return nil
	}
	return stopProcess(b.cmd.Process, b.exited)
}
