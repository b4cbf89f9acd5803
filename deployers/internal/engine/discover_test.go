package engine

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/moby/moby/client"
)

// writeContext lays out a Docker CLI context store entry as `docker context
// create` does.
func writeContext(t *testing.T, configDir, name, host string, tls bool) {
	t.Helper()
	sum := sha256.Sum256([]byte(name))
	id := hex.EncodeToString(sum[:])
	meta := filepath.Join(configDir, "contexts", "meta", id)
	if err := os.MkdirAll(meta, 0o755); err != nil {
		t.Fatal(err)
	}
	doc := `{"Name":"` + name + `","Metadata":{"Description":"x"},"Endpoints":{"docker":{"Host":"` + host + `","SkipTLSVerify":false}}}`
	if err := os.WriteFile(filepath.Join(meta, "meta.json"), []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	if tls {
		dir := filepath.Join(configDir, "contexts", "tls", id, "docker")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		for _, f := range []string{"ca.pem", "cert.pem", "key.pem"} {
			if err := os.WriteFile(filepath.Join(dir, f), []byte("x"), 0o600); err != nil {
				t.Fatal(err)
			}
		}
	}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestFindEngine(t *testing.T) {
	type setup struct {
		env       map[string]string
		config    string            // ~/.docker/config.json
		contexts  map[string]string // name → host
		listening []string          // socket paths (relative to home, or absolute) that answer
	}
	tests := []struct {
		name       string
		setup      setup
		wantHost   string // with HOME for the home directory
		wantSource string
		wantErr    string
	}{
		{"DOCKER_HOST wins", setup{env: map[string]string{"DOCKER_HOST": "tcp://127.0.0.1:2375", "DOCKER_CONTEXT": "colima"},
			listening: []string{"/var/run/docker.sock"}}, "tcp://127.0.0.1:2375", "DOCKER_HOST", ""},
		{"current context", setup{config: `{"auths":{},"currentContext":"colima"}`,
			contexts:  map[string]string{"colima": "unix://HOME/.colima/default/docker.sock"},
			listening: []string{"/var/run/docker.sock"}}, "unix://HOME/.colima/default/docker.sock", `Docker context "colima"`, ""},
		{"DOCKER_CONTEXT over config.json", setup{env: map[string]string{"DOCKER_CONTEXT": "orbstack"}, config: `{"currentContext":"colima"}`,
			contexts: map[string]string{"colima": "unix:///c.sock", "orbstack": "unix://HOME/.orbstack/run/docker.sock"}},
			"unix://HOME/.orbstack/run/docker.sock", `Docker context "orbstack"`, ""},
		{"DOCKER_CONFIG moves the store", setup{env: map[string]string{"DOCKER_CONFIG": "HOME/elsewhere"}, contexts: map[string]string{"rd": "unix://HOME/.rd/docker.sock"},
			config: `{"currentContext":"rd"}`}, "unix://HOME/.rd/docker.sock", `Docker context "rd"`, ""},
		{"default context falls through to sockets", setup{config: `{"currentContext":"default"}`, listening: []string{"/var/run/docker.sock"}},
			"unix:///var/run/docker.sock", "the default socket", ""},
		{"missing context", setup{config: `{"currentContext":"gone"}`}, "", "", `docker context "gone"`},
		{"ssh context", setup{config: `{"currentContext":"remote"}`, contexts: map[string]string{"remote": "ssh://me@host"}}, "", "", "set DOCKER_HOST"},
		{"broken config.json", setup{config: `{`}, "", "", "fix the file or set DOCKER_HOST"},
		{"rootless before Desktop", setup{env: map[string]string{"XDG_RUNTIME_DIR": "HOME/run"}, listening: []string{"run/docker.sock", ".docker/run/docker.sock"}},
			"unix://HOME/run/docker.sock", "rootless Docker's socket", ""},
		{"Docker Desktop on macOS", setup{listening: []string{".docker/run/docker.sock"}}, "unix://HOME/.docker/run/docker.sock", "Docker Desktop's socket", ""},
		{"Colima", setup{listening: []string{".colima/default/docker.sock"}}, "unix://HOME/.colima/default/docker.sock", "Colima's socket", ""},
		{"COLIMA_HOME", setup{env: map[string]string{"COLIMA_HOME": "HOME/cl"}, listening: []string{"cl/default/docker.sock"}}, "unix://HOME/cl/default/docker.sock", "Colima's socket", ""},
		{"OrbStack", setup{listening: []string{".orbstack/run/docker.sock"}}, "unix://HOME/.orbstack/run/docker.sock", "OrbStack's socket", ""},
		{"Rancher Desktop", setup{listening: []string{".rd/docker.sock"}}, "unix://HOME/.rd/docker.sock", "Rancher Desktop's socket", ""},
		{"nothing answers", setup{}, "", "", "no Docker engine found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			home := t.TempDir()
			abs := func(s string) string { return strings.ReplaceAll(s, "HOME", home) }
			env := map[string]string{}
			for k, v := range tt.setup.env {
				env[k] = abs(v)
			}
			configDir := filepath.Join(home, ".docker")
			if d := env["DOCKER_CONFIG"]; d != "" {
				configDir = d
			}
			if tt.setup.config != "" {
				writeFile(t, filepath.Join(configDir, "config.json"), tt.setup.config)
			}
			for name, host := range tt.setup.contexts {
				writeContext(t, configDir, name, abs(host), false)
			}
			answering := map[string]bool{}
			for _, p := range tt.setup.listening {
				if !filepath.IsAbs(p) {
					p = filepath.Join(home, p)
				}
				answering[p] = true
			}
			l := locator{getenv: func(k string) string { return env[k] }, home: home, uid: 4242, answers: func(p string) bool { return answering[p] }}
			e, err := l.find()
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("find() = %v, %v; want an error with %q", e, err, tt.wantErr)
				}
				if strings.Contains(err.Error(), "\n") {
					t.Errorf("error is not one line: %q", err)
				}
				return
			}
			if err != nil || e.Host != abs(tt.wantHost) || e.Source != tt.wantSource {
				t.Fatalf("find() = %+v, %v; want %s (%s)", e, err, abs(tt.wantHost), tt.wantSource)
			}
		})
	}
}

