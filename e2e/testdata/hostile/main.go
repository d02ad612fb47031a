// Command hostile is the function the hostile e2e suite deploys: on
// request (HOSTILE_START at start, paths afterwards) it misbehaves the ways
// a careless or hostile tenant's code does.
package main

import (
	"encoding/json"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"
)

func main() {
	port := os.Getenv("PORT")
	if port == "" {
		port = "8080"
	}
	switch os.Getenv("HOSTILE_START") {
	case "exit":
		log.Print("hostile: exiting at start as asked")
		os.Exit(3)
	case "hang":
		log.Print("hostile: hanging before listening as asked")
		for {
			time.Sleep(time.Hour) // select{} alone would be a deadlock Go reports
		}
	case "wrong-port":
		// Listens, but not where the platform looks.
		log.Print("hostile: listening on the wrong port as asked")
		p, _ := strconv.Atoi(port)
		port = strconv.Itoa(p + 1)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		reply(w, map[string]any{"ok": true, "path": r.URL.Path})
	})
	mux.HandleFunc("/hang", func(w http.ResponseWriter, r *http.Request) {
		select {}
	})
	mux.HandleFunc("/sleep", func(w http.ResponseWriter, r *http.Request) {
		d, _ := time.ParseDuration(r.URL.Query().Get("d"))
		time.Sleep(d)
		reply(w, map[string]any{"slept": d.String()})
	})
	mux.HandleFunc("/oom", func(w http.ResponseWriter, r *http.Request) {
		var hold [][]byte
		for {
			b := make([]byte, 8<<20)
			for i := range b {
				b[i] = byte(i)
			}
			hold = append(hold, b)
		}
	})
	mux.HandleFunc("/fork", func(w http.ResponseWriter, r *http.Request) {
		n, err := forkBomb(5000)
		errText := ""
		if err != nil {
			errText = err.Error()
		}
		reply(w, map[string]any{"spawned": n, "error": errText})
	})
	mux.HandleFunc("/flood", func(w http.ResponseWriter, r *http.Request) {
		mb, _ := strconv.Atoi(r.URL.Query().Get("mb"))
		line := strings.Repeat("flood ", 170) + "\n" // about 1 KB
		for range mb * 1024 {
			os.Stdout.WriteString(line)
		}
		reply(w, map[string]any{"flooded_mb": mb})
	})
	mux.HandleFunc("/write", func(w http.ResponseWriter, r *http.Request) {
		err := os.WriteFile(r.URL.Query().Get("path"), []byte("hostile was here"), 0o644)
		errText := ""
		if err != nil {
			errText = err.Error()
		}
		reply(w, map[string]any{"error": errText})
	})
	ln, err := net.Listen("tcp", ":"+port)
	if err != nil {
		log.Fatal(err)
	}
	log.Printf("hostile listening on :%s", port)
	log.Fatal(http.Serve(ln, mux))
}

func reply(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	if err := json.NewEncoder(w).Encode(v); err != nil {
		fmt.Fprintln(os.Stderr, err)
	}
}
