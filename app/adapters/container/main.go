// Command container is the container adapter: it serves the app on $PORT
// (default 8080), logs JSON lines to stdout where the container runtime
// collects them, and drains in-flight requests on SIGTERM, the signal that
// `docker stop` and orchestrators send before they kill. With
// $COMPUTELADDER_TTL (e.g. "1h") it drains and exits after that long too:
// a cloud task whose harness was killed stops instead of billing on.
package main

import (
	"context"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/computeladder/computeladder/app"
	"github.com/computeladder/computeladder/app/adapters/httpserve"
	"github.com/computeladder/computeladder/app/adapters/internal/pgstore"
)

func main() {
	log := slog.New(slog.NewJSONHandler(os.Stdout, nil))
	if err := run(log); err != nil {
		log.Error("exiting", "err", err.Error())
		os.Exit(1)
	}
}

func run(log *slog.Logger) error {
	started := time.Now()
	addr, err := httpserve.Addr(os.Getenv("PORT"))
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	ctx, expire, ttl, err := httpserve.WithTTL(ctx, os.Getenv(httpserve.TTLEnv))
	if err != nil {
		return err
	}
	defer expire()

	orders, closeOrders, err := pgstore.FromEnv(ctx)
	if err != nil {
		return err
	}
	defer closeOrders()
	h := app.New(app.Config{Platform: app.PlatformContainer, Started: started, Orders: orders})
	// Access logs are opt-in: a line per request would tax the latency
	// the labs measure, and the other variants do not log requests either.
	if os.Getenv("LOG_REQUESTS") == "true" {
		h = httpserve.LogRequests(log, h)
	}
	log.Info("starting", "platform", app.PlatformContainer, "pid", os.Getpid(), "ttl", ttl.String())
	return httpserve.Serve(ctx, h, httpserve.Options{Addr: addr, Logger: log})
}
