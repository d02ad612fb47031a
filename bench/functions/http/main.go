// Command http is the http function of `lambda bench`: it answers every
// request with a fixed two-byte body, the least work a function can do, so
// that the bench measures the platform rather than the function.
package main

import (
	"log"
	"net/http"
	"os"
)

func main() {
	port := os.Getenv("PORT")
	if port == "" {
		port = "8080"
	}
	body := []byte("ok")
	http.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		w.Write(body)
	})
	log.Fatal(http.ListenAndServe(":"+port, nil))
}
