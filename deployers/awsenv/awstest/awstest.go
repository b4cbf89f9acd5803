// Package awstest points the cloud deployers' tests at moto_server, a real
// AWS API emulator, on the loopback interface: never at AWS.
//
// Under CI, .ci/run starts one moto_server and exports
// COMPUTELADDER_MOTO_ENDPOINT; otherwise Moto starts one on a free
// 127.0.0.1 port, shared by the tests of the process that run at the same
// time and killed when the last of them cleans up. Tests sharing a moto must
// not interfere: each uses its own run id and nothing resets moto globally.
package awstest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/computeladder/computeladder/deployers"
	"github.com/computeladder/computeladder/deployers/deployertest"
)

// EndpointEnv names the variable holding an already running moto's URL.
const EndpointEnv = "COMPUTELADDER_MOTO_ENDPOINT"

// Region is the region of the config Moto returns.
const Region = "us-east-1"

// startTimeout bounds moto_server's start (about a second here).
const startTimeout = 30 * time.Second

var shared struct {
	mu       sync.Mutex
	refs     int
	endpoint string
	cmd      *exec.Cmd
}

// Moto returns an aws.Config pointed at moto with static test credentials
// and region us-east-1. Without moto_server on PATH it skips, or fails
// under CI=true. For S3, pass awsenv.S3Options(cfg) to s3.NewFromConfig.
func Moto(t testing.TB) aws.Config {
	t.Helper()
	return Config(Endpoint(t))
}

// Config returns the aws.Config for a moto at endpoint.
func Config(endpoint string) aws.Config {
	return aws.Config{
		Region:       Region,
		Credentials:  aws.NewCredentialsCache(credentials.NewStaticCredentialsProvider("testing", "testing", "")),
		BaseEndpoint: aws.String(endpoint),
		// Moto answers at once or not at all; retries only slow a failing
		// test down.
		RetryMaxAttempts: 1,
	}
}

// Endpoint returns the URL of a running moto, starting one if needed.
func Endpoint(t testing.TB) string {
	t.Helper()
	if e := os.Getenv(EndpointEnv); e != "" {
		return e
	}
	path, err := exec.LookPath("moto_server")
	deployertest.Require(t, "moto_server (pip install 'moto[server]')", err)

	shared.mu.Lock()
	defer shared.mu.Unlock()
	if shared.refs == 0 {
		endpoint, cmd, err := start(path)
		if err != nil {
			t.Fatalf("start moto_server: %v", err)
		}
		shared.endpoint, shared.cmd = endpoint, cmd
	}
	shared.refs++
	t.Cleanup(release)
	return shared.endpoint
}

func release() {
	shared.mu.Lock()
	defer shared.mu.Unlock()
	shared.refs--
	if shared.refs == 0 && shared.cmd != nil {
		stop(shared.cmd)
		shared.cmd, shared.endpoint = nil, ""
	}
}

func start(path string) (string, *exec.Cmd, error) {
	port, err := freePort()
	if err != nil {
		return "", nil, err
	}
	cmd := exec.Command(path, "-H", "127.0.0.1", "-p", strconv.Itoa(port))
	// Its own process group, so that stop kills the Python server behind
	// the pyenv shim as well.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return "", nil, err
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	endpoint := "http://127.0.0.1:" + strconv.Itoa(port)
	client := &http.Client{Timeout: time.Second}
	err = deployers.Poll(context.Background(), 20*time.Millisecond, startTimeout, func(context.Context) (bool, error) {
		select {
		case err := <-exited:
			return false, fmt.Errorf("moto_server exited: %v", err)
		default:
		}
		resp, err := client.Get(endpoint + "/moto-api/")
		if err != nil {
			return false, nil
		}
		resp.Body.Close()
		return true, nil
	})
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		stop(cmd)
		return "", nil, fmt.Errorf("moto_server did not answer within %s", startTimeout)
	case err != nil:
		return "", nil, err
	}
	return endpoint, cmd, nil
}

func stop(cmd *exec.Cmd) {
	_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
