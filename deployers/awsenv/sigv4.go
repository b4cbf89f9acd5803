package awsenv

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// maxSignedBody bounds the body SigV4Transport reads into memory to hash it.
const maxSignedBody = 6 << 20 // Lambda's synchronous payload limit

// SigV4Transport signs each request with Signature Version 4 before passing
// it to Base. A Function URL with AuthType AWS_IAM answers 403 to anything
// unsigned, so the harness measures such a URL through this transport.
type SigV4Transport struct {
	// Base sends the signed request (http.DefaultTransport when nil).
	Base http.RoundTripper
	// Credentials sign the requests.
	Credentials aws.CredentialsProvider
	// Region is the function's region.
	Region string
	// Service is the signing name; "lambda" for Function URLs when empty.
	Service string
	// Now returns the signing time (time.Now when nil); tests fix it.
	Now func() time.Time
}

// signer is shared: it caches derived signing keys and is safe for
// concurrent use, as a load generator's transport must be.
var signer = v4.NewSigner()

// NewSigV4Transport returns a transport signing for service "lambda" with
// cfg's credentials and region.
func NewSigV4Transport(cfg aws.Config, base http.RoundTripper) *SigV4Transport {
	return &SigV4Transport{Base: base, Credentials: cfg.Credentials, Region: cfg.Region, Service: "lambda"}
}

// RoundTrip signs a copy of req (the caller's request is not modified, as
// http.RoundTripper requires) and sends it.
func (t *SigV4Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	if t.Credentials == nil || t.Region == "" {
		closeBody(req)
		return nil, errors.New("sigv4: no credentials or region: build the transport with NewSigV4Transport")
	}
	creds, err := t.Credentials.Retrieve(req.Context())
	if err != nil {
		closeBody(req)
		return nil, fmt.Errorf("sigv4: credentials: %w", err)
	}
	signed := req.Clone(req.Context())
	var body []byte
	if req.Body != nil && req.Body != http.NoBody {
		body, err = io.ReadAll(io.LimitReader(req.Body, maxSignedBody+1))
		req.Body.Close()
		if err != nil {
			return nil, fmt.Errorf("sigv4: read body: %w", err)
		}
		if len(body) > maxSignedBody {
			return nil, fmt.Errorf("sigv4: body larger than %d bytes", maxSignedBody)
		}
		signed.Body = io.NopCloser(bytes.NewReader(body))
		signed.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
		signed.ContentLength = int64(len(body))
	}
	sum := sha256.Sum256(body)
	hash := hex.EncodeToString(sum[:])
	// Lambda checks the payload hash against this header when present;
	// sending it makes a tampered body fail loudly.
	signed.Header.Set("X-Amz-Content-Sha256", hash)
	service := t.Service
	if service == "" {
		service = "lambda"
	}
	now := time.Now
	if t.Now != nil {
		now = t.Now
	}
	if err := signer.SignHTTP(req.Context(), creds, signed, hash, service, t.Region, now().UTC()); err != nil {
		return nil, fmt.Errorf("sigv4: sign: %w", err)
	}
	base := t.Base
	if base == nil {
		base = http.DefaultTransport
	}
	return base.RoundTrip(signed)
}

func closeBody(req *http.Request) {
	if req.Body != nil {
		req.Body.Close()
	}
}
