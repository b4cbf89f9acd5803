package awslambda

import (
	"net/http"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/computeladder/computeladder/deployers"
	"github.com/computeladder/computeladder/deployers/awsenv"
)

// Transport returns the transport that reaches d's Function URL: base
// itself for a public URL, base wrapped in a SigV4 signer (service
// "lambda", cfg's credentials, the function's region) when
// Details["auth"] is AWS_IAM. The harness uses it for every request to d.URL.
// For a deployment of this process it also notes the request id of each
// response, so that LastInitDuration can find the cold request's REPORT.
func Transport(cfg aws.Config, d *deployers.Deployment, base http.RoundTripper) http.RoundTripper {
	if d == nil {
		return base
	}
	rt := base
	if d.Details[DetailAuth] == "AWS_IAM" {
		t := awsenv.NewSigV4Transport(cfg, base)
		if r := d.Details[DetailRegion]; r != "" {
			t.Region = r
		}
		rt = t
	}
	if s := stateOf(d); s != nil {
		rt = requestIDs{rt, s}
	}
	return rt
}

// RequestIDHeader carries a Function URL response's request id: the
// invocation's, as in its REPORT line
// (https://docs.aws.amazon.com/lambda/latest/dg/urls-invocation.html,
// read 2026-11-30).
const RequestIDHeader = "X-Amzn-Requestid"

// requestIDs notes the request id of every response for the deployment.
type requestIDs struct {
	base http.RoundTripper
	s    *state
}

func (r requestIDs) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := r.base.RoundTrip(req)
	if err == nil {
		r.s.sawRequest(resp.Header.Get(RequestIDHeader), nil)
	}
	return resp, err
}

// Transport is Transport with the deployer's own configuration: the
// harness finds it through an interface and sends every request to d.URL
// through it.
func (dp *Deployer) Transport(d *deployers.Deployment, base http.RoundTripper) http.RoundTripper {
	return Transport(dp.cfg, d, base)
}
