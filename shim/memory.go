package shim

import (
	"strconv"
	"sync"
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

// peak is the cgroup file found first, kept open: each answer rereads it
// from offset 0 (the kernel renders it afresh), one pread.
var peak struct {
	once sync.Once
	fd   int // -1: none readable
}

func openPeak() {
	peak.fd = -1
	for _, p := range peakFiles {
		fd, err := syscall.Open(p, syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
		if err != nil {
			continue
		}
		var buf [32]byte
		if n, err := syscall.Pread(fd, buf[:], 0); err == nil && n > 0 {
			if _, ok := parsePeak(buf[:n]); ok {
				peak.fd = fd
				return
			}
		}
		syscall.Close(fd)
	}
}

// peakMemory returns the container's peak memory use in bytes, or "" when
// no cgroup file says it (a kernel older than 5.19 on cgroup v2, or the
// shim running outside a container).
func peakMemory() string {
	peak.once.Do(openPeak)
	if peak.fd < 0 {
		return ""
	}
	var buf [32]byte
	n, err := syscall.Pread(peak.fd, buf[:], 0)
	if err != nil || n <= 0 {
		return ""
	}
	v, _ := parsePeak(buf[:n])
	return v
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
