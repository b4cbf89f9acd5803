//go:build linux

package main

import (
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"golang.org/x/sys/unix"
)

// isInit reports whether the adapter is the VM's init: the kernel started
// it as /init of an initramfs, and nothing else has set up the system.
func isInit() bool { return os.Getpid() == 1 }

// mountProc mounts /proc first, alone, before the "started" marker: the
// rest of an init's mounts follow it (initSystem).
func mountProc() error {
	if !isInit() {
		return nil
	}
	return mount("proc", "/proc", "proc", syscall.MS_NOSUID|syscall.MS_NODEV|syscall.MS_NOEXEC)
}

// initSystem does the rest of an init's job: /sys, /dev and reaping.
func initSystem() error {
	if !isInit() {
		return nil
	}
	if err := mount("sysfs", "/sys", "sysfs", syscall.MS_NOSUID|syscall.MS_NODEV|syscall.MS_NOEXEC); err != nil {
		return err
	}
	if err := mount("devtmpfs", "/dev", "devtmpfs", syscall.MS_NOSUID); err != nil {
		return err
	}
	go reap()
	return nil
}

func mount(source, target, fstype string, flags uintptr) error {
	if err := os.MkdirAll(target, 0o755); err != nil {
		return fmt.Errorf("mount %s: %w", target, err)
	}
	// EBUSY: the kernel (CONFIG_DEVTMPFS_MOUNT) or a previous init got there first.
	if err := syscall.Mount(source, target, fstype, flags, ""); err != nil && !errors.Is(err, syscall.EBUSY) {
		return fmt.Errorf("mount %s: %w", target, err)
	}
	return nil
}

// reap waits for every child that exits: orphans are re-parented to PID 1,
// and unreaped they would stay zombies for the life of the VM.
func reap() {
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGCHLD)
	for range sigs {
		for {
			var ws syscall.WaitStatus
			pid, err := syscall.Wait4(-1, &ws, syscall.WNOHANG, nil)
			if errors.Is(err, syscall.EINTR) {
				continue
			}
			if err != nil || pid <= 0 {
				break
			}
		}
	}
}

// halt ends the process. As PID 1 a plain exit would panic the kernel, so
// after a clean shutdown it powers the VM off; after an error it exits 1 and
// lets the kernel panic, which stops a VM run with panic=-1 and -no-reboot.
func halt(err error) {
	if err != nil {
		os.Exit(1)
	}
	if !isInit() {
		os.Exit(0)
	}
	syscall.Sync()
	err = syscall.Reboot(syscall.LINUX_REBOOT_CMD_POWER_OFF)
	fmt.Fprintln(os.Stderr, "computeladder-vm: power off:", err)
	os.Exit(1)
}

// uptime returns " uptime=<seconds since boot>" to the microsecond: the
// clock of /proc/uptime (CLOCK_BOOTTIME), which the started marker needs
// to date the kernel's start, read without /proc. "" if it cannot be read.
func uptime() string {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_BOOTTIME, &ts); err != nil {
		return ""
	}
	return fmt.Sprintf(" uptime=%d.%06d", ts.Sec, ts.Nsec/1000)
}
