package http

import (
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// frontResponse is the front's http.ResponseWriter. Like net/http's, it
// holds a short answer back until the handler ends so that it goes out
// with a Content-Length, sniffs a missing Content-Type, adds Date, and
// chunks an answer of unknown length; Flush and the read and write
// deadlines work through http.ResponseController.
type frontResponse struct {
	c      *frontConn
	req    *http.Request
	header http.Header
	status int
	cl     int64 // the answer's Content-Length, -1 unknown
	// wroteHeader: the handler chose the status; sentHeader: the head is
	// in the connection's buffer.
	wroteHeader, sentHeader bool
	chunked                 bool
	written                 int64
	pend                    []byte // body held back before the head is sent
	closeAfter              bool
	err                     error
}

// frontHoldBack is how much of an answer is held back for a
// Content-Length, as net/http's bufferBeforeChunkingSize.
const frontHoldBack = 2048

func (w *frontResponse) Header() http.Header { return w.header }

func (w *frontResponse) WriteHeader(code int) {
	if w.wroteHeader || code < 200 {
		return // interim answers are not forwarded
	}
	w.wroteHeader, w.status = true, code
	if v := w.header["Content-Length"]; len(v) == 1 {
		if n, err := strconv.ParseInt(v[0], 10, 64); err == nil && n >= 0 {
			w.cl = n
		}
	}
	if hasToken(w.header["Connection"], "close") {
		w.closeAfter = true
	}
}

// bodyAllowed reports whether the answer has a body on the wire.
func (w *frontResponse) bodyAllowed() bool {
	return w.req.Method != http.MethodHead && w.status != http.StatusNoContent && w.status != http.StatusNotModified
}

func (w *frontResponse) Write(p []byte) (int, error) {
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	if w.err != nil {
		return 0, w.err
	}
	if !w.bodyAllowed() {
		if w.req.Method == http.MethodHead {
			return len(p), nil
		}
		return 0, http.ErrBodyNotAllowed
	}
	if !w.sentHeader {
		if w.cl < 0 && len(w.pend)+len(p) <= frontHoldBack && len(w.header["Trailer"]) == 0 {
			w.pend = append(w.pend, p...)
			return len(p), nil
		}
		w.sendHeader(false, p)
	}
	if w.cl >= 0 && w.written+int64(len(p)) > w.cl {
		w.closeAfter = true
		return 0, http.ErrContentLength
	}
	w.writeBody(p)
	if w.err != nil {
		return 0, w.err
	}
	return len(p), nil
}

func (w *frontResponse) writeBody(p []byte) {
	if len(p) == 0 {
		return
	}
	w.written += int64(len(p))
	bw := w.c.bw
	var err error
	if w.chunked {
		var size [20]byte
		_, _ = bw.Write(strconv.AppendInt(size[:0], int64(len(p)), 16))
		_, _ = bw.WriteString("\r\n")
	}
	_, err = bw.Write(p)
	if w.chunked && err == nil {
		_, err = bw.WriteString("\r\n")
	}
	w.fail(err)
}

func (w *frontResponse) fail(err error) {
	if err != nil && w.err == nil {
		w.err, w.closeAfter = err, true
	}
}

// sendHeader writes the head; final says the handler has ended, so that
// a held-back answer gets its Content-Length. data is the answer's first
// bytes, for a missing Content-Type.
func (w *frontResponse) sendHeader(final bool, data []byte) {
	w.sentHeader = true
	h := w.header
	body := w.bodyAllowed()
	switch {
	case w.cl >= 0 || !body && w.req.Method != http.MethodHead || w.status == http.StatusNoContent || w.status == http.StatusNotModified:
	case final && len(h["Trailer"]) == 0:
		w.cl = int64(len(w.pend))
		h["Content-Length"] = []string{strconv.Itoa(len(w.pend))}
	case w.req.Method != http.MethodHead:
		w.chunked = true
	}
	if _, ok := h["Content-Type"]; !ok && body && len(h["Content-Encoding"]) == 0 {
		if len(w.pend) > 0 {
			data = w.pend
		}
		if len(data) > 0 {
			h["Content-Type"] = []string{http.DetectContentType(data)}
		}
	}
	bw := w.c.bw
	_, _ = bw.WriteString("HTTP/1.1 ")
	var num [8]byte
	_, _ = bw.Write(strconv.AppendInt(num[:0], int64(w.status), 10))
	_ = bw.WriteByte(' ')
	if text := http.StatusText(w.status); text != "" {
		_, _ = bw.WriteString(text)
	} else {
		_, _ = bw.WriteString("status code ")
		_, _ = bw.Write(strconv.AppendInt(num[:0], int64(w.status), 10))
	}
	_, _ = bw.WriteString("\r\n")
	for k, vv := range h {
		if strings.HasPrefix(k, http.TrailerPrefix) || k == "Transfer-Encoding" || k == "Connection" {
			continue
		}
		for _, v := range vv {
			writeHeaderLine(w, k, v)
		}
	}
	if _, ok := h["Date"]; !ok {
		writeHeaderLine(w, "Date", httpDate())
	}
	if w.chunked {
		_, _ = bw.WriteString("Transfer-Encoding: chunked\r\n")
	}
	if w.closeAfter {
		_, _ = bw.WriteString("Connection: close\r\n")
	}
	_, err := bw.WriteString("\r\n")
	w.fail(err)
	pend := w.pend
	w.pend = nil
	w.writeBody(pend)
}

func writeHeaderLine(w *frontResponse, k, v string) {
	bw := w.c.bw
	_, _ = bw.WriteString(k)
	_, _ = bw.WriteString(": ")
	// A value set by a handler cannot break the head (net/http does the
	// same): line breaks become spaces.
	if strings.ContainsAny(v, "\r\n") {
		v = strings.NewReplacer("\r", " ", "\n", " ").Replace(v)
	}
	_, _ = bw.WriteString(v)
	_, _ = bw.WriteString("\r\n")
}

// FlushError sends what the answer has so far (http.ResponseController).
func (w *frontResponse) FlushError() error {
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	if !w.sentHeader {
		w.sendHeader(false, nil)
	}
	if w.err != nil {
		return w.err
	}
	w.fail(w.c.bw.Flush())
	return w.err
}

func (w *frontResponse) Flush() { _ = w.FlushError() }

func (w *frontResponse) SetReadDeadline(t time.Time) error  { return w.c.Conn.SetReadDeadline(t) }
func (w *frontResponse) SetWriteDeadline(t time.Time) error { return w.c.Conn.SetWriteDeadline(t) }

// finish completes the answer once the handler has ended.
func (w *frontResponse) finish() {
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	if !w.sentHeader {
		w.sendHeader(true, nil)
	}
	bw := w.c.bw
	if w.chunked {
		_, _ = bw.WriteString("0\r\n")
		for k, vv := range w.header {
			name, ok := strings.CutPrefix(k, http.TrailerPrefix)
			if !ok {
				continue
			}
			for _, v := range vv {
				writeHeaderLine(w, name, v)
			}
		}
		_, _ = bw.WriteString("\r\n")
	}
	w.fail(bw.Flush())
	if w.cl >= 0 && w.written < w.cl && w.bodyAllowed() {
		w.closeAfter = true // the client waits for bytes that will not come
	}
}

// httpDate is the Date header's value, formatted once a second.
func httpDate() string {
	now := time.Now().Unix()
	if d := cachedDate.Load(); d != nil && d.unix == now {
		return d.text
	}
	d := &dateText{unix: now, text: time.Unix(now, 0).UTC().Format(http.TimeFormat)}
	cachedDate.Store(d)
	return d.text
}

type dateText struct {
	unix int64
	text string
}

var cachedDate atomic.Pointer[dateText]
