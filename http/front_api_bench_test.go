package http

import (
	"bytes"
	"io"
	"log/slog"
	"net/http"
	"syscall"
	"testing"
	"time"
)

// BenchmarkSubmission: the CPU of this process (server and client) per
// asynchronous submission into an in-memory queue, served by the front
// and by net/http (the connection handed over by a listing first), from
// 16 clients at once.
func BenchmarkSubmission(b *testing.B) {
	for _, tt := range []struct {
		name    string
		handOff bool
	}{{"front", false}, {"net-http", true}} {
		b.Run(tt.name, func(b *testing.B) {
			s, _ := newAsyncServer(b)
			s.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
			addr := openFront(b, s)
			base := "http://" + addr + "/v1/functions/greet/invocations"
			b.SetParallelism(8)
			cpu := benchCPU()
			b.RunParallel(func(pb *testing.PB) {
				client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1}}
				if tt.handOff {
					resp, err := client.Get(base)
					if err != nil {
						b.Error(err)
						return
					}
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
				}
				body := []byte(`{}`)
				for pb.Next() {
					resp, err := client.Post(base, "application/json", bytes.NewReader(body))
					if err != nil {
						b.Error(err)
						return
					}
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode != http.StatusAccepted {
						b.Errorf("status %d", resp.StatusCode)
						return
					}
				}
			})
			b.ReportMetric(float64(benchCPU()-cpu)/float64(time.Microsecond)/float64(b.N), "cpu-µs/op")
		})
	}
}

// benchCPU is the CPU time this process has used.
func benchCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
