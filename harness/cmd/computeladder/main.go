// Command computeladder builds the app's artifacts, deploys them as a VM, a
// container and a function, measures them, and tears everything down.
// Each subcommand lives in its own file; see root.go for the list.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	// Ctrl-C cancels the context so that commands tear down before exiting.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := newRootCmd().ExecuteContext(ctx)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "computeladder:", err)
		os.Exit(1)
	}
}
