package http

import (
	"bytes"
	"errors"
	"io"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/lambdahq/lambda"
)

// Bodies of every size class, with a length or chunked, arrive intact; a
// reader left with the Transport after release fails instead of reading a
// buffer another request now owns.
func TestReadPayload(t *testing.T) {
	for _, size := range []int{1, 16 << 10, 16<<10 + 1, 200 << 10, 1 << 20, 1<<20 + 1, lambda.MaxPayloadBytes} {
		for _, chunked := range []bool{false, true} {
			body := bytes.Repeat([]byte("0123456789abcdef"), size/16+1)[:size]
			req := httptest.NewRequest("POST", "/", bytes.NewReader(body))
			if chunked {
				req.ContentLength = -1
			}
			p, err := readPayload(httptest.NewRecorder(), req, 0)
			if err != nil {
				t.Fatalf("%d bytes (chunked %v): %v", size, chunked, err)
			}
			r := p.reader()
			got, err := io.ReadAll(r)
			if err != nil || !bytes.Equal(got, body) {
				t.Errorf("%d bytes (chunked %v): read %d bytes, %v", size, chunked, len(got), err)
			}
			late := p.reader()
			p.release()
			if _, err := late.Read(make([]byte, 1)); !errors.Is(err, errPayloadReleased) {
				t.Errorf("read after release: %v", err)
			}
		}
	}
}

func TestReadPayloadLimits(t *testing.T) {
	tests := []struct {
		name string
		body io.Reader
		cl   int64
		code string
	}{
		{"chunked over 6 MB", strings.NewReader(strings.Repeat("x", lambda.MaxPayloadBytes+1)), -1, lambda.ETOOLARGE},
		{"length over 6 MB", strings.NewReader(""), lambda.MaxPayloadBytes + 1, lambda.ETOOLARGE},
		{"longer than its length", strings.NewReader("abcdef"), 3, lambda.EINVALID},
		{"shorter than its length", strings.NewReader("ab"), 3, lambda.EINVALID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest("POST", "/", tt.body)
			req.ContentLength = tt.cl
			_, err := readPayload(httptest.NewRecorder(), req, 0)
			if lambda.ErrorCode(err) != tt.code {
				t.Errorf("error %v, want code %s", err, tt.code)
			}
		})
	}
}
