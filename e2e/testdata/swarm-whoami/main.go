// Command swarm-whoami is the function the Swarm tests deploy: it answers
// with the container's hostname (which instance, hence which node, served)
// and $VERSION (which deploy), after ?sleep=D, so that concurrent requests
// need several instances.
package main

import (
	"encoding/json"
	"log"
	"net/http"
	"os"
	"time"
)

func main() {
	port := os.Getenv("PORT")
	if port == "" {
		port = "8080"
	}
	host, _ := os.Hostname()
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		d, _ := time.ParseDuration(r.URL.Query().Get("sleep"))
		time.Sleep(min(d, 10*time.Second))
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]string{"host": host, "version": os.Getenv("VERSION")})
	})
	log.Printf("swarm-whoami %s listening on :%s", host, port)
	log.Fatal(http.ListenAndServe(":"+port, nil))
}
