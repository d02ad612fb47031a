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
)

// greet answers {"message": "Hello, NAME!"}. The name comes from the query
// (GET /?name=Ada) or a JSON body (POST / {"name": "Ada"}, which is what
// `lambda invoke --data` sends); World when there is none. GREETING
// (default Hello) changes the greeting: lambda deploy --env GREETING=Hi.
func greet(w http.ResponseWriter, r *http.Request) {
	name := r.URL.Query().Get("name")
	if r.Method == http.MethodPost {
		var in struct {
			Name string `json:"name"`
		}
		err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20)).Decode(&in)
		if err != nil && !errors.Is(err, io.EOF) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusBadRequest)
			msg, _ := json.Marshal(`the body must be JSON like {"name": "World"}: ` + err.Error())
			fmt.Fprintf(w, "{\"error\": %s}\n", msg)
			return
		}
		if in.Name != "" {
			name = in.Name
		}
	}
	if name = strings.TrimSpace(name); name == "" {
		name = "World"
	}
	greeting := os.Getenv("GREETING")
	if greeting == "" {
		greeting = "Hello"
	}
	log.Printf("greeting %q", name) // goes to `lambda logs`
	msg, _ := json.Marshal(greeting + ", " + name + "!")
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprintf(w, "{\"message\": %s}\n", msg)
}
