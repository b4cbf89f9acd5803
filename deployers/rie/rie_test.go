package rie

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/client"

	"github.com/computeladder/computeladder/app/apptest"
	"github.com/computeladder/computeladder/deployers"
	"github.com/computeladder/computeladder/deployers/artifact"
	"github.com/computeladder/computeladder/deployers/deployertest"
)

// newDeployer needs Docker and closes the client when the test ends.
func newDeployer(t testing.TB, opts ...Option) *Deployer {
	t.Helper()
	deployertest.RequireDocker(t)
	dp, err := New(opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { dp.Close() })
	return dp
}

// deploy deploys and registers the teardown before it checks the error.
func deploy(t testing.TB, dp *Deployer, spec deployers.Spec) *deployers.Deployment {
	t.Helper()
	d, err := dp.Deploy(context.Background(), spec)
	t.Cleanup(func() {
		if err := dp.Teardown(context.Background(), d); err != nil {
			t.Errorf("teardown: %v", err)
		}
	})
	if err != nil {
		t.Fatalf("deploy: %v", err)
	}
	return d
}

// requireNothingLeft fails when the engine still holds resources of runID.
func requireNothingLeft(t testing.TB, dp *Deployer, runID string) {
	t.Helper()
	left, err := dp.List(context.Background(), runID)
	if err != nil {
		t.Fatal(err)
	}
	if len(left) > 0 {
		t.Errorf("left behind: %v", left)
	}
}

type whoami struct {
	InstanceID string `json:"instance_id"`
	Cold       bool   `json:"cold"`
	Platform   string `json:"platform"`
}

func getWhoami(t testing.TB, url string) whoami {
	t.Helper()
	resp, err := http.Get(url + "/whoami")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var w whoami
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("GET /whoami: %s: %s", resp.Status, b)
	}
	if err := json.NewDecoder(resp.Body).Decode(&w); err != nil {
		t.Fatal(err)
	}
	if w.InstanceID == "" {
		t.Fatal("GET /whoami: no instance_id")
	}
	return w
}

func postJob(url string, seconds float64) (*http.Response, []byte, error) {
	resp, err := http.Post(url+"/jobs", "application/json", strings.NewReader(fmt.Sprintf(`{"seconds":%g}`, seconds)))
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp, b, err
}

func environments(t testing.TB, dp *Deployer, d *deployers.Deployment) []Environment {
	t.Helper()
	envs, err := dp.Environments(context.Background(), d)
	if err != nil {
		t.Fatal(err)
	}
	return envs
}

