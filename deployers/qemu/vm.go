package qemu

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
)

// vm is the in-memory handle of a running VM (Deployment.State).
type vm struct {
	id      string
	dir     string
	cmd     *exec.Cmd
	console *console
	stderr  *lockedBuffer
	exited  chan struct{} // closed once QEMU has exited and been reaped
	waitErr error         // QEMU's exit status, valid after exited
}

// exitedError says that QEMU exited, with the console's and QEMU's last
// words, so that a failed boot explains itself.
type exitedError struct{ msg string }

func (e *exitedError) Error() string { return e.msg }

// deadErr is an *exitedError once QEMU has exited, else nil.
func (v *vm) deadErr() error {
	select {
	case <-v.exited:
	default:
		return nil
	}
	msg := fmt.Sprintf("qemu exited (%v)", v.waitErr)
	stderr := strings.TrimSpace(v.stderr.String())
	if stderr != "" {
		msg += "; qemu: " + tailLines(stderr, 5)
	}
	if strings.Contains(stderr, "host forwarding rule") {
		msg += " (the host port is taken: free it, or let the deployer pick a port)"
	}
	if p := v.console.Panic(); p != "" {
		msg += "; guest " + p
		if strings.Contains(p, "kill init") {
			msg += " (the VM's /init, the app, exited); its last output:\n" + v.console.AppTail(appTailLines)
			return &exitedError{msg}
		}
	}
	if s := v.console.Tail(10); s != "" {
		msg += "; console:\n" + s
	} else {
		msg += "; no console output"
	}
	return &exitedError{msg}
}

func tailLines(s string, n int) string {
	lines := strings.Split(s, "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, " | ")
}

// launch starts QEMU in its own process group, so that a Ctrl-C meant for
// the harness does not kill the VM before the harness tears it down, and
// starts the goroutine that reads its console and then reaps it.
func launch(dir, qemuBin string, args []string) (*vm, error) {
	cmd := exec.Command(qemuBin, args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Dir = dir
	// stdin stays /dev/null: with -serial stdio on a terminal QEMU would
	// switch that terminal to raw mode.
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("start qemu: %w", err)
	}
	consoleLog, err := os.Create(filepath.Join(dir, consoleFile))
	if err != nil {
		return nil, fmt.Errorf("start qemu: %w", err)
	}
	stderrLog, err := os.Create(filepath.Join(dir, stderrFile))
	if err != nil {
		consoleLog.Close()
		return nil, fmt.Errorf("start qemu: %w", err)
	}
	v := &vm{id: filepath.Base(dir), dir: dir, cmd: cmd, console: newConsole(), stderr: &lockedBuffer{}, exited: make(chan struct{})}
	cmd.Stderr = teeWriter{stderrLog, v.stderr}
	if err := cmd.Start(); err != nil {
		consoleLog.Close()
		stderrLog.Close()
		return nil, fmt.Errorf("start qemu: %w", err)
	}
	go func() {
		// Wait only after the console reached EOF: Wait closes the pipe.
		_ = v.console.run(stdout, consoleLog)
		v.waitErr = cmd.Wait()
		consoleLog.Close()
		stderrLog.Close()
		close(v.exited)
	}()
	return v, nil
}

// teeWriter writes to both; errors of the first (a log file) are ignored.
type teeWriter struct {
	a, b interface{ Write([]byte) (int, error) }
}

func (t teeWriter) Write(p []byte) (int, error) {
	_, _ = t.a.Write(p)
	return t.b.Write(p)
}
