//go:build !linux

package main

import "os"

// Outside Linux the adapter is never an init: these are no-ops.
func mountProc() error  { return nil }
func initSystem() error { return nil }

// uptime is the guest's clock on Linux; elsewhere the markers go without.
func uptime() string { return "" }

func halt(err error) {
	if err != nil {
		os.Exit(1)
	}
	os.Exit(0)
}