// TestFindEngineNamesWhatItTried: without an engine the error lists every
// socket it tried, Colima's, OrbStack's and Rancher Desktop's among them.
func TestFindEngineNamesWhatItTried(t *testing.T) {
	home := t.TempDir()
	l := locator{getenv: func(string) string { return "" }, home: home, uid: 1000, answers: func(string) bool { return false }}
	_, err := l.find()
	if err == nil {
		t.Fatal("found an engine where none answers")
	}
	for _, want := range []string{"/var/run/docker.sock", "/run/user/1000/docker.sock", ".docker/run/docker.sock", ".colima/default/docker.sock", ".orbstack/run/docker.sock", ".rd/docker.sock", "set DOCKER_HOST"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q: %v", want, err)
		}
	}
}

func TestContextTLS(t *testing.T) {
	home := t.TempDir()
	configDir := filepath.Join(home, ".docker")
	writeFile(t, filepath.Join(configDir, "config.json"), `{"currentContext":"secure"}`)
	writeContext(t, configDir, "secure", "tcp://10.0.0.5:2376", true)
	l := locator{getenv: func(string) string { return "" }, home: home, answers: func(string) bool { return false }}
	e, err := l.find()
	if err != nil || e.Context != "secure" || !strings.HasSuffix(e.TLSDir, filepath.Join("docker")) {
		t.Fatalf("find() = %+v, %v", e, err)
	}
	if _, err := os.Stat(filepath.Join(e.TLSDir, "ca.pem")); err != nil {
		t.Errorf("TLSDir %s: %v", e.TLSDir, err)
	}
}

// TestSocketAnswers: a socket file left by a stopped engine does not count.
// listenUnix listens on a unix socket in a short temporary directory (the
// paths of unix sockets are limited to ~104 bytes, more than t.TempDir's on
// macOS) and returns the listener and the directory.
func listenUnix(t *testing.T, name string) (net.Listener, string) {
	t.Helper()
	dir, err := os.MkdirTemp("", "sock")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	ln, err := net.Listen("unix", filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	return ln, dir
}

func TestSocketAnswers(t *testing.T) {
	_, dir := listenUnix(t, "live.sock")
	live := filepath.Join(dir, "live.sock")
	stale := filepath.Join(dir, "stale.sock")
	ln2, err := net.Listen("unix", stale)
	if err != nil {
		t.Fatal(err)
	}
	ln2.(*net.UnixListener).SetUnlinkOnClose(false)
	ln2.Close()
	if !socketAnswers(live) {
		t.Error("a listening socket does not answer")
	}
	if socketAnswers(stale) {
		t.Error("a stale socket file answers")
	}
	if socketAnswers(filepath.Join(dir, "none.sock")) {
		t.Error("a missing socket answers")
	}
}

// TestEngineClientTalksToFoundHost: the client goes to the engine found,
// not to the default socket; Arch maps the engine's answer to GOARCH.
func TestEngineClientTalksToFoundHost(t *testing.T) {
	ln, dir := listenUnix(t, "docker.sock")
	sock := filepath.Join(dir, "docker.sock")
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/version") {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(`{"Version":"27.0.0","ApiVersion":"1.46","MinAPIVersion":"1.24","Os":"linux","Arch":"arm64"}`))
			return
		}
		w.Header().Set("Api-Version", "1.46")
		w.WriteHeader(http.StatusOK)
	}))
	srv.Listener = ln
	srv.Start()
	defer srv.Close()
	t.Setenv("DOCKER_HOST", "")
	t.Setenv("DOCKER_API_VERSION", "1.46")
	c, err := Engine{Host: "unix://" + sock, Source: "test"}.Client()
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	arch, err := Arch(context.Background(), c)
	if err != nil || arch != "arm64" {
		t.Fatalf("Arch = %q, %v; want arm64 from the fake engine", arch, err)
	}
	if _, err := c.Ping(context.Background(), client.PingOptions{}); err != nil {
		t.Errorf("ping the found engine: %v", err)
	}
}

func TestGOARCH(t *testing.T) {
	for in, want := range map[string]string{"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64", "riscv64": "riscv64"} {
		if got := GOARCH(in); got != want {
			t.Errorf("GOARCH(%q) = %q, want %q", in, got, want)
		}
	}
}
