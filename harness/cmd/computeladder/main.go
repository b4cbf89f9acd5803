// Command computeladder builds the app's artifacts, deploys them as a VM, a
// container and a function, measures them, and tears everything down.
// Each subcommand lives in its own file; see root.go for the list.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"sync/atomic"
	"syscall"

	"github.com/computeladder/computeladder/harness/load"
)

// onSecondInterrupt is what a second Ctrl-C does: commands that create
// resources set it to sweep their run and exit.
var onSecondInterrupt atomic.Pointer[func()]

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
		if f := onSecondInterrupt.Load(); f != nil {
			(*f)()
		}
		os.Exit(130)
	}()

	err := newRootCmd().ExecuteContext(ctx)
	cancel()
	if err != nil {
		fmt.Fprintln(os.Stderr, "computeladder:", err)
		if errors.Is(err, context.Canceled) {
			os.Exit(130)
		}
		os.Exit(exitCode(err))
	}
}
