package awslambda

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/computeladder/computeladder/deployers/awsenv"
)

// unreachable says why the Function URL is not probed, or "" when it is.
// Probing an emulator's made-up *.on.aws URL would send traffic to AWS (or
// nowhere) and measure nothing.
func (dp *Deployer) unreachable(rawURL string) string {
	switch dp.opts.probe {
	case probeAlways:
		return ""
	case probeNever:
		return "readiness probing disabled"
	}
	endpoint := aws.ToString(dp.cfg.BaseEndpoint)
	if endpoint == "" {
		return ""
	}
	u, err := url.Parse(rawURL)
	if err != nil || u.Host == "" {
		return fmt.Sprintf("the emulator returned no usable Function URL (%q)", rawURL)
	}
	host := u.Hostname()
	if ep, err := url.Parse(endpoint); err == nil && ep.Hostname() == host {
		return ""
	}
	if host == "localhost" || strings.HasSuffix(host, ".localhost.localstack.cloud") {
		return ""
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return ""
	}
	return fmt.Sprintf("the emulator at %s records the function but does not serve its Function URL (%s)", endpoint, host)
}

// waitReady polls GET url until it answers 200, signing the probes when
// the URL needs AWS_IAM auth, and returns when the 200 arrived.
func (dp *Deployer) waitReady(ctx context.Context, url string) (time.Time, error) {
	client := *dp.opts.httpClient
	if !dp.opts.publicURL {
		client.Transport = awsenv.NewSigV4Transport(dp.cfg, client.Transport)
	}
	var last error
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return time.Time{}, fmt.Errorf("readiness probe: %w", err)
		}
		resp, err := client.Do(req)
		if err == nil {
			_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return time.Now(), nil
			}
			last = fmt.Errorf("GET %s: %s", url, resp.Status)
			if resp.StatusCode == http.StatusForbidden {
				// Also seen for a few seconds while a new URL's
				// permissions propagate; keep polling until the deadline.
				last = fmt.Errorf("GET %s: 403 (signed with the config's credentials: they need lambda:InvokeFunctionUrl)", url)
			}
		} else {
			last = err
		}
		select {
		case <-ctx.Done():
			return time.Time{}, fmt.Errorf("not ready: %w (last probe: %v)", ctx.Err(), last)
		case <-time.After(dp.opts.pollInterval):
		}
	}
}
