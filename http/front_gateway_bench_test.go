package http

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"testing"
	"time"
)

// BenchmarkFrontGateway: the CPU of this process per function request
// served by the front and forwarded to an instance, from 8 kept-alive
// clients that write a fixed request and read the answer with
// http.ReadResponse. The instance is a net/http server in the same
// process, so the figure is the gateway's plus both ends': compare it
// between builds, and profile it with -focus frontConn to see the
// gateway alone: go test -run X -bench FrontGateway -memprofile m ./http
func BenchmarkFrontGateway(b *testing.B) {
	s, _ := newTestServer(b, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header()["Content-Type"] = []string{"text/plain"}
		_, _ = io.WriteString(w, "hello")
	}))
	addr := openFront(b, s)
	const request = "GET / HTTP/1.1\r\nHost: greet.localhost\r\nUser-Agent: Go-http-client/1.1\r\n\r\n"
	b.SetParallelism(4)
	b.ReportAllocs()
	cpu := benchCPU()
	b.RunParallel(func(pb *testing.PB) {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			b.Error(err)
			return
		}
		defer conn.Close()
		br := bufio.NewReader(conn)
		for pb.Next() {
			_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
			if _, err := io.WriteString(conn, request); err != nil {
				b.Error(err)
				return
			}
			resp, err := http.ReadResponse(br, nil)
			if err != nil {
				b.Error(err)
				return
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			if resp.StatusCode != http.StatusOK {
				b.Errorf("status %d", resp.StatusCode)
				return
			}
		}
	})
	b.ReportMetric(float64(benchCPU()-cpu)/float64(time.Microsecond)/float64(b.N), "cpu-µs/op")
}
