// Package app is the business logic of a small checkout service: the one
// program that computeladder deploys as a VM, a container and a function.
//
// It imports nothing of any platform (no cloud SDK, no Docker, no Lambda):
// each platform reaches it through a thin adapter under app/adapters that
// only wires New's http.Handler to that platform.
//
// Routes:
//
//	GET  /healthz           liveness: {"status":"ok"} (not counted, see Config)
//	GET  /whoami            which instance answered, and whether it was cold
//	POST /checkout          prices a cart (application/json)
//	POST /thumbnail?width=N resizes a PNG or JPEG to a PNG N pixels wide
//	POST /jobs              a long CPU job streaming progress as NDJSON
//	POST /orders            prices a cart and stores it as an order (201);
//	                        only when Config.Orders is set
//
// Every error, 404 and 405 included, is JSON {"error":{"code","message"}}.
// Bad input is a 4xx. The one 5xx the app gives on purpose is POST /orders'
// 503 database_unavailable: the order store (a database behind an adapter's
// driver) refused the connection. That is the downstream's failure, not the
// client's, and retrying later may work; any other 5xx is a bug.
package app

import (
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net/http"
	"sync/atomic"
	"time"
)

// Platform names the adapter an instance runs under.
const (
	PlatformVM        = "vm"
	PlatformContainer = "container"
	PlatformLambda    = "lambda"
)

// Config is set by the adapter.
//
// Requests served are counted per instance (GET /whoami reports the count and
// whether the request was the instance's first, i.e. cold). GET and HEAD
// /healthz are not counted: health probes are platform plumbing, and counting
// them would let readiness polling consume the cold flag before the first
// real request arrives.
type Config struct {
	// Platform names the adapter, e.g. "vm", "container", "lambda" or "gcf"
	// (reported by GET /whoami).
	Platform string
	// InstanceID identifies this instance; empty means a random id.
	InstanceID string
	// Started is when the process started; zero means time.Now() at New.
	Started time.Time
	// Logger receives handler panics and failed response writes; nil
	// means slog.Default().
	Logger *slog.Logger
	// Orders stores the orders of POST /orders; nil means the route does
	// not exist. The adapters set it when DATABASE_URL is set.
	Orders OrderStore
}

// server holds one instance's state: its identity and the request counter.
type server struct {
	cfg    Config
	log    *slog.Logger
	served atomic.Int64
	now    func() time.Time
}

// New returns the app's HTTP handler.
func New(cfg Config) http.Handler { return newServer(cfg).handler() }

func newServer(cfg Config) *server {
	s := &server{cfg: cfg, log: cfg.Logger, now: time.Now}
	if s.cfg.InstanceID == "" {
		s.cfg.InstanceID = randomID()
	}
	if s.cfg.Started.IsZero() {
		s.cfg.Started = s.now()
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	return s
}

func (s *server) handler() http.Handler { return s.recoverJSON(s.count(s.routes())) }

// randomID returns 16 hex digits; crypto/rand never fails on supported
// platforms (Go 1.24+ crashes the program instead of returning an error).
func randomID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
