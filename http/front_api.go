package http

import (
	"net/http"
	"strings"
)

// The front also serves the invocations of the control API, synchronous
// (POST /v1/functions/NAME/invoke) and asynchronous (POST
// /v1/functions/NAME/invocations): an asynchronous job is a submission
// and an invocation, and net/http's per-request costs (its background
// read, its context pair, its response writer) were a tenth of a job's
// CPU, more than for the synchronous request a job is measured against
// (docs/performance.md, "fifth pass"). The invoke route is the
// submission's companion: a client that calls both on one connection
// would otherwise have it handed to net/http at its first call. The same
// handler serves them, with their authentication, access log and
// limits: only the connection's framing differs, as for function
// requests.

// isFrontInvocation reports whether a request with method and path (its
// target without the query, as sent) is an invocation of the control API.
func isFrontInvocation(method, path string) bool {
	if method != http.MethodPost {
		return false
	}
	name, ok := strings.CutPrefix(path, "/v1/functions/")
	if !ok {
		return false
	}
	if n, ok := strings.CutSuffix(name, "/invocations"); ok {
		name = n
	} else if name, ok = strings.CutSuffix(name, "/invoke"); !ok {
		return false
	}
	return name != "" && !strings.Contains(name, "/")
}

// bodyBuffered reports whether the whole body of r, whose head is headLen
// bytes, is in the connection's buffer. The front serves only such API
// invocations: a body still on its way (a large event, a chunked or slow
// one) is net/http's to read, under its limits, and one the handler
// refuses unread is never left in the socket behind a closed connection.
func (c *frontConn) bodyBuffered(r *http.Request, headLen int) bool {
	return r.ContentLength >= 0 && len(r.TransferEncoding) == 0 &&
		int64(c.br.Buffered()-headLen) >= r.ContentLength
}

// targetPath is a request target's path, as sent: without its query, not
// unescaped.
func targetPath(target string) string {
	path, _, _ := strings.Cut(target, "?")
	return path
}
