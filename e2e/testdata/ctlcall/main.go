// Command ctlcall is a function that calls the server's control API from
// inside its container, as hostile code would: on each request it sends
// ?method= to ?path= on the server at the container's default gateway
// (the host, where the server listens on SERVER_PORT), with ?auth= as the
// Authorization header when given, and answers what it got.
package main

import (
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"time"
)

type answer struct {
	URL    string `json:"url"`
	Status int    `json:"status"`
	Body   string `json:"body"`
	Err    string `json:"err,omitempty"`
}

func main() {
	port := os.Getenv("PORT")
	if port == "" {
		port = "8080"
	}
	client := &http.Client{Timeout: 10 * time.Second}
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		var a answer
		gw, err := defaultGateway()
		if err == nil {
			a.URL = "http://" + net.JoinHostPort(gw.String(), os.Getenv("SERVER_PORT")) + r.URL.Query().Get("path")
			var req *http.Request
			req, err = http.NewRequest(r.URL.Query().Get("method"), a.URL, nil)
			if err == nil {
				if auth := r.URL.Query().Get("auth"); auth != "" {
					req.Header.Set("Authorization", auth)
				}
				var resp *http.Response
				if resp, err = client.Do(req); err == nil {
					b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
					resp.Body.Close()
					a.Status, a.Body = resp.StatusCode, string(b)
				}
			}
		}
		if err != nil {
			a.Err = err.Error()
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(a)
	})
	if err := http.ListenAndServe(":"+port, nil); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// defaultGateway reads the default route's gateway from /proc/net/route:
// on a Docker bridge network, the host's address on that bridge.
func defaultGateway() (net.IP, error) {
	b, err := os.ReadFile("/proc/net/route")
	if err != nil {
		return nil, err
	}
	for _, line := range strings.Split(string(b), "\n")[1:] {
		f := strings.Fields(line)
		if len(f) < 3 || f[1] != "00000000" {
			continue
		}
		raw, err := hex.DecodeString(f[2])
		if err != nil || len(raw) != 4 {
			return nil, fmt.Errorf("gateway %q: %v", f[2], err)
		}
		ip := make(net.IP, 4)
		binary.BigEndian.PutUint32(ip, binary.LittleEndian.Uint32(raw))
		return ip, nil
	}
	return nil, errors.New("no default route")
}
