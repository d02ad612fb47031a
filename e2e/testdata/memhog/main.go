// Command memhog is an HTTP function that, on GET /hog or an event with
// "hog" in it, allocates memory until the kernel kills it at its
// container's limit.
package main

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
)

func main() {
	port := os.Getenv("PORT")
	if port == "" {
		port = "8080"
	}
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		// An invoke (POST / with the event) of {"hog":true} hogs too.
		if body, _ := io.ReadAll(io.LimitReader(r.Body, 1024)); !strings.Contains(string(body), `"hog"`) {
			fmt.Fprintln(w, "ok")
			return
		}
		hog()
	})
	http.HandleFunc("/hog", func(w http.ResponseWriter, r *http.Request) { hog() })
	if err := http.ListenAndServe(":"+port, nil); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// hog allocates until the kernel kills the process.
func hog() {
	var hold [][]byte
	for {
		b := make([]byte, 4<<20)
		for i := range b {
			b[i] = byte(i) // touch every page, so it is resident
		}
		hold = append(hold, b)
	}
}
