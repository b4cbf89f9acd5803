package docker

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/computeladder/computeladder/deployers"
	"github.com/moby/moby/api/pkg/stdcopy"
	"github.com/moby/moby/client"
)

// ErrExited is wrapped by Deploy's error when the container exited before it
// answered /healthz.
var ErrExited = errors.New("container exited")

// inspectEvery throttles the fallback liveness check: readiness polls every
// few milliseconds, and an inspect per poll would load the engine.
const inspectEvery = 50 * time.Millisecond

// logTail is how many of the container's last log lines a failure reports.
const logTail = 20

// exitWatch tells whether the container exited, from a wait registered before
// its start; if that wait breaks, it falls back to a throttled inspect.
type exitWatch struct {
	api         API
	id          string
	wait        client.ContainerWaitResult
	broken      bool
	lastInspect time.Time
}

func (w *exitWatch) check(ctx context.Context) error {
	if !w.broken {
		select {
		case r := <-w.wait.Result:
			msg := ""
			if r.Error != nil && r.Error.Message != "" {
				msg = " (" + r.Error.Message + ")"
			}
			return fmt.Errorf("%w with code %d%s before /healthz answered 200", ErrExited, r.StatusCode, msg)
		case <-w.wait.Error:
			w.broken = true
		default:
			return nil
		}
	}
	if time.Since(w.lastInspect) < inspectEvery {
		return nil
	}
	w.lastInspect = time.Now()
	res, err := w.api.ContainerInspect(ctx, w.id, client.ContainerInspectOptions{})
	if err != nil {
		// The readiness deadline still bounds the wait; a failed inspect
		// alone does not prove the app is dead.
		return nil
	}
	if st := res.Container.State; st != nil && !st.Running && !st.Restarting {
		return fmt.Errorf("%w with code %d (%s) before /healthz answered 200", ErrExited, st.ExitCode, st.Status)
	}
	return nil
}

// lastLogs returns the container's last log lines as a suffix for an error
// message, or "" when there are none. It runs after a failure, possibly with
// ctx already ended, so it uses its own short deadline.
func (d *Deployer) lastLogs(ctx context.Context, id string) string {
	lctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	rc, err := d.api.ContainerLogs(lctx, id, client.ContainerLogsOptions{ShowStdout: true, ShowStderr: true, Tail: fmt.Sprint(logTail)})
	if err != nil {
		return ""
	}
	defer rc.Close()
	var out bytes.Buffer
	// Containers run without a TTY, so the stream is multiplexed.
	if _, err := stdcopy.StdCopy(&out, &out, io.LimitReader(rc, 64<<10)); err != nil && out.Len() == 0 {
		return ""
	}
	lines := strings.FieldsFunc(strings.TrimSpace(out.String()), func(r rune) bool { return r == '\n' || r == '\r' })
	if len(lines) == 0 {
		return ""
	}
	return "; container log: " + strings.Join(lines, " | ")
}

// exitedWithin returns the exit error if the container exits within the
// given time (checking every 20 ms), or nil if it is still running then.
func (w *exitWatch) exitedWithin(ctx context.Context, within time.Duration) error {
	var exited error
	_ = deployers.Poll(ctx, 20*time.Millisecond, within, func(context.Context) (bool, error) {
		w.lastInspect = time.Time{} // inspect now if the wait stream broke
		exited = w.check(ctx)
		return exited != nil, nil
	})
	return exited
}
