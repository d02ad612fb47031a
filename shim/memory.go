package shim

import (
	"strconv"
	"syscall"
)

// hdrMaxMemoryUsed carries, on every answer, the container's peak memory
// use in bytes since it started, for the REPORT line's Max Memory Used (as
// on Lambda, the peak of the instance, not of the one invocation).
const hdrMaxMemoryUsed = "X-Lambda-Max-Memory-Used"

// peakFiles are where the container's cgroup keeps its peak memory use:
// cgroup v2, then v1 (Docker mounts the container's own cgroup there).
var peakFiles = []string{
	"/sys/fs/cgroup/memory.peak",
	"/sys/fs/cgroup/memory/memory.max_usage_in_bytes",
}

// peakMemory returns the container's peak memory use in bytes, or "" when
// no cgroup file says it (the kernel is older than 5.19 on cgroup v2, or
// the shim runs outside a container). One open, read and close of a
// kernel file: a few microseconds per invocation.
func peakMemory() string {
	var buf [32]byte
	for _, p := range peakFiles {
		fd, err := syscall.Open(p, syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
		if err != nil {
			continue
		}
		n, err := syscall.Read(fd, buf[:])
		syscall.Close(fd)
		if err != nil || n <= 0 {
			continue
		}
		if v, ok := parsePeak(buf[:n]); ok {
			return v
		}
	}
	return ""
}

// parsePeak reads a cgroup counter: decimal bytes and a newline.
func parsePeak(b []byte) (string, bool) {
	for len(b) > 0 && (b[len(b)-1] == '\n' || b[len(b)-1] == ' ') {
		b = b[:len(b)-1]
	}
	if _, err := strconv.ParseUint(string(b), 10, 63); err != nil {
		return "", false
	}
	return string(b), true
}
