package http

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/lambdahq/lambda"
)

type nopObserver struct{}

func (nopObserver) ObserveInvocation(*lambda.Invocation) {}

// BenchmarkGatewayObservers compares a warm gateway request without
// observers and with one: the record lives in the request's state, so an
// observer must add no allocation (allocs/op equal):
// go test -run X -bench GatewayObservers -benchmem ./http
func BenchmarkGatewayObservers(b *testing.B) {
	backend := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, `{}`) })
	for _, n := range []int{0, 1} {
		b.Run(fmt.Sprintf("observers=%d", n), func(b *testing.B) {
			s, r := newTestServer(b, backend)
			s.Invoker = NewInvoker(r, discardLogger())
			for range n {
				s.Invoker.Observers = append(s.Invoker.Observers, nopObserver{})
			}
			addr, _ := openGateway(b, s)
			client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1}}
			b.ReportAllocs()
			for b.Loop() {
				resp, err := client.Get("http://" + addr + "/fn/greet/")
				if err != nil {
					b.Fatal(err)
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
		})
	}
}

// BenchmarkInvokeDirect measures a warm direct invocation (Invoker.Invoke),
// the path of lambda invoke, the Invoke API, cron and async workers.
func BenchmarkInvokeDirect(b *testing.B) {
	backend := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = io.Copy(w, r.Body) })
	_, r := newTestServer(b, backend)
	iv := NewInvoker(r, discardLogger())
	payload := []byte(`{"name":"` + strings.Repeat("x", 100) + `"}`)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := iv.Invoke(context.Background(), &lambda.InvokeRequest{Function: "greet", Payload: payload}); err != nil {
			b.Fatal(err)
		}
	}
}
