package http

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

// A function that streams (no Content-Length, or server-sent events) must
// reach the client chunk by chunk: the backend below writes its second
// chunk only once the client has read the first through the gateway.
func TestGatewayStreams(t *testing.T) {
	for _, contentType := range []string{"text/plain", "text/event-stream"} {
		t.Run(contentType, func(t *testing.T) {
			firstSeen := make(chan struct{})
			backend := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", contentType)
				fmt.Fprint(w, "first\n")
				w.(http.Flusher).Flush()
				select {
				case <-firstSeen:
					fmt.Fprint(w, "second\n")
				case <-time.After(5 * time.Second):
					fmt.Fprint(w, "timeout\n")
				}
			})
			s, _ := newTestServer(t, backend)
			s.Addr = "127.0.0.1:0"
			if err := s.Open(context.Background()); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = s.Close(context.Background()) })

			req, _ := http.NewRequest(http.MethodGet, fmt.Sprintf("http://127.0.0.1:%d/", s.Port()), nil)
			req.Host = "greet.localhost"
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			r := bufio.NewReader(resp.Body)
			line, err := r.ReadString('\n')
			if err != nil || line != "first\n" {
				t.Fatalf("first line = %q, %v", line, err)
			}
			close(firstSeen)
			rest, _ := r.ReadString('\n')
			if strings.TrimSpace(rest) != "second" {
				t.Errorf("second line = %q: the gateway held the first chunk back", rest)
			}
		})
	}
}
