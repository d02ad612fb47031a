// Command slowstart is a function that takes its time to become ready: it
// prints a line, then sleeps START_DELAY (default 1h) before it listens on
// $PORT. Run behind the aws shim it never calls the Runtime API's /next.
package main

import (
	"fmt"
	"log"
	"net/http"
	"os"
	"time"
)

func main() {
	delay := time.Hour
	if s := os.Getenv("START_DELAY"); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil {
			log.Fatalf("START_DELAY %q: %v", s, err)
		}
		delay = d
	}
	port := os.Getenv("PORT")
	if port == "" {
		port = "8080"
	}
	log.Printf("slowstart: initialising for %s before listening on :%s", delay, port)
	time.Sleep(delay)
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { fmt.Fprintln(w, "ready") })
	log.Fatal(http.ListenAndServe(":"+port, nil))
}
