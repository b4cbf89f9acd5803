package pgserver

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/computeladder/computeladder/deployers/deployertest"
)

func requirePostgres(t *testing.T) {
	t.Helper()
	_, err := BinDir()
	deployertest.Require(t, "PostgreSQL", err)
}

// TestLimitAndBouncer: the app's role gets max_connections minus the
// reserved ones and then "too many clients"; a bouncer in front serves more
// clients than that; Stop removes everything.
func TestLimitAndBouncer(t *testing.T) {
	requirePostgres(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	runID := deployertest.RunID(t, "pg")
	srv, err := Start(ctx, Options{RunID: runID, MaxConnections: 6, ReservedConnections: 2})
	t.Cleanup(func() { _ = srv.Stop() })
	if err != nil {
		t.Fatal(err)
	}
	var conns []*pgx.Conn
	t.Cleanup(func() {
		for _, c := range conns {
			c.Close(context.Background())
		}
	})
	for i := 0; i < srv.Available(); i++ {
		c, err := pgx.Connect(ctx, srv.DSN())
		if err != nil {
			t.Fatalf("connection %d of %d: %v", i+1, srv.Available(), err)
		}
		conns = append(conns, c)
	}
	_, err = pgx.Connect(ctx, srv.DSN())
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || pe.Code != "53300" {
		t.Fatalf("connection %d: err %v, want SQLSTATE 53300 (too many clients)", srv.Available()+1, err)
	}
	// Counted while every seat is taken (the count's connection sits in a
	// reserved slot); Drain waits for them and says how many are left.
	if n, err := srv.AppConnections(ctx); err != nil || n != srv.Available() {
		t.Errorf("AppConnections = %d, %v with every seat taken; want %d", n, err, srv.Available())
	}
	if err := srv.Drain(ctx, 200*time.Millisecond); err == nil || !strings.Contains(err.Error(), fmt.Sprintf("%d app connections still open", srv.Available())) {
		t.Errorf("Drain with %d connections open = %v, want the count in an error", srv.Available(), err)
	}
	for _, c := range conns {
		c.Close(ctx)
	}
	conns = nil
	if err := srv.Drain(ctx, 10*time.Second); err != nil {
		t.Errorf("Drain after the clients closed: %v", err)
	}

	b, err := srv.StartBouncer(ctx, 2)
	t.Cleanup(func() { _ = b.Stop() })
	if err != nil {
		if errors.Is(err, ErrNoBouncer) {
			deployertest.Require(t, "pgbouncer", err)
		}
		t.Fatal(err)
	}
	// Twice as many clients as the server admits, each running a query.
	for i := 0; i < 2*srv.Available(); i++ {
		c, err := pgx.Connect(ctx, b.DSN())
		if err != nil {
			t.Fatalf("bouncer client %d: %v", i+1, err)
		}
		conns = append(conns, c)
		if _, err := c.Exec(ctx, "SELECT 1"); err != nil {
			t.Fatalf("bouncer client %d: %v", i+1, err)
		}
	}
	for _, c := range conns {
		c.Close(ctx)
	}
	conns = nil
	if err := b.Stop(); err != nil {
		t.Error(err)
	}
	dir := srv.Dir()
	if err := srv.Stop(); err != nil {
		t.Error(err)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("%s still there after Stop: %v", dir, err)
	}
	if _, err := srv.AppConnections(ctx); err == nil {
		t.Error("AppConnections after Stop: no error")
	}
	if left, err := (Sweeper{}).List(context.Background(), runID); err != nil || len(left) > 0 {
		t.Errorf("List = %v, %v; want nothing", left, err)
	}
}

// TestSweep finds a server from the disk and kills it.
func TestSweep(t *testing.T) {
	requirePostgres(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	runID := deployertest.RunID(t, "pgsweep")
	srv, err := Start(ctx, Options{RunID: runID})
	t.Cleanup(func() { _ = srv.Stop() })
	if err != nil {
		t.Fatal(err)
	}
	swept, err := (Sweeper{}).Sweep(ctx, runID)
	if err != nil || len(swept) != 1 || swept[0].ID != srv.Dir() || swept[0].RunID != runID {
		t.Fatalf("Sweep = %v, %v; want %s of run %s", swept, err, srv.Dir(), runID)
	}
	select {
	case <-srv.exited:
	case <-time.After(10 * time.Second):
		t.Fatal("postgres still running after Sweep")
	}
}

// TestSweeperFindsRunsByExactID: a run id that begins another's (storm,
// storm-2) must not sweep the other run's server, and an empty one lists
// every run's, as `computeladder sweep` without --run-id does.
func TestSweeperFindsRunsByExactID(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	for _, d := range []string{dirPrefix + "storm-123", dirPrefix + "storm-2-456", "unrelated-storm-789"} {
		if err := os.Mkdir(filepath.Join(tmp, d), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	ctx := context.Background()
	all, err := (Sweeper{}).List(ctx, "")
	if err != nil || len(all) != 2 {
		t.Fatalf("List(every run) = %v, %v; want the two servers", all, err)
	}
	swept, err := (Sweeper{}).Sweep(ctx, "storm")
	if err != nil || len(swept) != 1 || swept[0].RunID != "storm" || swept[0].ID != filepath.Join(tmp, dirPrefix+"storm-123") {
		t.Fatalf("Sweep(storm) = %v, %v; want only run storm's directory", swept, err)
	}
	left, err := (Sweeper{}).List(ctx, "")
	if err != nil || len(left) != 1 || left[0].RunID != "storm-2" {
		t.Fatalf("after Sweep(storm), List = %v, %v; want run storm-2's server untouched", left, err)
	}
}

func TestStartRefusesBadOptions(t *testing.T) {
	for _, o := range []Options{
		{},
		{RunID: "x", Listen: []string{"0.0.0.0"}},
		{RunID: "x", MaxConnections: 3, ReservedConnections: 3},
	} {
		if s, err := Start(context.Background(), o); err == nil {
			_ = s.Stop()
			t.Errorf("Start(%+v) succeeded", o)
		}
	}
}

func TestVersionFromPath(t *testing.T) {
	for path, want := range map[string]int{
		"/usr/lib/postgresql/15/bin/postgres":            15, // Debian
		"/opt/homebrew/opt/postgresql@17/bin/postgres":   17, // Homebrew, Apple Silicon
		"/usr/local/opt/postgresql@16/bin/postgres":      16, // Homebrew, Intel
		"/usr/local/opt/postgresql/bin/postgres":         0,  // unversioned: sorts last
		"/usr/lib/postgresql/not-a-version/bin/postgres": 0,
	} {
		if got := version(path); got != want {
			t.Errorf("version(%s) = %d, want %d", path, got, want)
		}
	}
}

func TestInstallHintNamesThisOS(t *testing.T) {
	want := map[string]string{"linux": "apt-get install -y postgresql pgbouncer", "darwin": "brew install postgresql@17 pgbouncer"}[runtime.GOOS]
	for _, err := range []error{ErrNotInstalled, ErrNoBouncer} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%q does not name %q", err, want)
		}
	}
}
