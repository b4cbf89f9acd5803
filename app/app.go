// Package app is the business logic of a small checkout service: the one
// program that computeladder deploys as a VM, a container and a function.
//
// It imports nothing of any platform (no cloud SDK, no Docker, no Lambda):
// each platform reaches it through a thin adapter under app/adapters that
// only wires New's http.Handler to that platform.
package app

import (
	"net/http"
	"time"
)

// Platform names the adapter an instance runs under.
const (
	PlatformVM        = "vm"
	PlatformContainer = "container"
	PlatformLambda    = "lambda"
)

// Config is set by the adapter.
type Config struct {
	// Platform is "vm", "container" or "lambda" (reported by GET /whoami).
	Platform string
	// InstanceID identifies this instance; empty means a random id.
	InstanceID string
	// Started is when the process started; zero means time.Now() at New.
	Started time.Time
}

// New returns the app's HTTP handler. (STUB: replaced by the real app.)
func New(cfg Config) http.Handler {
	return http.NewServeMux()
}
