package ceiling

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/computeladder/computeladder/app"
	"github.com/computeladder/computeladder/deployers"
	"github.com/computeladder/computeladder/deployers/artifact"
)

func TestStepsOf(t *testing.T) {
	for _, tc := range []struct {
		seconds float64
		want    int
	}{{0.1, 1}, {0.5, 5}, {0.55, 6}, {2, 20}, {5, 50}, {900, 9000}} {
		if got := stepsOf(tc.seconds); got != tc.want {
			t.Errorf("stepsOf(%g) = %d, want %d", tc.seconds, got, tc.want)
		}
	}
}

// buffered answers like a function: the app's whole response, at once,
// only when the job has ended.
func buffered(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		_, _ = w.Write(rec.Body.Bytes())
	})
}

func TestPostJob(t *testing.T) {
	real := app.New(app.Config{Platform: "container"})
	timedOut := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(50 * time.Millisecond)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadGateway)
		_, _ = w.Write([]byte(`{"Message":"Internal Server Error","errorType":"Sandbox.Timedout","errorMessage":"Task timed out after 1.00 seconds"}`))
	})
	cut := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/x-ndjson")
		_, _ = w.Write([]byte("{\"step\":1,\"steps\":3}\n"))
		w.(http.Flusher).Flush()
		panic(http.ErrAbortHandler) // the connection is cut mid-stream
	})
	cancelled := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/x-ndjson")
		_, _ = w.Write([]byte("{\"step\":1,\"steps\":3}\n{\"done\":false,\"steps\":3,\"elapsed_ms\":120,\"error\":{\"code\":\"cancelled\",\"message\":\"job cancelled in step 2 of 3\"}}\n"))
	})

	tests := []struct {
		name    string
		h       http.Handler
		seconds float64
		check   func(t *testing.T, j Job)
	}{
		{"streamed", real, 0.3, func(t *testing.T, j Job) {
			if j.Status != 200 || !j.Done || j.ProgressLines != 3 || j.LastStep != 3 || j.Steps != 3 || j.Digest == "" {
				t.Errorf("got %+v, want 200, done, 3 of 3 progress lines and a digest", j)
			}
			if j.FirstLine > 250*time.Millisecond || j.Wall < 290*time.Millisecond {
				t.Errorf("first line at %s of %s: want the first step's line after ~100 ms, the end after 300 ms", j.FirstLine, j.Wall)
			}
		}},
		{"buffered", buffered(real), 0.3, func(t *testing.T, j Job) {
			if !j.Done || j.ProgressLines != 3 {
				t.Errorf("got %+v, want done with 3 progress lines", j)
			}
			if j.FirstLine < 290*time.Millisecond {
				t.Errorf("first line at %s: a buffered answer cannot deliver it before the job's end", j.FirstLine)
			}
		}},
		{"function timeout", timedOut, 2, func(t *testing.T, j Job) {
			if j.Status != 502 || j.ErrorType != TimedOut || j.ErrorMessage != "Task timed out after 1.00 seconds" ||
				j.Done || j.ProgressLines != 0 || j.FirstLine != 0 || j.Steps != 20 {
				t.Errorf("got %+v, want a 502 %s with no line", j, TimedOut)
			}
		}},
		{"bad request", real, 901, func(t *testing.T, j Job) {
			if j.Status != 400 || j.Done || !strings.Contains(j.Body, "invalid_duration") {
				t.Errorf("got %+v, want the app's 400 invalid_duration kept in Body", j)
			}
		}},
		{"connection cut", cut, 0.3, func(t *testing.T, j Job) {
			if j.Done || j.ProgressLines != 1 || j.Error == "" {
				t.Errorf("got %+v, want one progress line, no done line and the transport error", j)
			}
		}},
		{"cancelled by the platform", cancelled, 0.3, func(t *testing.T, j Job) {
			if j.Done || j.ErrorType != "cancelled" || j.LastStep != 1 {
				t.Errorf("got %+v, want the app's cancelled line after step 1", j)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(tc.h)
			t.Cleanup(srv.Close)
			var steps []int
			j, err := postJob(t.Context(), srv.Client(), srv.URL, tc.seconds, func(step, _ int, _ time.Duration) {
				steps = append(steps, step)
			})
			if err != nil {
				t.Fatalf("postJob: %v", err)
			}
			if len(steps) != j.ProgressLines {
				t.Errorf("onStep called %d times for %d progress lines", len(steps), j.ProgressLines)
			}
			tc.check(t, j)
		})
	}
}

func TestPostJobDeadline(t *testing.T) {
	srv := httptest.NewServer(app.New(app.Config{Platform: "container"}))
	t.Cleanup(srv.Close)
	ctx, cancel := context.WithTimeout(t.Context(), 250*time.Millisecond)
	defer cancel()
	j, err := postJob(ctx, srv.Client(), srv.URL, 2, nil)
	if err != nil {
		t.Fatalf("postJob: %v", err)
	}
	if j.Done || j.Error == "" || j.Wall > time.Second {
		t.Errorf("got %+v, want the deadline to stop the read within a second, not done", j)
	}
}

