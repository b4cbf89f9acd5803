// Command vm is the VM adapter. On a cloud VM systemd runs it (see
// computeladder.service); in a local microVM it is the initramfs's /init, so
// as PID 1 it also does the little an init must: mount /proc, /sys and /dev,
// and reap orphans. It prints three marker lines to the console — started,
// listening, and answered (its first request served) — which the QEMU
// deployer parses for its startup timeline. Each carries the guest's own
// clock at the event (uptime=, seconds since boot), read before the line is
// formatted and sent through the emulated UART, so that the deployer can
// place the event where it happened rather than where its line arrived.
package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/computeladder/computeladder/app"
	"github.com/computeladder/computeladder/app/adapters/httpserve"
	"github.com/computeladder/computeladder/app/adapters/internal/pgstore"
)

func main() {
	err := run()
	if err != nil {
		fmt.Fprintln(os.Stderr, "computeladder-vm: fatal:", err)
	}
	// As PID 1, returning from main would panic the kernel by accident:
	// halt powers the VM off on purpose (and exits when not PID 1).
	halt(err)
}

func run() error {
	started := time.Now()
	if err := mountProc(); err != nil {
		return err
	}
	fmt.Printf("computeladder-vm: started pid=%d%s\n", os.Getpid(), uptime())
	if err := initSystem(); err != nil {
		return err
	}
	addr, err := httpserve.Addr(os.Getenv("PORT"))
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	orders, closeOrders, err := pgstore.FromEnv(ctx)
	if err != nil {
		return err
	}
	defer closeOrders()
	h := app.New(app.Config{Platform: app.PlatformVM, Started: started, Orders: orders})
	return httpserve.Serve(ctx, h, httpserve.Options{
		Addr:   addr,
		Logger: slog.New(slog.NewTextHandler(os.Stderr, nil)),
		OnListen: func(a net.Addr) {
			up := uptime() // the moment it bound, before the line is formatted
			fmt.Printf("computeladder-vm: listening addr=%s%s\n", a, up)
		},
		OnFirstResponse: func() { fmt.Printf("computeladder-vm: answered%s\n", uptime()) },
	})
}
