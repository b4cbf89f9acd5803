// Package httpserve serves an http.Handler the way every long-running adapter
// needs it: on the port the platform hands over in $PORT, with server
// timeouts, and with a graceful shutdown when the context ends. It is
// platform-neutral, so the VM and container adapters stay a few lines each.
package httpserve

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// DefaultPort is the port served when $PORT is unset.
const DefaultPort = 8080

// DefaultShutdownTimeout bounds the graceful shutdown: Docker's default stop
// timeout is 10 s, and the drain must end before the SIGKILL that follows it.
const DefaultShutdownTimeout = 9 * time.Second

// Addr returns the listen address for the port in port (the value of $PORT),
// or DefaultPort when it is empty. Port 0 picks a free port (tests, and
// several local instances side by side): OnListen tells which.
func Addr(port string) (string, error) {
	if port == "" {
		return ":" + strconv.Itoa(DefaultPort), nil
	}
	n, err := strconv.Atoi(port)
	if err != nil || n < 0 || n > 65535 {
		return "", fmt.Errorf("PORT=%q: set PORT to a port number from 0 to 65535", port)
	}
	return ":" + strconv.Itoa(n), nil
}

// Options configure Serve. Zero values take the defaults.
type Options struct {
	// Addr is the listen address, e.g. ":8080" (default ":8080").
	Addr string
	// ShutdownTimeout bounds the drain of in-flight requests once ctx ends.
	ShutdownTimeout time.Duration
	// Logger receives lifecycle events (default: discard).
	Logger *slog.Logger
	// OnListen is called once the listener is bound, before the first
	// request is accepted: the moment a platform can call the app ready.
	OnListen func(addr net.Addr)
	// OnFirstResponse is called once, when the handler has returned from
	// the first request served: the app's own account of its first answer,
	// which a platform can hold against the moment its readiness probe saw
	// the answer arrive.
	OnFirstResponse func()
}

// Serve binds opts.Addr and serves h until ctx ends, then stops accepting
// and waits up to opts.ShutdownTimeout for in-flight requests. It returns nil
// after a clean shutdown.
func Serve(ctx context.Context, h http.Handler, opts Options) error {
	if opts.Addr == "" {
		opts.Addr = ":" + strconv.Itoa(DefaultPort)
	}
	if opts.ShutdownTimeout <= 0 {
		opts.ShutdownTimeout = DefaultShutdownTimeout
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	ln, err := (&net.ListenConfig{}).Listen(ctx, "tcp", opts.Addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	if opts.OnListen != nil {
		opts.OnListen(ln.Addr())
	}
	log.Info("listening", "addr", ln.Addr().String())
	if opts.OnFirstResponse != nil {
		h = afterFirst(h, opts.OnFirstResponse)
	}
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err := <-served:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down", "timeout", opts.ShutdownTimeout.String())
	// ctx is already done: the drain needs a deadline of its own.
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), opts.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", errors.Join(err, srv.Close()))
	}
	if err := <-served; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", err)
	}
	log.Info("stopped")
	return nil
}

// afterFirst calls f once, after h has served its first request.
func afterFirst(h http.Handler, f func()) http.Handler {
	var done atomic.Bool
	var once sync.Once
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.ServeHTTP(w, r)
		if !done.Load() {
			once.Do(func() { done.Store(true); f() })
		}
	})
}

// LogRequests wraps h so that every request is logged with its method, path,
// status and duration.
func LogRequests(log *slog.Logger, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		h.ServeHTTP(sw, r)
		log.LogAttrs(r.Context(), slog.LevelInfo, "request",
			slog.String("method", r.Method),
			slog.String("path", r.URL.Path),
			slog.Int("status", sw.status),
			slog.Duration("duration", time.Since(start)))
	})
}

type statusWriter struct {
	http.ResponseWriter
	status      int
	wroteHeader bool
}

func (w *statusWriter) WriteHeader(code int) {
	if !w.wroteHeader {
		w.status, w.wroteHeader = code, true
	}
	w.ResponseWriter.WriteHeader(code)
}

// Unwrap lets http.ResponseController reach the underlying writer (Flush).
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
