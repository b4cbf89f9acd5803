// Package apptest holds the app's behaviour table: requests with the status
// and key body fields they must produce. The same table runs against the
// handler in process, through the Lambda adapter, and against every deployed
// variant: it is the proof that the three variants are the same app.
package apptest

import (
	"net/http"
	"testing"
)

// Doer sends one request and returns its response (like http.Client.Do).
type Doer func(*http.Request) (*http.Response, error)

// Case is one row of the behaviour table. (STUB: filled by the app work.)
type Case struct {
	Name       string
	Method     string
	Path       string
	WantStatus int
}

// Cases returns the behaviour table for an instance on platform.
func Cases(platform string) []Case { return nil }

// Run runs every case through do, each as a subtest.
func Run(t *testing.T, platform string, do Doer) {}

// URLDoer sends requests to baseURL (e.g. "http://127.0.0.1:32768") with
// client (http.DefaultClient when nil), keeping each request's path and query.
func URLDoer(baseURL string, client *http.Client) Doer { return nil }

// HandlerDoer serves requests with h in process.
func HandlerDoer(h http.Handler) Doer { return nil }
