// Command memhog is an HTTP function that, on GET /hog, allocates memory
// until the kernel kills it at its container's limit.
package main

import (
	"fmt"
	"net/http"
	"os"
)

func main() {
	port := os.Getenv("PORT")
	if port == "" {
		port = "8080"
	}
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { fmt.Fprintln(w, "ok") })
	http.HandleFunc("/hog", func(w http.ResponseWriter, r *http.Request) {
		var hold [][]byte
		for {
			b := make([]byte, 4<<20)
			for i := range b {
				b[i] = byte(i) // touch every page, so it is resident
			}
			hold = append(hold, b)
		}
	})
	if err := http.ListenAndServe(":"+port, nil); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
