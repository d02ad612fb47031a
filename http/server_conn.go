package http

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"

	"github.com/lambdahq/lambda"
)

// net/http answers requests it cannot parse (headers over MaxHeaderBytes,
// a malformed request line, an unknown transfer encoding) before any
// handler runs, in plain text written straight to the connection. So that
// clients get the JSON error every other answer carries, the listener's
// connections recognise those answers on their way out and rewrite them.
// The pattern is net/http's error shape (status line, then exactly
// plainErrorHeaders); a handler's answer cannot match it, since net/http
// writes a handler's headers sorted, Connection before Content-Type. A test
// (TestServerPlainErrorsAreJSON) notices if a Go release changes the shape.
const plainErrorHeaders = "\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n"

type jsonErrorListener struct {
	net.Listener
	maxHeaderBytes int
}

func (l jsonErrorListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &jsonErrorConn{Conn: c, maxHeaderBytes: l.maxHeaderBytes}, nil
}

type jsonErrorConn struct {
	net.Conn
	maxHeaderBytes int
}

func (c *jsonErrorConn) Write(p []byte) (int, error) {
	if j, ok := plainErrorAsJSON(p, c.maxHeaderBytes); ok {
		if _, err := c.Conn.Write(j); err != nil {
			return 0, err
		}
		return len(p), nil
	}
	return c.Conn.Write(p)
}

// CloseWrite keeps net/http's half-close before it hangs up on a client
// whose headers were too large, so the client can read the answer.
func (c *jsonErrorConn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}

// plainErrorAsJSON returns the JSON version of one of net/http's own plain
// text error answers, or false when p is anything else.
func plainErrorAsJSON(p []byte, maxHeaderBytes int) ([]byte, bool) {
	const proto = "HTTP/1.1 "
	if len(p) < len(proto)+3 || string(p[:len(proto)]) != proto {
		return nil, false
	}
	eol := bytes.Index(p, []byte("\r\n"))
	if eol < 0 || !bytes.HasPrefix(p[eol:], []byte(plainErrorHeaders)) {
		return nil, false
	}
	status, err := strconv.Atoi(string(p[len(proto) : len(proto)+3]))
	if err != nil || status < 400 {
		return nil, false
	}
	text := string(p[eol+len(plainErrorHeaders):])
	// "400 Bad Request: missing required Host header" → the detail.
	detail := strings.TrimPrefix(text, fmt.Sprintf("%d %s", status, http.StatusText(status)))
	detail = strings.TrimPrefix(detail, ": ")
	code, msg := lambda.EINVALID, "malformed HTTP request"
	switch {
	case status == http.StatusRequestHeaderFieldsTooLarge:
		code, msg = lambda.ETOOLARGE, fmt.Sprintf("the request line and headers are over the server's limit of %d KB", maxHeaderBytes>>10)
	case status == http.StatusNotImplemented:
		code, msg = lambda.ENOTIMPLEMENTED, "unsupported transfer encoding: send the body with Content-Length or chunked"
	case status >= 500:
		code = lambda.EINTERNAL
	}
	if detail != "" && status != http.StatusRequestHeaderFieldsTooLarge && status != http.StatusNotImplemented {
		msg += ": " + detail
	}
	body, _ := json.Marshal(ErrorResponse{Error: ErrorBody{Code: code, Message: msg}})
	body = append(body, '\n')
	var b bytes.Buffer
	fmt.Fprintf(&b, "HTTP/1.1 %d %s\r\nContent-Type: application/json\r\nX-Content-Type-Options: nosniff\r\n%s: %s\r\nContent-Length: %d\r\nConnection: close\r\n\r\n",
		status, http.StatusText(status), ErrorHeader, code, len(body))
	b.Write(body)
	return b.Bytes(), true
}
