// Command echo answers every request with a JSON description of it, which
// shows exactly what the platform's gateway forwards to a function:
//
//	{"method": "POST", "path": "/a", "query": {"x": ["1"]},
//	 "headers": {"Content-Type": ["text/plain"]}, "body": "hi"}
package main

import (
	"encoding/json"
	"io"
	"log"
	"net/http"
	"net/url"
	"os"
	"time"
)

// maxBody matches the platform's payload limit.
const maxBody = 6 << 20

type echoed struct {
	Method  string      `json:"method"`
	Path    string      `json:"path"`
	Query   url.Values  `json:"query"`
	Headers http.Header `json:"headers"`
	Body    string      `json:"body"`
}

func main() {
	port := os.Getenv("PORT")
	if port == "" {
		port = "8080"
	}
	srv := &http.Server{
		Addr:              ":" + port,
		Handler:           logRequests(http.HandlerFunc(echo)),
		ReadHeaderTimeout: 10 * time.Second,
	}
	if err := serve(srv); err != nil {
		log.Fatal(err)
	}
}

func echo(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusRequestEntityTooLarge)
		json.NewEncoder(w).Encode(map[string]string{"error": "cannot read the body: " + err.Error()})
		return
	}
	out := echoed{
		Method:  r.Method,
		Path:    r.URL.Path,
		Query:   r.URL.Query(),
		Headers: r.Header,
		Body:    string(body),
	}
	w.Header().Set("Content-Type", "application/json")
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false) // show the body as it came
	enc.Encode(out)
}
