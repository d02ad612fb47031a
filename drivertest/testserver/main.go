// Command testserver is the function that drivertest runs in a container:
// a tiny static HTTP server speaking the protocol the suite checks. The
// drivertest package embeds this file and compiles it for each test run.
package main

import (
	"fmt"
	"io"
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
	mux := http.NewServeMux()
	mux.HandleFunc("GET /env/{name}", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, os.Getenv(r.PathValue("name")))
	})
	mux.HandleFunc("GET /id", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "uid=%d gid=%d", os.Getuid(), os.Getgid())
	})
	mux.HandleFunc("POST /write", func(w http.ResponseWriter, r *http.Request) {
		// Reports whether path is writable, to check the read-only root.
		if err := os.WriteFile(r.URL.Query().Get("path"), []byte("x"), 0o600); err != nil {
			http.Error(w, err.Error(), http.StatusForbidden)
			return
		}
		fmt.Fprint(w, "written")
	})
	mux.HandleFunc("GET /exit", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "bye")
		fmt.Println("drivertest server exiting with code 3")
		go func() {
			time.Sleep(100 * time.Millisecond) // let the response go out
			os.Exit(3)
		}()
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		fmt.Printf("drivertest server request %s %s\n", r.Method, r.URL.Path)
		fmt.Fprintf(w, "%s %s %s", r.Method, r.URL.Path, strings.TrimSpace(string(body)))
	})
	fmt.Printf("drivertest server listening on :%s\n", port)
	if err := http.ListenAndServe(":"+port, mux); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