// passing is a result in which the claim holds.
func passing() *Result {
	long := func(done bool) Job {
		if !done {
			return Job{Seconds: 2, Status: 502, ErrorType: TimedOut, Wall: 1100 * time.Millisecond, Steps: 20}
		}
		return Job{Seconds: 2, Status: 200, Done: true, ProgressLines: 20, LastStep: 20, Steps: 20,
			FirstLine: 100 * time.Millisecond, Wall: 2 * time.Second}
	}
	return &Result{
		RunID: "r1", FunctionTimeout: time.Second, Job: 2 * time.Second,
		Variants: []Variant{
			{Variant: deployers.VM, Long: long(true)},
			{Variant: deployers.Container, Long: long(true)},
			{Variant: deployers.Lambda, Long: long(false), StepsUnseen: 10,
				Short: &Job{Seconds: 0.5, Status: 200, Done: true, ProgressLines: 5, LastStep: 5, Steps: 5,
					FirstLine: 590 * time.Millisecond, Wall: 590 * time.Millisecond}},
		},
	}
}

func TestCheck(t *testing.T) {
	tests := []struct {
		name   string
		change func(r *Result)
		failed string // the first check expected to fail; "" when the claim holds
	}{
		{"holds", func(*Result) {}, ""},
		{"function completed", func(r *Result) {
			r.Variants[2].Long = r.Variants[1].Long
		}, "did not complete"},
		{"function streamed a line", func(r *Result) {
			r.Variants[2].Long.ProgressLines, r.Variants[2].Long.FirstLine = 1, 100*time.Millisecond
		}, "no progress reached"},
		{"function failed late", func(r *Result) {
			r.Variants[2].Long.Wall = 2 * time.Second
		}, "at its timeout"},
		{"short job streamed", func(r *Result) {
			r.Variants[2].Short.FirstLine = 100 * time.Millisecond
		}, "arriving at the end"},
		{"container stopped early", func(r *Result) {
			r.Variants[1].Long.Done, r.Variants[1].Long.LastStep = false, 12
		}, "container completed"},
		{"container buffered", func(r *Result) {
			r.Variants[1].Long.FirstLine = 2 * time.Second
		}, "streamed its progress"},
		{"vm never answered", func(r *Result) {
			r.Variants[0] = Variant{Variant: deployers.VM, Error: "deploy: qemu exited"}
		}, "vm answered"},
		{"function missing", func(r *Result) {
			r.Variants = r.Variants[:2]
		}, "function answered"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := passing()
			tc.change(r)
			c := Check(r)
			var failed []string
			for _, ch := range c.Checks {
				if !ch.OK {
					failed = append(failed, ch.What)
				}
			}
			if tc.failed == "" {
				if !c.Holds || len(failed) > 0 {
					t.Fatalf("claim should hold; failed: %v", failed)
				}
				return
			}
			if c.Holds {
				t.Fatalf("claim holds, want the check %q to fail", tc.failed)
			}
			if len(failed) == 0 || !strings.Contains(failed[0], tc.failed) {
				t.Errorf("failed checks %q, want the first to contain %q", failed, tc.failed)
			}
		})
	}
}

func TestMarkdown(t *testing.T) {
	r := passing()
	r.Claim = Check(r)
	var b bytes.Buffer
	if err := Markdown(&b, r); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"| lambda | longer than timeout (2s) | 502 Sandbox.Timedout | 1.1s | none | 0 | 0 of 20 | false |",
		"| container | longer than timeout (2s) | 200 | 2s | 100ms | 20 | 20 of 20 | true |",
		"| lambda | within timeout (0.5s) | 200 | 590ms | 590ms | 5 | 5 of 5 | true |",
		"about 10 of 20 steps, none of which reached the client",
		"on the container and the VM: holds.",
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("summary lacks %q:\n%s", want, b.String())
		}
	}
}

func TestValidate(t *testing.T) {
	ok := func() Config {
		ds := map[deployers.Variant]deployers.Deployer{}
		for _, v := range deployers.Variants {
			ds[v] = nil
		}
		return Config{RunID: "r1", Deployers: ds, Artifacts: &artifact.Set{}, FunctionTimeout: 3 * time.Second, Job: 5 * time.Second}
	}
	tests := []struct {
		name   string
		change func(c *Config)
		want   string
	}{
		{"bad run id", func(c *Config) { c.RunID = "Bad ID" }, "run id"},
		{"fractional timeout", func(c *Config) { c.FunctionTimeout = 1500 * time.Millisecond }, "whole seconds"},
		{"timeout over 15 min", func(c *Config) { c.FunctionTimeout = 16 * time.Minute }, "whole seconds"},
		{"job within the timeout", func(c *Config) { c.Job = 3 * time.Second }, "longer than the function timeout"},
		{"job too long", func(c *Config) { c.Job = 16 * time.Minute }, "at most"},
		{"negative memory", func(c *Config) { c.MemoryMB = -1 }, "memory"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := ok()
			tc.change(&c)
			err := c.ValidateSettings()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("ValidateSettings() = %v, want an error containing %q", err, tc.want)
			}
		})
	}
	c := ok()
	if err := c.ValidateSettings(); err != nil {
		t.Errorf("valid settings: %v", err)
	}
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "no deployer") {
		t.Errorf("Validate() with no deployers = %v, want a missing-deployer error", err)
	}
	if _, err := Run(t.Context(), c); err == nil {
		t.Error("Run with no deployers started")
	}
}
