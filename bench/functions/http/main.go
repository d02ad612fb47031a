// Command http is the http function of `lambda bench`: it answers every
// request with a fixed two-byte body, the least work a function can do, so
// that the bench measures the platform rather than the function.
//
// One event is different: to ClockEvent (bench.ClockEvent) it answers the
// wall-clock time, in Unix nanoseconds, at which its handler received the
// request. Containers share the host's clock, so the bench can tell how
// long an asynchronous invocation took to reach the function.
package main

import (
	"bytes"
	"io"
	"log"
	"net/http"
	"os"
	"strconv"
	"time"
)

var clockEvent = []byte(`{"clock":true}`)

func main() {
	port := os.Getenv("PORT")
	if port == "" {
		port = "8080"
	}
	body := []byte("ok")
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		received := time.Now()
		w.Header().Set("Content-Type", "text/plain")
		// Only a body of the clock event's length is read: the no-op
		// answer stays as cheap as it was.
		if r.ContentLength == int64(len(clockEvent)) {
			b, err := io.ReadAll(r.Body)
			if err == nil && bytes.Equal(b, clockEvent) {
				w.Write(strconv.AppendInt(nil, received.UnixNano(), 10))
				return
			}
		}
		w.Write(body)
	})
	log.Fatal(http.ListenAndServe(":"+port, nil))
}
