package storm

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/computeladder/computeladder/harness/results"
)

// Result is one run's figures: storm.json.
type Result struct {
	results.Header
	Postgres Postgres       `json:"postgres"`
	DBHost   string         `json:"db_host"`
	Burst    int            `json:"burst"`
	Rounds   int            `json:"rounds"`
	PoolSize int            `json:"pool_size"`
	Cases    []Case         `json:"cases"`
	Claims   results.Claims `json:"claims"`
	// FlatTeardown is the final teardown: the deployments, PgBouncer and
	// the server; its Leftovers are what still carried the run id on the
	// deployers and on disk (server directories).
	results.FlatTeardown
}

// Postgres is the server's connection budget.
type Postgres struct {
	MaxConnections int `json:"max_connections"`
	Reserved       int `json:"superuser_reserved_connections"`
	Available      int `json:"available_to_app"`
}

// Case is one deployment under the bursts.
type Case struct {
	Name        string `json:"name"`
	Variant     string `json:"variant"`
	Description string `json:"description"`
	PoolSize    int    `json:"pool_size"`
	// MaxConcurrency is the function's environment limit (0: a container).
	MaxConcurrency int `json:"max_concurrency,omitempty"`
	// BouncerPool is PgBouncer's server connections (0: no bouncer).
	BouncerPool int `json:"bouncer_pool,omitempty"`
	// Environments is how many instances served (execution environments
	// of the function; 1 for the container); WantedConnections is that ×
	// PoolSize: what the pools would open.
	Environments          int     `json:"environments"`
	WantedConnections     int     `json:"wanted_connections"`
	PeakServerConnections int     `json:"peak_server_connections"`
	Requests              int     `json:"requests"`
	Created               int     `json:"created"`
	DBUnavailable         int     `json:"database_unavailable"`
	Throttled             int     `json:"throttled"`
	Other                 int     `json:"other"`
	P50                   float64 `json:"p50_ms"`
	Max                   float64 `json:"max_ms"`
	Rounds                []Round `json:"rounds"`
}

func (c *Case) add(r Round) {
	c.Rounds = append(c.Rounds, r)
	c.Requests += len(r.Latencies)
	c.Created += r.Created
	c.DBUnavailable += r.DBUnavailable
	c.Throttled += r.Throttled
	c.Other += r.Other
	c.PeakServerConnections = max(c.PeakServerConnections, r.ServerConnections)
	var all []time.Duration
	for _, r := range c.Rounds {
		all = append(all, r.Latencies...)
	}
	c.P50, c.Max = ms(percentile(all, 50)), ms(percentile(all, 100))
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// Case returns the case named name, or nil.
func (r *Result) Case(name string) *Case {
	for i := range r.Cases {
		if r.Cases[i].Name == name {
			return &r.Cases[i]
		}
	}
	return nil
}

// Claim names.
const (
	ClaimStormRefused   = "function-storm-exhausts-connections"
	ClaimSharedNoErrors = "shared-pool-no-connection-errors"
	ClaimPoolOneFixes   = "pool-of-1-fixes-it"
	ClaimCappedThrottle = "capped-concurrency-throttles-instead"
	ClaimBouncerFixes   = "pgbouncer-fixes-it"
)

// Claim is one statement of the lab and whether this run's figures hold it.
type Claim = results.Claim

// Claim returns the claim named name (not holding when this run did not
// judge it).
func (r *Result) Claim(name string) Claim { return r.Claims.Get(name) }

// judge states the claims the measured cases allow.
func (r *Result) judge() {
	r.Claims = nil
	add := func(name string, holds bool, format string, a ...any) {
		r.Claims = append(r.Claims, results.ClaimOf(name, holds, fmt.Sprintf(format, a...)))
	}
	if c := r.Case(CaseStorm); c != nil {
		add(ClaimStormRefused, c.DBUnavailable > 0,
			"%d environments × pool %d = %d wanted for %d seats: %d of %d requests refused (503 database_unavailable)",
			c.Environments, c.PoolSize, c.WantedConnections, r.Postgres.Available, c.DBUnavailable, c.Requests)
	}
	if c := r.Case(CaseShared); c != nil {
		add(ClaimSharedNoErrors, c.Created == c.Requests && c.Requests > 0,
			"one pool of %d: %d of %d created, %d refused, peak %d connections",
			c.PoolSize, c.Created, c.Requests, c.DBUnavailable, c.PeakServerConnections)
	}
	if c := r.Case(CasePoolOne); c != nil {
		add(ClaimPoolOneFixes, c.Created == c.Requests && c.Requests > 0,
			"%d environments × pool 1 = %d ≤ %d seats: %d of %d created, %d refused",
			c.Environments, c.WantedConnections, r.Postgres.Available, c.Created, c.Requests, c.DBUnavailable)
	}
	if c := r.Case(CaseCapped); c != nil {
		add(ClaimCappedThrottle, c.DBUnavailable == 0 && c.Throttled > 0 && c.Created > 0,
			"at most %d environments × pool %d = %d ≤ %d seats: %d created, %d throttled (429), %d refused",
			c.MaxConcurrency, c.PoolSize, c.MaxConcurrency*c.PoolSize, r.Postgres.Available, c.Created, c.Throttled, c.DBUnavailable)
	}
	if c := r.Case(CaseBouncer); c != nil {
		add(ClaimBouncerFixes, c.Created == c.Requests && c.Requests > 0,
			"%d environments × pool %d = %d client connections to PgBouncer, %d to PostgreSQL (peak seen %d): %d of %d created, %d refused",
			c.Environments, c.PoolSize, c.WantedConnections, c.BouncerPool, c.PeakServerConnections, c.Created, c.Requests, c.DBUnavailable)
	}
}

// Markdown writes the short summary.
func Markdown(w io.Writer, r *Result) error {
	var b strings.Builder
	fmt.Fprintf(&b, "# Connection storm: run %s\n\n", r.RunID)
	fmt.Fprintf(&b, "PostgreSQL max_connections %d, %d reserved for superusers: **%d seats for the app**. %d rounds of %d concurrent POST /orders per case.\n\n",
		r.Postgres.MaxConnections, r.Postgres.Reserved, r.Postgres.Available, r.Rounds, r.Burst)
	b.WriteString("| case | instances × pool = wanted | peak held | requests | 201 | 503 db | 429 | other | p50 ms | max ms |\n")
	b.WriteString("|---|---|---|---|---|---|---|---|---|---|\n")
	for _, c := range r.Cases {
		wanted := fmt.Sprintf("%d × %d = %d", c.Environments, c.PoolSize, c.WantedConnections)
		if c.BouncerPool > 0 {
			wanted += fmt.Sprintf(" (→ %d via PgBouncer)", c.BouncerPool)
		}
		fmt.Fprintf(&b, "| %s (%s) | %s | %d | %d | %d | %d | %d | %d | %.1f | %.1f |\n",
			c.Name, c.Variant, wanted, c.PeakServerConnections, c.Requests, c.Created, c.DBUnavailable, c.Throttled, c.Other, c.P50, c.Max)
	}
	b.WriteString("\n")
	results.WriteClosing(&b, r.Claims, r.Teardown, len(r.Leftovers), r.TeardownError, r.RunID)
	_, err := io.WriteString(w, b.String())
	return err
}
