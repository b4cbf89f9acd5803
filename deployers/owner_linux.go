package deployers

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// ProcessStart is the start time of process pid as the kernel records it:
// field 22 of /proc/PID/stat, clock ticks since boot. A zombie counts as
// gone.
func ProcessStart(pid int) (string, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return "", err
	}
	return statStart(string(b))
}

// statStart reads the state (field 3) and start time (field 22) from a
// /proc/PID/stat line. Field 2, the command name in parentheses, may hold
// spaces and parentheses itself: the fields after it follow its last ')'.
func statStart(stat string) (string, error) {
	i := strings.LastIndexByte(stat, ')')
	if i < 0 {
		return "", errors.New("proc stat: no command name")
	}
	f := strings.Fields(stat[i+1:]) // f[0] is field 3
	if len(f) < 20 {
		return "", fmt.Errorf("proc stat: %d fields after the command name, want at least 20", len(f))
	}
	if f[0] == "Z" || f[0] == "X" {
		return "", errors.New("process is a zombie")
	}
	if _, err := strconv.ParseUint(f[19], 10, 64); err != nil {
		return "", fmt.Errorf("proc stat: start time %q: %w", f[19], err)
	}
	return f[19], nil
}
