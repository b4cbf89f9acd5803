package httpserve

import (
	"context"
	"fmt"
	"time"
)

// TTLEnv names the environment variable holding a time-to-live, e.g. "1h":
// a cloud deployment that must not outlive its lab (a Fargate task keeps
// billing until its container exits) gets it from its deployer.
const TTLEnv = "COMPUTELADDER_TTL"

// WithTTL returns a context that ends ttl after now, when ttl (the value of
// $COMPUTELADDER_TTL) is set, or ctx itself when it is empty. Serving
// until the returned context ends drains and exits at the time-to-live as
// at a SIGTERM. The duration is also returned, for the log.
func WithTTL(ctx context.Context, ttl string) (context.Context, context.CancelFunc, time.Duration, error) {
	if ttl == "" {
		return ctx, func() {}, 0, nil
	}
	d, err := time.ParseDuration(ttl)
	if err != nil || d <= 0 {
		return ctx, func() {}, 0, fmt.Errorf("%s=%q: set %s to a positive duration such as 45m, or leave it unset", TTLEnv, ttl, TTLEnv)
	}
	ctx, cancel := context.WithTimeout(ctx, d)
	return ctx, cancel, d, nil
}
