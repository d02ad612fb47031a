// Command greet is the smallest useful function: it says hello.
//
//	GET  /?name=Ada          → {"message": "Hello, Ada!"}
//	POST / {"name": "Ada"}   → the same
//
// GREETING (default "Hello") changes the greeting, e.g. --env GREETING=Hi.
// Like every function it serves HTTP on $PORT and stops cleanly on SIGTERM.
package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"os"
	"strings"
	"time"
)

func main() {
	port := os.Getenv("PORT")
	if port == "" {
		port = "8080"
	}
	srv := &http.Server{
		Addr:              ":" + port,
		Handler:           logRequests(http.HandlerFunc(greet)),
		ReadHeaderTimeout: 10 * time.Second,
	}
	if err := serve(srv); err != nil {
		log.Fatal(err)
	}
}

func greet(w http.ResponseWriter, r *http.Request) {
	name := r.URL.Query().Get("name")
	switch r.Method {
	case http.MethodGet, http.MethodHead:
	case http.MethodPost:
		var in struct {
			Name string `json:"name"`
		}
		err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20)).Decode(&in)
		if err != nil && !errors.Is(err, io.EOF) {
			writeError(w, http.StatusBadRequest, `the body must be JSON like {"name": "World"}: `+err.Error())
			return
		}
		if in.Name != "" {
			name = in.Name
		}
	default:
		w.Header().Set("Allow", "GET, HEAD, POST")
		writeError(w, http.StatusMethodNotAllowed, "use GET /?name=World or POST / with {\"name\": \"World\"}")
		return
	}
	name = strings.TrimSpace(name)
	if name == "" {
		name = "World"
	}
	greeting := os.Getenv("GREETING")
	if greeting == "" {
		greeting = "Hello"
	}
	msg, _ := json.Marshal(greeting + ", " + name + "!")
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprintf(w, "{\"message\": %s}\n", msg)
}

func writeError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.Encode(map[string]string{"error": msg})
}