func TestDeploy(t *testing.T) {
	dp := newDeployer(t, WithKeepAlive(time.Minute))
	runID := deployertest.RunID(t, "rie")
	d := deploy(t, dp, deployers.Spec{RunID: runID, Artifacts: deployertest.Artifacts(t), ReadyTimeout: time.Minute})

	t.Run("timeline", func(t *testing.T) {
		want := []string{PhaseDeploy, PhaseImageBuilt, PhaseGatewayListening, PhaseEnvStarted, PhaseFirst200}
		if len(d.Phases) != len(want) {
			t.Fatalf("phases %v, want %v", d.Phases, want)
		}
		for i, p := range d.Phases {
			if p.Name != want[i] || (i > 0 && p.At.Before(d.Phases[i-1].At)) {
				t.Fatalf("phases %v, want %v in order", d.Phases, want)
			}
		}
		// Startup counts from the first invoke: the image is preparation.
		if d.StartupFrom != StartupOrigin || d.Preparation != PreparationBuild || d.MemoryMB != DefaultMemoryMB {
			t.Errorf("startup from %q after %q, memory %d MB; want from %q after %q, %d MB", d.StartupFrom, d.Preparation, d.MemoryMB, StartupOrigin, PreparationBuild, DefaultMemoryMB)
		}
		t.Logf("startup: %s; details %v", d.Phases, d.Details)
		if !strings.HasPrefix(d.URL, "http://127.0.0.1:") {
			t.Errorf("URL %q: want the gateway on 127.0.0.1", d.URL)
		}
	})

	t.Run("behaviour", func(t *testing.T) { apptest.Run(t, "lambda", apptest.URLDoer(d.URL, nil)) })

	t.Run("warm request reuses the environment", func(t *testing.T) {
		a, b := getWhoami(t, d.URL), getWhoami(t, d.URL)
		if a.InstanceID != b.InstanceID || b.Cold {
			t.Errorf("second request: %+v after %+v: want the same warm instance", b, a)
		}
	})

	t.Run("concurrent request starts a second environment", func(t *testing.T) {
		warm := getWhoami(t, d.URL)
		done := make(chan error, 1)
		go func() {
			resp, body, err := postJob(d.URL, 1)
			if err == nil && resp.StatusCode != http.StatusOK {
				err = fmt.Errorf("job: %s: %s", resp.Status, body)
			}
			done <- err
		}()
		// Wait until the job holds the warm environment.
		time.Sleep(300 * time.Millisecond)
		other := getWhoami(t, d.URL)
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		if other.InstanceID == warm.InstanceID || !other.Cold {
			t.Errorf("request during a busy environment: %+v, want a new cold instance (busy one %s)", other, warm.InstanceID)
		}
		if n := len(environments(t, dp, d)); n < 2 {
			t.Errorf("%d environments, want 2 or more", n)
		}
	})

	t.Run("forced cold start", func(t *testing.T) {
		before := getWhoami(t, d.URL)
		if err := dp.ForceColdStart(context.Background(), d); err != nil {
			t.Fatal(err)
		}
		after := getWhoami(t, d.URL)
		if !after.Cold || after.InstanceID == before.InstanceID {
			t.Errorf("after ForceColdStart: %+v, want a new cold instance (was %s)", after, before.InstanceID)
		}
	})

	t.Run("environments", func(t *testing.T) {
		envs := environments(t, dp, d)
		var live int
		for _, e := range envs {
			t.Logf("%s: listening %v, first invoke %v, cold start %v, INIT REPORT %v, REPORT Init Duration %v, requests %d, retired %q",
				e.Name, e.Listening, e.FirstInvoke, e.ColdStart, e.InitDuration, e.ReportInitDuration, e.Requests, e.RetireReason)
			if e.MemoryMB != DefaultMemoryMB || e.Requests < 1 || e.InitDuration <= 0 || e.Inits != 1 {
				t.Errorf("%s: %+v: want 128 MB, requests, one init with a duration", e.Name, e)
			}
			// The cross-check: the client saw at least the init.
			if e.FirstInvoke < e.InitDuration || e.ColdStart < e.FirstInvoke {
				t.Errorf("%s: first invoke %v, cold start %v < INIT REPORT %v", e.Name, e.FirstInvoke, e.ColdStart, e.InitDuration)
			}
			if e.Retired.IsZero() {
				live++
			}
		}
		if envs[0].RetireReason != reasonForced || live == 0 {
			t.Errorf("first environment retired %q, %d live: want forced, some live", envs[0].RetireReason, live)
		}
	})

	if err := dp.Teardown(context.Background(), d); err != nil {
		t.Fatalf("teardown: %v", err)
	}
	requireNothingLeft(t, dp, runID)
	if err := dp.Teardown(context.Background(), d); err != nil {
		t.Errorf("second teardown: %v", err)
	}
	if _, err := http.Get(d.URL + "/healthz"); err == nil {
		t.Error("the gateway still answers after teardown")
	}
}

func TestTimeout(t *testing.T) {
	dp := newDeployer(t)
	d := deploy(t, dp, deployers.Spec{
		RunID: deployertest.RunID(t, "rie-timeout"), Artifacts: deployertest.Artifacts(t),
		Timeout: time.Second, ReadyTimeout: time.Minute,
	})
	before := getWhoami(t, d.URL)
	start := time.Now()
	resp, body, err := postJob(d.URL, 3)
	took := time.Since(start)
	if err != nil {
		t.Fatal(err)
	}
	var e struct{ Message, ErrorType string }
	if resp.StatusCode != http.StatusBadGateway || json.Unmarshal(body, &e) != nil || e.Message != "Internal Server Error" || e.ErrorType != "Sandbox.Timedout" {
		t.Errorf("3 s job with a 1 s timeout: %s %s, want 502 with a JSON timeout error", resp.Status, body)
	}
	if took < time.Second || took > time.Second+timeoutGrace+time.Second {
		t.Errorf("timed out after %v, want about 1 s", took)
	}
	after := getWhoami(t, d.URL)
	if after.InstanceID == before.InstanceID || !after.Cold {
		t.Errorf("after a timeout: %+v, want a new cold instance (was %s)", after, before.InstanceID)
	}
	envs := environments(t, dp, d)
	if envs[0].RetireReason != reasonTimeout {
		t.Errorf("timed-out environment retired %q, want %q", envs[0].RetireReason, reasonTimeout)
	}
}

