package awslambda

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/computeladder/computeladder/deployers"
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
// the URL needs AWS_IAM auth, and returns when the 200 arrived. A new URL
// answers 403 for a few seconds while its permissions propagate, so a 403
// is waited out too; if it lasts, the error says what it most likely means.
func (dp *Deployer) waitReady(ctx context.Context, url string) (time.Time, error) {
	client := *dp.opts.httpClient
	if !dp.opts.publicURL {
		client.Transport = awsenv.NewSigV4Transport(dp.cfg, client.Transport)
	}
	at, err := deployers.WaitReadyVia(ctx, &client, url, dp.opts.pollInterval, nil)
	if se := (*deployers.StatusError)(nil); errors.As(err, &se) && se.Code == http.StatusForbidden && !dp.opts.publicURL {
		err = fmt.Errorf("%w: signed with the config's credentials, which need lambda:InvokeFunctionUrl", err)
	}
	return at, err
}
