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
func Transport(cfg aws.Config, d *deployers.Deployment, base http.RoundTripper) http.RoundTripper {
	if d == nil || d.Details[DetailAuth] != "AWS_IAM" {
		return base
	}
	t := awsenv.NewSigV4Transport(cfg, base)
	if r := d.Details[DetailRegion]; r != "" {
		t.Region = r
	}
	return t
}

// Transport is Transport with the deployer's own configuration: the
// harness finds it through an interface and sends every request to d.URL
// through it.
func (dp *Deployer) Transport(d *deployers.Deployment, base http.RoundTripper) http.RoundTripper {
	return Transport(dp.cfg, d, base)
}