func TestConcurrencyLimit(t *testing.T) {
	dp := newDeployer(t, WithMaxConcurrency(1))
	d := deploy(t, dp, deployers.Spec{RunID: deployertest.RunID(t, "rie-limit"), Artifacts: deployertest.Artifacts(t), ReadyTimeout: time.Minute})
	done := make(chan error, 1)
	go func() {
		_, _, err := postJob(d.URL, 1)
		done <- err
	}()
	time.Sleep(300 * time.Millisecond)
	resp, err := http.Get(d.URL + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusTooManyRequests || !strings.Contains(string(b), "Rate Exceeded.") {
		t.Errorf("over the limit: %s %s, want 429 Rate Exceeded.", resp.Status, b)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func TestKeepAlive(t *testing.T) {
	dp := newDeployer(t, WithKeepAlive(300*time.Millisecond))
	d := deploy(t, dp, deployers.Spec{RunID: deployertest.RunID(t, "rie-keep"), Artifacts: deployertest.Artifacts(t), ReadyTimeout: time.Minute})
	before := getWhoami(t, d.URL)
	time.Sleep(time.Second)
	after := getWhoami(t, d.URL)
	if after.InstanceID == before.InstanceID || !after.Cold {
		t.Errorf("after 1 s idle with a 300 ms keep-alive: %+v, want a new cold instance", after)
	}
	if envs := environments(t, dp, d); envs[0].RetireReason != reasonKeepAlive {
		t.Errorf("idle environment retired %q, want %q", envs[0].RetireReason, reasonKeepAlive)
	}
	// The harness's view: the keep-alive, and the retired environment.
	ins, err := dp.Instances(context.Background(), d)
	if err != nil || dp.KeepAlive() != 300*time.Millisecond || len(ins) != 2 || ins[0].Retired.IsZero() || ins[0].Requests != 2 || !ins[1].Retired.IsZero() {
		t.Errorf("instances %+v (%v), keep-alive %v: want the first retired after 2 requests (healthz, whoami), the second live", ins, err, dp.KeepAlive())
	}
}

// nanoCPUsOf reads an environment's CPU limit from the engine.
func nanoCPUsOf(t *testing.T, dp *Deployer, id string) int64 {
	t.Helper()
	res, err := dp.api.ContainerInspect(context.Background(), id, client.ContainerInspectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return res.Container.HostConfig.NanoCPUs
}

// An environment's init runs with one vCPU (as Lambda's does at small
// memory sizes), and its memory-proportional share applies from the end
// of its first invoke; without the boost the share applies from the start.
func TestInitCPUBoost(t *testing.T) {
	for _, boost := range []bool{true, false} {
		t.Run(fmt.Sprintf("boost=%v", boost), func(t *testing.T) {
			dp := newDeployer(t, WithInitBoost(boost))
			d := deploy(t, dp, deployers.Spec{RunID: deployertest.RunID(t, "rie-boost"), Artifacts: deployertest.Artifacts(t), ReadyTimeout: time.Minute})
			g := d.State.(*gateway)
			handler, init := nanoCPUs(MinCPUs), nanoCPUs(MinCPUs)
			if boost {
				init = nanoCPUs(InitCPUs)
			}
			// A new environment, before any invoke: init's share.
			e, err := dp.startEnv(context.Background(), g.spec, "boost-probe")
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = dp.removeContainer(context.Background(), e.id) })
			if got := nanoCPUsOf(t, dp, e.id); got != init {
				t.Errorf("a new environment runs with %d nano-CPUs, want %d", got, init)
			}
			// The deployment's first environment has answered: the
			// handler's share, once the update is through.
			envs := environments(t, dp, d)
			deadline := time.Now().Add(capTimeout)
			got := nanoCPUsOf(t, dp, envs[0].ID)
			for got != handler && time.Now().Before(deadline) {
				time.Sleep(20 * time.Millisecond)
				got = nanoCPUsOf(t, dp, envs[0].ID)
			}
			if got != handler || envs[0].CPUs != MinCPUs || envs[0].InitCPUs != float64(init)/1e9 {
				t.Errorf("after its first answer: %d nano-CPUs, environment %+v; want %d", got, envs[0], handler)
			}
			// The capped environment goes on serving, warm.
			a, b := getWhoami(t, d.URL), getWhoami(t, d.URL)
			if b.Cold || b.InstanceID != a.InstanceID {
				t.Errorf("after the cap: %+v then %+v, want the same warm environment", a, b)
			}
		})
	}
}

// A kept run imports its image once: the next deployment reuses it, the
// deployments' teardowns leave it, and Release removes it.
func TestImageOncePerKeptRun(t *testing.T) {
	dp := newDeployer(t)
	runID := deployertest.RunID(t, "rie-keep-image")
	dp.Keep(runID)
	t.Cleanup(func() { _ = dp.Release(context.Background(), runID) })
	spec := deployers.Spec{RunID: runID, Artifacts: deployertest.Artifacts(t), ReadyTimeout: time.Minute}
	a := deploy(t, dp, spec)
	b := deploy(t, dp, spec)
	if a.Preparation != PreparationBuild || b.Preparation != PreparationReused || a.Details[DetailImage] != b.Details[DetailImage] {
		t.Errorf("preparations %q (%s), %q (%s): want one image built then reused", a.Preparation, a.Details[DetailImage], b.Preparation, b.Details[DetailImage])
	}
	for _, d := range []*deployers.Deployment{a, b} {
		if err := dp.Teardown(context.Background(), d); err != nil {
			t.Fatal(err)
		}
	}
	left, err := dp.List(context.Background(), runID)
	if err != nil || len(left) != 1 || left[0].Kind != "image" {
		t.Fatalf("after the deployments' teardown: %v (%v), want the kept image alone", left, err)
	}
	if err := dp.Release(context.Background(), runID); err != nil {
		t.Fatal(err)
	}
	requireNothingLeft(t, dp, runID)
}

// Two deployers keeping the same run (the connection-storm lab's function
// and its capped twin) each import their image: neither may take the
// other's tag, or the first image is left untagged, still labelled with the
// run id, after both Releases (the regression: "left after teardown,
// removed by a sweep by label" in that lab's reference run).
func TestTwoDeployersKeepOneRun(t *testing.T) {
	a, b := newDeployer(t), newDeployer(t)
	runID := deployertest.RunID(t, "rie-two-keep")
	spec := deployers.Spec{RunID: runID, Artifacts: deployertest.Artifacts(t), ReadyTimeout: time.Minute}
	var refs []string
	for _, dp := range []*Deployer{a, b} {
		dp.Keep(runID)
		t.Cleanup(func() { _ = dp.Release(context.Background(), runID) })
		d := deploy(t, dp, spec)
		refs = append(refs, d.Details[DetailImage])
		if err := dp.Teardown(context.Background(), d); err != nil {
			t.Fatal(err)
		}
	}
	if refs[0] == refs[1] {
		t.Errorf("both deployers tagged %s: the second import takes the first one's tag", refs[0])
	}
	for _, dp := range []*Deployer{a, b} {
		if err := dp.Release(context.Background(), runID); err != nil {
			t.Fatal(err)
		}
	}
	requireNothingLeft(t, a, runID)
}

// testBootstrap builds testdata/<name> as a static Linux binary.
func testBootstrap(t testing.TB, name string) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "bootstrap")
	cmd := exec.Command("go", "build", "-o", out, "./testdata/"+name)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build %s: %v\n%s", name, err, b)
	}
	return out
}

