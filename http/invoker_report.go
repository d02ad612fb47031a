package http

import (
	"net/http"
	"strconv"

	"github.com/lambdahq/lambda"
)

// HeaderMaxMemoryUsed is the shim's word, on every answer, of its
// container's peak memory use in bytes (docs/runtime-contract.md), for the
// REPORT line's Max Memory Used. The invoker strips it.
const HeaderMaxMemoryUsed = "X-Lambda-Max-Memory-Used"

// leaseRecord copies into rec what the REPORT line needs of lease.
func leaseRecord(rec *lambda.Invocation, lease *lambda.Lease) {
	rec.Instance = lease.Instance
	rec.MemoryMB = int(lease.MemoryBytes >> 20)
}

// maxMemoryUsed strips the shim's HeaderMaxMemoryUsed from h and returns
// it in MB, rounded up (0: absent or not the shim's). The answer of an
// http function (no shim) is the function's own: its header is dropped
// unread, as a function does not get to write the platform's REPORT.
func maxMemoryUsed(h http.Header, lease *lambda.Lease) int {
	v := h.Get(HeaderMaxMemoryUsed)
	if v == "" {
		return 0
	}
	h.Del(HeaderMaxMemoryUsed)
	if !lease.Shim {
		return 0
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n <= 0 {
		return 0
	}
	return int((n + 1<<20 - 1) >> 20)
}

// HeaderRuntimeExit is the shim's word, on the answer to an invocation its
// function's process did not survive, of how the process ended ("exit
// status 1", "signal: killed"), for Lambda's "Runtime exited" line and the
// REPORT's Error Type (docs/runtime-contract.md). The invoker strips it.
const HeaderRuntimeExit = "X-Lambda-Runtime-Exit"

// runtimeExit strips the shim's HeaderRuntimeExit from h and returns it
// for Invocation.RuntimeExit ("": absent, or not the shim's: an http
// function does not get to say it crashed).
func runtimeExit(h http.Header, lease *lambda.Lease) string {
	v := h.Get(HeaderRuntimeExit)
	if v == "" {
		return ""
	}
	h.Del(HeaderRuntimeExit)
	if !lease.Shim {
		return ""
	}
	return lambda.ParseRuntimeExit(v)
}
