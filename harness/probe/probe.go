// Package probe asks a deployed app who it is: GET /whoami, timed from the
// client's side. The lab runner and the scenarios all measure cold starts
// and instance state through it.
package probe

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/computeladder/computeladder/app"
)

// Result is one GET /whoami as the client saw it.
type Result struct {
	Who     app.Whoami
	Status  int           // 0 when no response came
	Latency time.Duration // request sent → body read (or the failure)
}

// Whoami sends GET base/whoami with hc and decodes the app's answer. The
// error says what went wrong (transport, status, body); Result holds what
// was seen either way.
func Whoami(ctx context.Context, hc *http.Client, base string) (Result, error) {
	var r Result
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/whoami", nil)
	if err != nil {
		return r, err
	}
	start := time.Now()
	resp, err := hc.Do(req)
	if err != nil {
		r.Latency = time.Since(start)
		return r, err
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	resp.Body.Close()
	r.Latency, r.Status = time.Since(start), resp.StatusCode
	switch {
	case err != nil:
		return r, fmt.Errorf("GET /whoami: read body: %w", err)
	case resp.StatusCode != http.StatusOK:
		return r, fmt.Errorf("GET /whoami: status %d: %.200s", resp.StatusCode, body)
	}
	if err := json.Unmarshal(body, &r.Who); err != nil {
		return r, fmt.Errorf("GET /whoami: decode: %w", err)
	}
	return r, nil
}
