package localfriction

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/computeladder/computeladder/deployers"
	"github.com/computeladder/computeladder/deployers/rie"
)

// oneEnvFunction has one live environment whose emulator is url.
type oneEnvFunction struct {
	deployers.Deployer
	url string
}

func (f oneEnvFunction) ForceColdStart(context.Context, *deployers.Deployment) error { return nil }

func (f oneEnvFunction) Environments(context.Context, *deployers.Deployment) ([]rie.Environment, error) {
	return []rie.Environment{{Name: "env-1", InvokeURL: f.url + "/invoke"}}, nil
}

func (f oneEnvFunction) InspectEnvironment(context.Context, *deployers.Deployment, string) (rie.EnvironmentState, error) {
	return rie.EnvironmentState{Running: true}, nil
}

// TestStepsStopPromptlyWhenCancelled: Ctrl-C during the timeout and
// concurrency steps' pauses (after the emulator's invoke, while the reset
// or the log copy is waited for) ends the step at once, with the
// context's error.
func TestStepsStopPromptlyWhenCancelled(t *testing.T) {
	for name, step := range map[string]func(*session) func(context.Context, *Result) error{
		"timeout":     func(s *session) func(context.Context, *Result) error { return s.timeout },
		"concurrency": func(s *session) func(context.Context, *Result) error { return s.concurrency },
	} {
		t.Run(name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path == "/invoke" {
					cancel() // Ctrl-C while the emulator answers
				}
				w.WriteHeader(http.StatusOK)
			}))
			defer srv.Close()
			s := &session{
				cfg: Config{Function: oneEnvFunction{url: srv.URL}, Timeout: time.Second, Logf: t.Logf},
				hc:  srv.Client(), d: &deployers.Deployment{URL: srv.URL},
			}
			start := time.Now()
			err := step(s)(ctx, &Result{})
			// The pauses are 300 and 500 ms; the rest is local HTTP.
			if took := time.Since(start); !errors.Is(err, context.Canceled) || took >= logPause {
				t.Errorf("cancelled during the step: %v after %s, want context.Canceled before %s", err, took, logPause)
			}
		})
	}
}

func TestPause(t *testing.T) {
	if err := pause(context.Background(), time.Millisecond); err != nil {
		t.Errorf("pause 1ms: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	done := make(chan error, 1)
	go func() { done <- pause(ctx, time.Hour) }()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("pause on a cancelled context: %v, want context.Canceled", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("pause of an hour on a cancelled context did not return")
	}
}
