package awslambda

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"
)

type options struct {
	log          *slog.Logger
	publicURL    bool
	roleARN      string
	roleWait     time.Duration
	activeWait   time.Duration
	pollInterval time.Duration
	probe        probeMode
	httpClient   *http.Client
}

type probeMode int

const (
	probeAuto probeMode = iota
	probeAlways
	probeNever
)

// Option configures New.
type Option func(*options) error

// WithLogger sets the logger (default: discard).
func WithLogger(l *slog.Logger) Option {
	return func(o *options) error {
		if l == nil {
			return errors.New("logger: nil")
		}
		o.log = l
		return nil
	}
}

// WithPublicURL makes the Function URL public (auth type NONE): anyone who
// learns the URL can call the function, and every call is billed to the
// account. The default, AWS_IAM, answers only requests signed by the account.
func WithPublicURL() Option {
	return func(o *options) error {
		o.publicURL = true
		return nil
	}
}

// WithRole uses an existing execution role instead of creating one, for
// accounts where the lab user may not create roles. The role is not
// removed by Teardown.
func WithRole(arn string) Option {
	return func(o *options) error {
		if arn == "" {
			return errors.New("role: empty ARN")
		}
		o.roleARN = arn
		return nil
	}
}

// WithRoleWait bounds how long CreateFunction is retried while the role is
// not yet assumable (default DefaultRoleWait).
func WithRoleWait(d time.Duration) Option {
	return func(o *options) error {
		if d < 0 {
			return fmt.Errorf("role wait %s: must not be negative", d)
		}
		o.roleWait = d
		return nil
	}
}

// WithActiveTimeout bounds the waits for State Active and for a
// configuration update (default DefaultActiveTimeout).
func WithActiveTimeout(d time.Duration) Option {
	return func(o *options) error {
		if d <= 0 {
			return fmt.Errorf("active timeout %s: must be positive", d)
		}
		o.activeWait = d
		return nil
	}
}

// WithPollInterval sets how often state and readiness are polled (default
// DefaultPollInterval; at most one second).
func WithPollInterval(d time.Duration) Option {
	return func(o *options) error {
		if d <= 0 || d > time.Second {
			return fmt.Errorf("poll interval %s: use more than 0 and at most 1s", d)
		}
		o.pollInterval = d
		return nil
	}
}

// WithProbe forces (true) or forbids (false) polling the Function URL for
// the first 200. By default it is polled on AWS (no custom endpoint) and on
// an endpoint whose Function URLs are served locally (LocalStack's
// *.localhost.localstack.cloud, loopback addresses, the endpoint's own
// host); anywhere else, such as moto's *.on.aws URLs, nothing answers and
// first-200 is reported as not measured.
func WithProbe(probe bool) Option {
	return func(o *options) error {
		o.probe = probeNever
		if probe {
			o.probe = probeAlways
		}
		return nil
	}
}

// WithHTTPClient sets the client whose transport sends the readiness
// probes (signed with SigV4 on top of it when auth is AWS_IAM).
func WithHTTPClient(c *http.Client) Option {
	return func(o *options) error {
		if c == nil {
			return errors.New("http client: nil")
		}
		o.httpClient = c
		return nil
	}
}
