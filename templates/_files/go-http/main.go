// Command __NAME__ is a function of the http protocol: a plain Go server on
// $PORT. It answers {"message": "Hello, NAME!"} (greet.go).
package main

import (
	"context"
	"errors"
	"log"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"
)

func main() {
	port := os.Getenv("PORT") // set by the platform
	if port == "" {
		port = "8080"
	}
	srv := &http.Server{Addr: ":" + port, Handler: http.HandlerFunc(greet), ReadHeaderTimeout: 10 * time.Second}

	// The platform sends SIGTERM before it stops an instance: let the
	// requests in flight finish.
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	done := make(chan error, 1)
	go func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		done <- srv.Shutdown(shutdown)
	}()
	log.Printf("listening on %s", srv.Addr)
	if err := srv.ListenAndServe(); !errors.Is(err, http.ErrServerClosed) {
		log.Fatal(err)
	}
	if err := <-done; err != nil {
		log.Fatal(err)
	}
}