func TestDeployFailures(t *testing.T) {
	dp := newDeployer(t)
	held, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { held.Close() })
	heldPort := held.Addr().(*net.TCPAddr).Port
	good := deployertest.Artifacts(t)

	tests := []struct {
		name         string
		opts         []Option
		bootstrap    string // a path, or "build:<testdata dir>"
		readyTimeout time.Duration
		wantErr      string
		within       time.Duration
	}{
		{name: "missing bootstrap", bootstrap: "/nonexistent/bootstrap", wantErr: "no such file", within: 5 * time.Second},
		{name: "port taken", opts: []Option{WithGatewayPort(heldPort)}, bootstrap: good.Bootstrap, wantErr: "address already in use", within: time.Minute},
		{name: "bootstrap exits at start", bootstrap: "build:exit1", readyTimeout: time.Minute, wantErr: "exit status 1", within: 15 * time.Second},
		{name: "never ready", bootstrap: "build:hang", readyTimeout: 2 * time.Second, wantErr: "deadline exceeded", within: time.Minute},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dp := dp
			if tt.opts != nil {
				dp = newDeployer(t, tt.opts...)
			}
			boot := tt.bootstrap
			if dir, ok := strings.CutPrefix(boot, "build:"); ok {
				boot = testBootstrap(t, dir)
			}
			runID := deployertest.RunID(t, "rie-fail")
			start := time.Now()
			d, err := dp.Deploy(context.Background(), deployers.Spec{
				RunID: runID, Artifacts: &artifact.Set{Arch: "amd64", Bootstrap: boot}, ReadyTimeout: tt.readyTimeout,
			})
			took := time.Since(start)
			t.Cleanup(func() { _ = dp.Teardown(context.Background(), d) })
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Deploy error %v, want one containing %q", err, tt.wantErr)
			}
			t.Logf("after %v: %v", took.Round(time.Millisecond), err)
			if took > tt.within {
				t.Errorf("failed after %v, want within %v", took, tt.within)
			}
			requireNothingLeft(t, dp, runID)
			if err := dp.Teardown(context.Background(), d); err != nil {
				t.Errorf("teardown after a failed deploy: %v", err)
			}
		})
	}
}

