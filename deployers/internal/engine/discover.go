package engine

// Engine discovery, as the Docker ecosystem does it: DOCKER_HOST, then the
// current Docker context (what `docker context use` chose), then the
// sockets where the common engines listen. testcontainers-go (v0.45) walks
// a similar list, but its resolver is internal (testcontainers.
// NewDockerClientWithOpts only returns a client, never says where or how it
// found the engine), it reads no Docker context (its "context" is a Go
// context value) and knows neither Colima, OrbStack nor Rancher Desktop;
// github.com/docker/cli's context store does read contexts, but it is an
// +incompatible module whose dependencies go does not pin, and it brings
// ~40 packages (OpenTelemetry's SDK, credential helpers) for a JSON file.
// So this file reads the context store's two files itself.

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/moby/moby/client"
)

// Engine is where a Docker engine was found, and how.
type Engine struct {
	// Host is the engine's address, e.g. unix:///var/run/docker.sock.
	Host string
	// Source says how it was found, e.g. "DOCKER_HOST", "Docker context
	// \"colima\"", "Colima's socket".
	Source string
	// Context is the Docker context's name when the engine came from one.
	Context string
	// TLSDir holds a context's ca.pem, cert.pem and key.pem ("" for none).
	TLSDir string
}

func (e Engine) String() string { return e.Host + " (from " + e.Source + ")" }

// socketCandidate is a well-known engine socket.
type socketCandidate struct {
	path string
	who  string
}

// locator is what engine discovery reads; tests fake it.
type locator struct {
	getenv func(string) string
	home   string
	uid    int
	// answers reports whether something listens on a unix socket.
	answers func(path string) bool
}

func defaultLocator() locator {
	home, _ := os.UserHomeDir()
	return locator{getenv: os.Getenv, home: home, uid: os.Getuid(), answers: socketAnswers}
}

// socketAnswers dials the socket: a file left by a stopped engine refuses.
func socketAnswers(path string) bool {
	c, err := net.DialTimeout("unix", path, time.Second)
	if err != nil {
		return false
	}
	_ = c.Close()
	return true
}

// Find finds the Docker engine: DOCKER_HOST; else the current Docker
// context (DOCKER_CONTEXT, else currentContext in the Docker CLI's
// config.json) unless it is "default"; else the first socket that accepts a
// connection among /var/run/docker.sock, rootless Docker's, Docker
// Desktop's, Colima's, OrbStack's and Rancher Desktop's. The error says what
// was tried and what to do.
func Find() (Engine, error) { return defaultLocator().find() }

func (l locator) find() (Engine, error) {
	if h := l.getenv("DOCKER_HOST"); h != "" {
		return Engine{Host: h, Source: "DOCKER_HOST"}, nil
	}
	name, from, err := l.currentContext()
	if err != nil {
		return Engine{}, err
	}
	if name != "" && name != "default" {
		return l.contextEngine(name, from)
	}
	var tried []string
	for _, c := range l.sockets() {
		if l.answers(c.path) {
			return Engine{Host: "unix://" + c.path, Source: c.who}, nil
		}
		tried = append(tried, c.path)
	}
	return Engine{}, fmt.Errorf("no Docker engine found: DOCKER_HOST is unset, the Docker context is %q, and no socket answers (%s): start Docker Engine, Docker Desktop, Colima, OrbStack or Rancher Desktop, or set DOCKER_HOST",
		orDefault(name), strings.Join(tried, ", "))
}

func orDefault(name string) string {
	if name == "" {
		return "default"
	}
	return name
}

// configDir is the Docker CLI's configuration directory.
func (l locator) configDir() string {
	if d := l.getenv("DOCKER_CONFIG"); d != "" {
		return d
	}
	return filepath.Join(l.home, ".docker")
}

// currentContext is the Docker context the CLI would use, and where that
// choice comes from; "" when none is chosen.
func (l locator) currentContext() (name, from string, err error) {
	if n := l.getenv("DOCKER_CONTEXT"); n != "" {
		return n, "DOCKER_CONTEXT", nil
	}
	path := filepath.Join(l.configDir(), "config.json")
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return "", "", nil
	}
	if err != nil {
		return "", "", fmt.Errorf("docker config: %w", err)
	}
	var cfg struct {
		CurrentContext string `json:"currentContext"`
	}
	if err := json.Unmarshal(b, &cfg); err != nil {
		return "", "", fmt.Errorf("docker config %s: %w: fix the file or set DOCKER_HOST", path, err)
	}
	return cfg.CurrentContext, path, nil
}

