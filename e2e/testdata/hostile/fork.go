package main

import "syscall"

// forkBomb forks up to max children that block without touching the Go
// runtime (a raw clone, then ppoll), so that the pids limit, not memory,
// stops it. It then kills and reaps them, so the function serves on, and
// returns how many it made and the error that stopped it.
func forkBomb(max int) (int, error) {
	var pids []int
	var err error
	for len(pids) < max {
		pid, _, errno := syscall.RawSyscall(syscall.SYS_CLONE, uintptr(syscall.SIGCHLD), 0, 0)
		if errno != 0 {
			err = errno
			break
		}
		if pid == 0 {
			for {
				syscall.RawSyscall6(syscall.SYS_PPOLL, 0, 0, 0, 0, 0, 0)
			}
		}
		pids = append(pids, int(pid))
	}
	for _, pid := range pids {
		_ = syscall.Kill(pid, syscall.SIGKILL)
		var ws syscall.WaitStatus
		_, _ = syscall.Wait4(pid, &ws, 0, nil)
	}
	return len(pids), err
}
