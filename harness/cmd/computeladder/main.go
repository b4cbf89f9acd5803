// Command computeladder builds the app's artifacts, deploys them as a VM, a
// container and a function, measures them, and tears everything down.
// Each lab's command lives in the lab's folder under labs/; the harness's
// own subcommands each in a file here; root.go lists both.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/computeladder/computeladder/harness/kit"
	"github.com/computeladder/computeladder/harness/load"
)

func main() {
	// Started again as the load generator's worker process (see
	// load.RunIsolated), this executable does only that.
	load.ServeWorkerIfAsked()

	// The first Ctrl-C cancels the context: commands stop measuring and
	// tear down. The second stops waiting for that and sweeps.
	ctx, cancel := context.WithCancel(context.Background())
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		<-sigs
		fmt.Fprintln(os.Stderr, "computeladder: interrupted: tearing down (Ctrl-C again to stop waiting and sweep)")
		cancel()
		<-sigs
		// Commands that create resources set this to sweep their run.
		kit.SecondInterrupt()
		os.Exit(130)
	}()

	err := newRootCmd().ExecuteContext(ctx)
	cancel()
	if err != nil {
		fmt.Fprintln(os.Stderr, "computeladder:", err)
		if errors.Is(err, context.Canceled) {
			os.Exit(130)
		}
		os.Exit(kit.ExitCode(err))
	}
}