// contextEngine reads a context from the CLI's context store: its metadata
// lives in contexts/meta/<sha256 of the name>/meta.json, its TLS material in
// contexts/tls/<same>/docker/.
func (l locator) contextEngine(name, from string) (Engine, error) {
	sum := sha256.Sum256([]byte(name))
	id := hex.EncodeToString(sum[:])
	path := filepath.Join(l.configDir(), "contexts", "meta", id, "meta.json")
	b, err := os.ReadFile(path)
	if err != nil {
		return Engine{}, fmt.Errorf("docker context %q (chosen by %s): %w: run `docker context ls`, `docker context use` another, or set DOCKER_HOST", name, from, err)
	}
	var meta struct {
		Endpoints map[string]struct {
			Host          string
			SkipTLSVerify bool
		}
	}
	if err := json.Unmarshal(b, &meta); err != nil {
		return Engine{}, fmt.Errorf("docker context %q: %s: %w", name, path, err)
	}
	ep := meta.Endpoints["docker"]
	switch {
	case ep.Host == "":
		return Engine{}, fmt.Errorf("docker context %q has no Docker endpoint: `docker context use` another, or set DOCKER_HOST", name)
	case strings.HasPrefix(ep.Host, "ssh://"):
		return Engine{}, fmt.Errorf("docker context %q reaches its engine over %s, which this tool cannot: set DOCKER_HOST to a unix:// or tcp:// address", name, ep.Host)
	}
	e := Engine{Host: ep.Host, Source: fmt.Sprintf("Docker context %q", name), Context: name}
	tls := filepath.Join(l.configDir(), "contexts", "tls", id, "docker")
	if _, err := os.Stat(filepath.Join(tls, "ca.pem")); err == nil {
		e.TLSDir = tls
	}
	return e, nil
}

// sockets are the well-known engine sockets, in the order they are tried:
// the system engine first (Docker Engine; Docker Desktop also links it on
// macOS), then the per-user ones.
func (l locator) sockets() []socketCandidate {
	c := []socketCandidate{{"/var/run/docker.sock", "the default socket"}}
	if d := l.getenv("XDG_RUNTIME_DIR"); d != "" {
		c = append(c, socketCandidate{filepath.Join(d, "docker.sock"), "rootless Docker's socket"})
	}
	c = append(c, socketCandidate{filepath.Join("/run/user", strconv.Itoa(l.uid), "docker.sock"), "rootless Docker's socket"})
	if l.home == "" {
		return c
	}
	colima := filepath.Join(l.home, ".colima")
	if d := l.getenv("COLIMA_HOME"); d != "" {
		colima = d
	}
	return append(c,
		socketCandidate{filepath.Join(l.home, ".docker", "run", "docker.sock"), "Docker Desktop's socket"},
		socketCandidate{filepath.Join(l.home, ".docker", "desktop", "docker.sock"), "Docker Desktop's socket"},
		socketCandidate{filepath.Join(colima, "default", "docker.sock"), "Colima's socket"},
		socketCandidate{filepath.Join(l.home, ".config", "colima", "default", "docker.sock"), "Colima's socket"},
		socketCandidate{filepath.Join(l.home, ".orbstack", "run", "docker.sock"), "OrbStack's socket"},
		socketCandidate{filepath.Join(l.home, ".rd", "docker.sock"), "Rancher Desktop's socket"},
	)
}

// Client returns a client of the engine. The environment's TLS settings
// (DOCKER_TLS_VERIFY, DOCKER_CERT_PATH) and DOCKER_API_VERSION still apply;
// a context's own TLS material replaces them.
func (e Engine) Client() (*client.Client, error) {
	opts := []client.Opt{client.FromEnv, client.WithHost(e.Host)}
	if e.TLSDir != "" {
		opts = append(opts, client.WithTLSClientConfig(filepath.Join(e.TLSDir, "ca.pem"),
			filepath.Join(e.TLSDir, "cert.pem"), filepath.Join(e.TLSDir, "key.pem")))
	}
	c, err := client.New(opts...)
	if err != nil {
		return nil, fmt.Errorf("docker client for %s: %w: check DOCKER_HOST or the Docker context", e, err)
	}
	return c, nil
}
