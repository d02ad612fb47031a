// Command asyncfn is the function the asynchronous invocation tests
// deploy. A direct invocation (POST /, the body is the event) is counted
// per request ID (X-Lambda-Request-Id, the job ID of an async attempt) and
// its body kept, so the tests can ask what ran and how often (GET /seen).
// The event steers it:
//
//	{"fail": N}      fail (500) the first N attempts of this request ID; -1: always
//	{"sleep": "1s"}  take that long
//
// Its answer names the function it runs as (LAMBDA_FUNCTION_NAME), so a
// test sees which function's instance served it. GET /crash exits the
// process, taking the instance down.
//
// Asked for its log tail (X-Lambda-Log-Type: Tail), it answers with the
// line it printed for the invocation, as the shim would.
//
// With REPORT_PORT set, each invocation first POSTs its request ID to the
// test listening on that port at the container's default gateway (the
// host): a channel that survives the server and the instance being killed.
package main

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"
)

type seen struct {
	Count  int      `json:"count"`
	Bodies []string `json:"bodies"`
}

var state struct {
	mu          sync.Mutex
	total       int
	inflight    int
	maxInflight int
	byID        map[string]*seen
}

var reportURL string

func main() {
	port := os.Getenv("PORT")
	if port == "" {
		port = "8080"
	}
	state.byID = map[string]*seen{}
	if p := os.Getenv("REPORT_PORT"); p != "" {
		gw, err := defaultGateway()
		if err != nil {
			log.Fatalf("REPORT_PORT set but no gateway: %v", err)
		}
		reportURL = "http://" + net.JoinHostPort(gw.String(), p) + "/seen"
	}
	http.HandleFunc("GET /seen", showSeen)
	http.HandleFunc("GET /crash", func(w http.ResponseWriter, r *http.Request) {
		log.Print("asyncfn: crashing on request")
		os.Exit(2)
	})
	http.HandleFunc("POST /", invoke)
	log.Printf("asyncfn listening on :%s", port)
	if err := http.ListenAndServe(":"+port, nil); err != nil {
		log.Fatal(err)
	}
}

func invoke(w http.ResponseWriter, r *http.Request) {
	id := r.Header.Get("X-Lambda-Request-Id")
	body, _ := io.ReadAll(r.Body)
	var ev struct {
		Fail  int    `json:"fail"`
		Sleep string `json:"sleep"`
	}
	_ = json.Unmarshal(body, &ev)

	state.mu.Lock()
	state.total++
	state.inflight++
	state.maxInflight = max(state.maxInflight, state.inflight)
	s := state.byID[id]
	if s == nil {
		s = &seen{}
		state.byID[id] = s
	}
	s.Count++
	s.Bodies = append(s.Bodies, string(body))
	attempt := s.Count
	state.mu.Unlock()
	defer func() {
		state.mu.Lock()
		state.inflight--
		state.mu.Unlock()
	}()
	line := fmt.Sprintf("asyncfn: attempt %d of %s body=%s", attempt, id, body)
	log.Print(line)
	// As the shim does for the functions it runs: the platform asks for
	// the invocation's output with X-Lambda-Log-Type: Tail.
	if r.Header.Get("X-Lambda-Log-Type") == "Tail" {
		w.Header().Set("X-Lambda-Log-Result", base64.StdEncoding.EncodeToString([]byte(line+"\n")))
	}

	if reportURL != "" {
		if err := report(id); err != nil {
			log.Printf("asyncfn: report %s: %v", id, err)
			http.Error(w, "report failed: "+err.Error(), http.StatusInternalServerError)
			return
		}
	}
	if d, err := time.ParseDuration(ev.Sleep); err == nil {
		time.Sleep(d)
	}
	w.Header().Set("Content-Type", "application/json")
	if ev.Fail < 0 || attempt <= ev.Fail {
		w.WriteHeader(http.StatusInternalServerError)
		fmt.Fprintf(w, `{"error":"asyncfn failing attempt %d as asked"}`, attempt)
		return
	}
	_ = json.NewEncoder(w).Encode(map[string]any{"id": id, "attempt": attempt, "event": json.RawMessage(orEmpty(body)),
		"function": os.Getenv("LAMBDA_FUNCTION_NAME")})
}

func orEmpty(b []byte) []byte {
	if !json.Valid(b) {
		b, _ = json.Marshal(string(b))
	}
	return b
}

var reportClient = &http.Client{Timeout: 5 * time.Second}

// report tells the test that id ran, trying a few times: the listener is
// the test's, always up, so a failure is worth a retry, not a lost ID.
func report(id string) error {
	var err error
	for range 5 {
		var resp *http.Response
		resp, err = reportClient.Post(reportURL, "text/plain", bytes.NewBufferString(id))
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			err = fmt.Errorf("status %d", resp.StatusCode)
		}
		time.Sleep(100 * time.Millisecond)
	}
	return err
}

func showSeen(w http.ResponseWriter, r *http.Request) {
	state.mu.Lock()
	defer state.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{
		"total":        state.total,
		"max_inflight": state.maxInflight,
		"requests":     state.byID,
	})
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
