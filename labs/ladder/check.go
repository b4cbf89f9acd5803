package ladder

import (
	"context"
	"fmt"
	"net/http"

	"github.com/computeladder/computeladder/app/apptest"
	"github.com/computeladder/computeladder/harness/results"
)

// BehaviourTable returns a Checker that runs the app's behaviour table
// (package apptest, the same table the tests run) against a live
// deployment.
func BehaviourTable() Checker {
	return func(ctx context.Context, platform, baseURL string, client *http.Client) results.Behaviour {
		var b results.Behaviour
		do := apptest.URLDoer(baseURL, client)
		for _, c := range apptest.Cases(platform) {
			if err := checkCase(ctx, c, platform, do); err != nil {
				b.Failed++
				b.Failures = append(b.Failures, fmt.Sprintf("%s (%s %s): %v", c.Name, c.Method, c.Path, err))
				continue
			}
			b.Passed++
		}
		return b
	}
}

func checkCase(ctx context.Context, c apptest.Case, platform string, do apptest.Doer) error {
	ctx, cancel := context.WithTimeout(ctx, apptest.RequestTimeout)
	defer cancel()
	req, err := c.Request(ctx)
	if err != nil {
		return err
	}
	resp, err := do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	return apptest.Verify(c, platform, resp)
}
