package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	prom "github.com/prometheus/client_golang/prometheus"

	"github.com/lambdahq/lambda"
	lhttp "github.com/lambdahq/lambda/http"
	"github.com/lambdahq/lambda/prometheus"
)

// warmRouter leases the one instance at addr, warm, to every request.
type warmRouter struct{ addr string }

func (r warmRouter) Acquire(context.Context, string) (*lambda.Lease, error) {
	return &lambda.Lease{Function: "greet", Version: 1, Addr: r.addr, Timeout: 10 * time.Second, Wait: time.Microsecond, Done: func(bool) {}}, nil
}

// BenchmarkGatewayMetrics is what the metrics cost a warm request through
// the real gateway, against the same gateway without observers:
// go test ./cmd/lambda -run X -bench GatewayMetrics -benchmem -count 5
func BenchmarkGatewayMetrics(b *testing.B) {
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte("ok"))
	}))
	defer backend.Close()
	router := warmRouter{addr: backend.Listener.Addr().String()}
	logger := slog.New(slog.DiscardHandler)
	for _, withMetrics := range []bool{false, true} {
		b.Run(fmt.Sprintf("metrics=%v", withMetrics), func(b *testing.B) {
			iv := lhttp.NewInvoker(router, logger)
			if withMetrics {
				iv.Observers = lambda.Observers{prometheus.New(prom.NewRegistry(), prometheus.Sources{})}
			}
			srv := lhttp.NewServer()
			srv.Addr, srv.Logger, srv.Router, srv.Invoker = "127.0.0.1:0", logger, router, iv
			if err := srv.Open(context.Background()); err != nil {
				b.Fatal(err)
			}
			defer srv.Close(context.Background())
			url := fmt.Sprintf("http://127.0.0.1:%d/fn/greet/", srv.Port())
			client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1}}
			b.ReportAllocs()
			for b.Loop() {
				resp, err := client.Get(url)
				if err != nil {
					b.Fatal(err)
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 {
					b.Fatalf("status %d", resp.StatusCode)
				}
			}
		})
	}
}
