package main

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/computeladder/computeladder/deployers"
	"github.com/computeladder/computeladder/harness/kit"
	"github.com/computeladder/computeladder/harness/targets"
)

// watchEvery is how often `up` asks the backend whether its deployment
// still runs.
const watchEvery = time.Second

func newUpCmd() *cobra.Command {
	var f kit.TargetFlags
	var detach bool
	cmd := &cobra.Command{
		Use:   "up <vm|container|lambda>",
		Short: "Deploy one variant and keep it running for curl until Ctrl-C (or `down`), then tear down",
		Long: `Up deploys one variant, prints its URL on stdout, and keeps it running
until Ctrl-C (or SIGTERM), then tears it down. While it waits it watches
the deployment: when the VM's QEMU process exits or the container stops or
is removed (killed, out of memory, swept with --force), it says so, tears
down what is left and exits 1.

With --detach it starts itself in the background (its own session, its
output in a log file), waits until the deployment answers, prints the URL
and the run id, and returns; ` + "`computeladder down RUN_ID`" + ` stops it. A running up
owns its resources: ` + "`computeladder sweep`" + ` leaves them alone.`,
		Example: `  computeladder up container
  curl -s localhost:PORT/whoami

  computeladder up vm --detach --run-id try-vm
  computeladder down try-vm`,
		Args:      cobra.ExactArgs(1),
		ValidArgs: []string{"vm", "container", "lambda"},
		RunE: func(cmd *cobra.Command, args []string) error {
			v, err := deployers.ParseVariant(args[0])
			if err != nil {
				return kit.Usage(err)
			}
			if err := f.Validate(); err != nil {
				return err
			}
			if detach {
				return upDetached(cmd, &f, v)
			}
			return up(cmd, &f, v)
		},
	}
	f.Register(cmd.Flags())
	cmd.Flags().BoolVarP(&detach, "detach", "d", false, "run in the background; computeladder down RUN_ID stops it")
	return cmd
}

func up(cmd *cobra.Command, f *kit.TargetFlags, v deployers.Variant) (err error) {
	ctx := cmd.Context()
	out, stderr := cmd.OutOrStdout(), cmd.ErrOrStderr()
	if err := f.Confirm(cmd, []deployers.Variant{v}); err != nil {
		return err
	}
	set, err := targets.Open(ctx, f.Target, []deployers.Variant{v}, f.Options())
	if err != nil {
		return err
	}
	defer set.Close()
	dep := set.Deployers[v]
	s, err := f.Start(cmd, f.Target, []deployers.Deployer{dep})
	if err != nil {
		return err
	}
	run := kit.NewRun(s.RunID)
	defer func() {
		td := run.Finish(ctx)
		if td.Error != "" || len(td.Leftovers) > 0 {
			err = errors.Join(err, fmt.Errorf("teardown: %s (run `computeladder sweep --run-id %s`)", kit.Summary(td), s.RunID))
			return
		}
		fmt.Fprintf(stderr, "torn down in %s\n", td.Duration.Round(time.Millisecond))
	}()
	d, err := run.Deploy(ctx, dep, deployers.Spec{Artifacts: s.ByVariant[v], MemoryMB: f.MemoryMB})
	if err != nil {
		return fmt.Errorf("%s: %w", v, err)
	}
	fmt.Fprintf(stderr, "%s is up (%s): %s\n", v, dep.Info().Description, d.Phases)
	fmt.Fprintln(out, d.URL)
	fmt.Fprintf(stderr, "run id: %s\ntry: curl -s %s/whoami\nCtrl-C tears it down.\n", s.RunID, d.URL)
	w, ok := dep.(deployers.Watcher)
	if !ok {
		<-ctx.Done()
		return nil
	}
	tick := time.NewTicker(watchEvery)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
			if derr := w.Died(ctx, d); derr != nil && ctx.Err() == nil {
				fmt.Fprintf(stderr, "computeladder: the %s died: %v\n", v, derr)
				return fmt.Errorf("%s (run %s) died while up: %w", v, s.RunID, derr)
			}
		}
	}
}

// detachWait bounds how long `up --detach` waits for its background self
// to print the URL: a first build and a TCG boot take minutes.
const detachWait = 10 * time.Minute

// upDetached starts `up` again in the background, in a session of its own
// with its output in a log file, waits until it prints the URL, and
// returns. The background process owns the deployment: it watches it,
// and tears it down on SIGTERM (`computeladder down`).
func upDetached(cmd *cobra.Command, f *kit.TargetFlags, v deployers.Variant) error {
	// Ask here, where the terminal is: the background process cannot.
	if err := f.Confirm(cmd, []deployers.Variant{v}); err != nil {
		return err
	}
	if f.RunID == "" {
		f.RunID = kit.NewRunID()
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	logPath := filepath.Join(os.TempDir(), "computeladder-up-"+f.RunID+".log")
	logf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	defer logf.Close()
	args := []string{"up", string(v), "--run-id", f.RunID, "--target", f.Target, "--accel", f.Accel, "--quiet"}
	for _, fl := range []struct{ name, val string }{
		{"--arch", f.Arch}, {"--endpoint", f.Endpoint}, {"--region", f.Region}, {"--ingress", f.Ingress},
	} {
		if fl.val != "" {
			args = append(args, fl.name, fl.val)
		}
	}
	if f.MemoryMB != 0 {
		args = append(args, "--memory", fmt.Sprint(f.MemoryMB))
	}
	if f.Public {
		args = append(args, "--public-url")
	}
	if f.Target == "aws" {
		args = append(args, "--yes") // confirmed above
	}
	bg := exec.Command(self, args...)
	bg.Stdout, bg.Stderr = logf, logf
	bg.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := bg.Start(); err != nil {
		return fmt.Errorf("start in the background: %w", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- bg.Wait() }()
	deadline := time.After(detachWait)
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	for {
		if url := urlIn(logPath); url != "" {
			out := cmd.OutOrStdout()
			fmt.Fprintln(out, url)
			fmt.Fprintf(cmd.ErrOrStderr(), "%s is up in the background (pid %d, run id %s, log %s)\nstop it with: computeladder down %s\n",
				v, bg.Process.Pid, f.RunID, logPath, f.RunID)
			_ = bg.Process.Release()
			return nil
		}
		select {
		case err := <-exited:
			b, _ := os.ReadFile(logPath)
			return fmt.Errorf("the background up exited (%v) before it was up:\n%s", err, strings.TrimSpace(string(b)))
		case <-deadline:
			_ = bg.Process.Signal(syscall.SIGTERM)
			return fmt.Errorf("not up within %s: stopped it (log %s)", detachWait, logPath)
		case <-cmd.Context().Done():
			_ = bg.Process.Signal(syscall.SIGTERM)
			return cmd.Context().Err()
		case <-tick.C:
		}
	}
}

// urlIn returns the first line of the log that is a URL (what up prints
// on stdout), or "".
func urlIn(path string) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if l := sc.Text(); strings.HasPrefix(l, "http://") || strings.HasPrefix(l, "https://") {
			return l
		}
	}
	return ""
}