func TestTeardownNil(t *testing.T) {
	var dp Deployer
	if err := dp.Teardown(context.Background(), nil); err != nil {
		t.Errorf("Teardown(nil) = %v", err)
	}
}

func TestSweep(t *testing.T) {
	dp := newDeployer(t)
	runID := deployertest.RunID(t, "rie-sweep")
	d := deploy(t, dp, deployers.Spec{RunID: runID, Artifacts: deployertest.Artifacts(t), ReadyTimeout: time.Minute})
	// A crashed harness: the gateway is gone, the engine still holds the
	// image and the environment.
	g := d.State.(*gateway)
	g.srv.Close()
	g.cancel()
	found, err := dp.List(context.Background(), runID)
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]int{}
	for _, r := range found {
		kinds[r.Kind]++
		if r.RunID != runID || r.Variant != deployers.Lambda {
			t.Errorf("listed %+v: want run %s, variant lambda", r, runID)
		}
	}
	if kinds["container"] != 1 || kinds["image"] != 1 {
		t.Fatalf("listed %v, want one container and one image", found)
	}
	removed, err := dp.Sweep(context.Background(), runID)
	if err != nil {
		t.Fatal(err)
	}
	if len(removed) != len(found) {
		t.Errorf("swept %v, want %v", removed, found)
	}
	requireNothingLeft(t, dp, runID)
}

func TestResolve(t *testing.T) {
	boot := filepath.Join(t.TempDir(), "bootstrap")
	if err := os.WriteFile(boot, []byte("#!"), 0o755); err != nil {
		t.Fatal(err)
	}
	set := &artifact.Set{Arch: "amd64", Bootstrap: boot}
	tests := []struct {
		name     string
		spec     deployers.Spec
		wantErr  string
		wantMem  int
		wantCPUs float64
	}{
		{name: "defaults", spec: deployers.Spec{RunID: "r1", Artifacts: set}, wantMem: 128, wantCPUs: MinCPUs},
		{name: "1769 MB is one vCPU", spec: deployers.Spec{RunID: "r1", Artifacts: set, MemoryMB: 1769}, wantMem: 1769, wantCPUs: 1},
		{name: "bad run id", spec: deployers.Spec{RunID: "Bad!", Artifacts: set}, wantErr: "run id"},
		{name: "no artifacts", spec: deployers.Spec{RunID: "r1"}, wantErr: "no artifacts"},
		{name: "no bootstrap", spec: deployers.Spec{RunID: "r1", Artifacts: &artifact.Set{}}, wantErr: "no Lambda bootstrap"},
		{name: "memory too small", spec: deployers.Spec{RunID: "r1", Artifacts: set, MemoryMB: 64}, wantErr: "128-10240"},
		{name: "fractional timeout", spec: deployers.Spec{RunID: "r1", Artifacts: set, Timeout: 1500 * time.Millisecond}, wantErr: "whole seconds"},
		{name: "timeout too long", spec: deployers.Spec{RunID: "r1", Artifacts: set, Timeout: time.Hour}, wantErr: "whole seconds"},
		{name: "bad env name", spec: deployers.Spec{RunID: "r1", Artifacts: set, Env: map[string]string{"A=B": "c"}}, wantErr: "environment variable"},
		{name: "bad arch", spec: deployers.Spec{RunID: "r1", Artifacts: &artifact.Set{Arch: "386", Bootstrap: boot}}, wantErr: "arch"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := resolve(tt.spec)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("resolve error %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.memoryMB != tt.wantMem || c.cpus != tt.wantCPUs || c.timeout != DefaultTimeout {
				t.Errorf("resolved %d MB, %.3f vCPU, timeout %v; want %d MB, %.3f vCPU, %v", c.memoryMB, c.cpus, c.timeout, tt.wantMem, tt.wantCPUs, DefaultTimeout)
			}
		})
	}
}
