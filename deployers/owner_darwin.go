package deployers

import (
	"errors"
	"strconv"

	"golang.org/x/sys/unix"
)

// szomb is a zombie's p_stat (<sys/proc.h>).
const szomb = 5

// ProcessStart is the start time of process pid as the kernel records it:
// sysctl kern.proc.pid's p_starttime, in microseconds since the epoch. A
// zombie counts as gone.
func ProcessStart(pid int) (string, error) {
	kp, err := unix.SysctlKinfoProc("kern.proc.pid", pid)
	if err != nil {
		return "", err
	}
	if int(kp.Proc.P_pid) != pid {
		return "", errors.New("no such process")
	}
	if kp.Proc.P_stat == szomb {
		return "", errors.New("process is a zombie")
	}
	t := kp.Proc.P_starttime
	return strconv.FormatInt(int64(t.Sec)*1_000_000+int64(t.Usec), 10), nil
}
