package main

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/lambdahq/lambda"
)

// defaultStandbyMemory is --standby-memory's default: a quarter of the
// host's memory may be held by paused instances.
const defaultStandbyMemory = "25%"

// parseStandbyMemory reads --standby-memory: a size (512m, 2g), a
// percentage of the host's memory (25%), or 0, which disables paused
// standby (idle instances stop at their idle timeout).
func parseStandbyMemory(s string, hostMemory func() (int64, error)) (int64, error) {
	s = strings.TrimSpace(s)
	if s == "0" {
		return 0, nil
	}
	if pct, ok := strings.CutSuffix(s, "%"); ok {
		p, err := strconv.ParseFloat(pct, 64)
		if err != nil || p <= 0 || p > 100 {
			return 0, fmt.Errorf("--standby-memory %q is invalid: use a percentage of the host's memory from 0 to 100 like 25%%, a size like 2g, or 0 to disable paused standby", s)
		}
		total, err := hostMemory()
		if err != nil {
			return 0, fmt.Errorf("--standby-memory %s: cannot read the host's memory (%v): give a size like 2g instead, or 0 to disable paused standby", s, err)
		}
		return int64(float64(total) * p / 100), nil
	}
	n, err := lambda.ParseBytes(s)
	if err != nil {
		return 0, fmt.Errorf("--standby-memory %q is invalid: use a size like 2g, a percentage of the host's memory like 25%%, or 0 to disable paused standby", s)
	}
	return n, nil
}

// hostMemory reads MemTotal from /proc/meminfo: the memory of the host
// the server runs on, which is Docker's on the usual single-host setup.
func hostMemory() (int64, error) {
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) >= 2 && fields[0] == "MemTotal:" {
			kb, err := strconv.ParseInt(fields[1], 10, 64)
			if err != nil || kb <= 0 {
				return 0, fmt.Errorf("/proc/meminfo: MemTotal %q is not a number of kB", fields[1])
			}
			return kb << 10, nil
		}
	}
	if err := sc.Err(); err != nil {
		return 0, err
	}
	return 0, fmt.Errorf("/proc/meminfo has no MemTotal")
}
