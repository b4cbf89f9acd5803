package ec2

import (
	"context"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/computeladder/computeladder/app"
	"github.com/computeladder/computeladder/deployers"
	"github.com/computeladder/computeladder/deployers/awsenv"
	"github.com/computeladder/computeladder/deployers/awsenv/awstest"
	"github.com/computeladder/computeladder/deployers/deployertest"
)

// loopbackInstances makes moto's instances report 127.0.0.1 as their public
// address, so that the phases after "running" (which moto cannot give) are
// exercised against an app served by the test: only loopback traffic.
type loopbackInstances struct{ EC2API }

func (l loopbackInstances) DescribeInstances(ctx context.Context, in *ec2.DescribeInstancesInput, opts ...func(*ec2.Options)) (*ec2.DescribeInstancesOutput, error) {
	out, err := l.EC2API.DescribeInstances(ctx, in, opts...)
	if err != nil {
		return out, err
	}
	for i := range out.Reservations {
		for j := range out.Reservations[i].Instances {
			out.Reservations[i].Instances[j].PublicIpAddress = aws.String("127.0.0.1")
		}
	}
	return out, nil
}

// newLive returns a deployer that treats moto as AWS (the live path),
// opening and dialling port.
func newLive(t *testing.T, cfg aws.Config, port int) *Deployer {
	t.Helper()
	s3c := s3.NewFromConfig(cfg, awsenv.S3Options(cfg))
	d := newMoto(t, cfg, WithEmulator(false), WithIngress(netip.MustParsePrefix("127.0.0.1/32")), withAppPort(port),
		withClients(loopbackInstances{ec2.NewFromConfig(cfg)}, s3c, s3.NewPresignClient(s3c), ssm.NewFromConfig(cfg)))
	d.aliveEvery = 20 * time.Millisecond
	return d
}

func freeListener(t *testing.T) net.Listener {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

func TestDeployLivePhases(t *testing.T) {
	cfg := awstest.Moto(t)
	l := freeListener(t)
	port := l.Addr().(*net.TCPAddr).Port
	// The "instance" opens its port a little after it runs, as a booting
	// VM does.
	srv := &http.Server{Handler: app.New(app.Config{Platform: "vm"}), ReadHeaderTimeout: time.Second}
	go func() {
		time.Sleep(200 * time.Millisecond)
		_ = srv.Serve(l)
	}()
	t.Cleanup(func() { srv.Close() })

	d := newLive(t, cfg, port)
	dep := deployT(t, d, deployers.Spec{RunID: deployertest.RunID(t, "ec2-live"), Artifacts: fakeArtifacts(t)})
	var names []string
	for _, p := range dep.Phases {
		names = append(names, p.Name)
	}
	want := []string{PhaseDeploy, PhaseRunInstances, PhaseRunInstancesReturned, PhaseRunning, PhasePortOpen, PhaseFirst200}
	if strings.Join(names, " ") != strings.Join(want, " ") {
		t.Fatalf("phases %v, want %v", names, want)
	}
	requireOrdered(t, dep.Phases)
	if wantURL := "http://127.0.0.1:" + strconv.Itoa(port); dep.URL != wantURL {
		t.Errorf("URL %q, want %q", dep.URL, wantURL)
	}
	if dep.NotMeasured != "" {
		t.Errorf("NotMeasured = %q on the live path", dep.NotMeasured)
	}
	resp, err := http.Get(dep.URL + "/healthz")
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /healthz: %v %v", resp, err)
	}
	resp.Body.Close()
}

// TestDeployLiveFailsFast: an instance that dies while the port is awaited
// ends the wait at once, not at the ready timeout, and is cleaned up.
func TestDeployLiveFailsFast(t *testing.T) {
	cfg := awstest.Moto(t)
	l := freeListener(t)
	port := l.Addr().(*net.TCPAddr).Port
	l.Close() // nothing listens: the port never opens

	d := newLive(t, cfg, port)
	runID := deployertest.RunID(t, "ec2-dies")
	go func() {
		// Terminate the instance from outside once it exists, as a
		// failed boot with shutdown behaviour "terminate" would.
		c := ec2.NewFromConfig(cfg)
		for range 200 {
			time.Sleep(20 * time.Millisecond)
			rs, err := d.List(context.Background(), runID)
			if err != nil {
				continue
			}
			if ids := byKind(rs, KindInstance); len(ids) == 1 {
				_, _ = c.TerminateInstances(context.Background(), &ec2.TerminateInstancesInput{InstanceIds: ids})
				return
			}
		}
	}()
	start := time.Now()
	dep, err := d.Deploy(ctxT(t), deployers.Spec{RunID: runID, Artifacts: fakeArtifacts(t), ReadyTimeout: time.Minute})
	t.Cleanup(func() { _ = d.Teardown(context.Background(), dep) })
	if err == nil {
		t.Fatal("deploy succeeded with a terminated instance")
	}
	if !strings.Contains(err.Error(), "terminated") && !strings.Contains(err.Error(), "shutting-down") {
		t.Errorf("error %q: want it to say the instance terminated", err)
	}
	if took := time.Since(start); took > 20*time.Second {
		t.Errorf("deploy took %s to notice: want it to fail fast", took)
	}
	requireNothingLeft(t, d, runID)
}
