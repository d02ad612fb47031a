package http

import (
	"io"
	"time"
)

// lingerWait bounds how long a connection is drained after an answer to
// a request whose body was not read, as net/http's rstAvoidanceDelay.
const lingerWait = 500 * time.Millisecond

// lingerClose ends a connection whose client may still be sending the
// body of a request already answered (a 413 decided from its
// Content-Length, say). Closed at once, with bytes unread, the kernel
// resets the connection, and a reset can reach the client before it
// reads the answer: it saw "broken pipe" instead of the 413 (TestGateway
// "body over 6 MB is 413" in CI). So: half-close, so the client reads the
// answer and the end of it, then read and drop what it still sends until
// it closes too, or lingerWait has passed.
func (c *frontConn) lingerClose() {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		_ = cw.CloseWrite()
	}
	_ = c.Conn.SetReadDeadline(time.Now().Add(lingerWait))
	_, _ = io.Copy(io.Discard, c.Conn)
}
