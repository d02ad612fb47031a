package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"sort"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/lambdahq/lambda"
)

// TestAsyncSurvivesSIGKILL acknowledges 1,000 jobs for a slow function,
// SIGKILLs the server while most are still queued, restarts it on the same
// data directory and checks that every acknowledged job runs: the function
// reports each request ID it receives to a listener of the test (on the
// host, reached through the container's default gateway), which outlives
// the server and its instances.
func TestAsyncSurvivesSIGKILL(t *testing.T) {
	requireDocker(t)
	t.Parallel()
	const jobs = 1000

	rep := newIDReporter(t)
	s := startServer(t) // its own: it is killed
	name := s.fn("sigkill")
	// 50 ms per job, two at a time: 40 jobs a second at most, so that
	// most of the 1,000 are still queued when the server is killed.
	deployAsyncFn(s, name, "--env", "REPORT_PORT="+strconv.Itoa(rep.port), "--async-concurrency", "2")
	// The channel works: a synchronous call reports its ID.
	before := rep.count()
	s.mustLambda("invoke", name, "--data", `{"tag":"probe"}`)
	if rep.count() != before+1 {
		t.Fatalf("the function could not report to the test's listener on port %d (it saw %d reports); check that containers reach the host", rep.port, rep.count()-before)
	}

	// Submit concurrently, as clients would, and keep every acknowledged ID.
	start := time.Now()
	ids, errs := submitMany(s, name, jobs, 32)
	acked := time.Since(start)
	seenAtKill := rep.countOf(ids)
	s.kill()
	if len(errs) > 0 {
		t.Fatalf("%d of %d submissions failed, e.g. %s", len(errs), jobs, errs[0])
	}
	t.Logf("%d jobs acknowledged in %s (%.0f/s); %d had reached the function at the SIGKILL", len(ids), acked.Round(time.Millisecond), float64(len(ids))/acked.Seconds(), seenAtKill)
	if seenAtKill >= jobs*9/10 {
		t.Errorf("%d of %d jobs had run before the SIGKILL: too few were queued for it to prove anything (submissions took %s)", seenAtKill, jobs, acked)
	}

	killed := time.Now()
	s.start()
	deadline := time.Now().Add(3 * time.Minute)
	for rep.countOf(ids) < len(ids) && time.Now().Before(deadline) {
		time.Sleep(500 * time.Millisecond)
	}
	if missing := rep.missing(ids); len(missing) > 0 {
		sort.Strings(missing)
		var detail bytes.Buffer
		for _, id := range missing[:min(5, len(missing))] {
			status, _, body := apiCall(s, "GET", "/v1/invocations/"+id, nil, nil)
			fmt.Fprintf(&detail, "  %s: %d %s\n", id, status, bytes.TrimSpace([]byte(body)))
		}
		t.Fatalf("%d of %d acknowledged jobs never ran within 3 min of the restart, e.g.:\n%s", len(missing), len(ids), detail.String())
	}
	t.Logf("all %d ran within %s of the restart; %d reports in all (at least once: %d repeats)", len(ids), time.Since(killed).Round(time.Millisecond), rep.total(ids), rep.total(ids)-len(ids))

	// And their records say so.
	var succeeded []lambda.Job
	waitFor(t, 30*time.Second, func() bool {
		succeeded = listJobs(s, name, "status=succeeded&limit=1000")
		return len(succeeded) >= len(ids)
	})
	done := map[string]bool{}
	for _, j := range succeeded {
		done[j.ID] = true
	}
	for _, id := range ids {
		if !done[id] {
			t.Errorf("job %s ran but is not listed as succeeded", id)
			break
		}
	}
	s.mustLambda("delete", name)
}

// submitMany submits n events with workers concurrent clients and returns
// the IDs of the acknowledged (202) ones and the failures.
func submitMany(s *server, name string, n, workers int) (ids []string, errs []string) {
	var mu sync.Mutex
	next := make(chan int)
	var wg sync.WaitGroup
	client := &http.Client{Timeout: time.Minute}
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				id, err := submitOne(client, s, name, fmt.Sprintf(`{"sleep":"50ms","n":%d}`, i))
				mu.Lock()
				if err != nil {
					errs = append(errs, err.Error())
				} else {
					ids = append(ids, id)
				}
				mu.Unlock()
			}
		}()
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
	return ids, errs
}

func submitOne(client *http.Client, s *server, name, event string) (string, error) {
	resp, err := client.Post(s.url("/v1/functions/"+name+"/invocations"), "application/json", bytes.NewBufferString(event))
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var j lambda.Job
	if resp.StatusCode != http.StatusAccepted || json.Unmarshal(b, &j) != nil || j.ID == "" {
		return "", fmt.Errorf("%d %s", resp.StatusCode, b)
	}
	return j.ID, nil
}

// idReporter is the test's listener the function reports each request ID
// it receives to (POST /seen, the ID as body).
type idReporter struct {
	port int
	mu   sync.Mutex
	seen map[string]int
}

func newIDReporter(t *testing.T) *idReporter {
	// Every address: containers reach it on the host's bridge address.
	ln, err := net.Listen("tcp", ":0")
	if err != nil {
		t.Fatal(err)
	}
	r := &idReporter{port: ln.Addr().(*net.TCPAddr).Port, seen: map[string]int{}}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		b, _ := io.ReadAll(io.LimitReader(req.Body, 256))
		if req.Method != http.MethodPost || len(b) == 0 {
			http.Error(w, "POST the request ID", http.StatusBadRequest)
			return
		}
		r.mu.Lock()
		r.seen[string(b)]++
		r.mu.Unlock()
	}), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	})
	return r
}

func (r *idReporter) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.seen)
}

// countOf counts the ids reported at least once.
func (r *idReporter) countOf(ids []string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, id := range ids {
		if r.seen[id] > 0 {
			n++
		}
	}
	return n
}

// total counts the reports of ids, repeats included.
func (r *idReporter) total(ids []string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, id := range ids {
		n += r.seen[id]
	}
	return n
}

func (r *idReporter) missing(ids []string) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, id := range ids {
		if r.seen[id] == 0 {
			out = append(out, id)
		}
	}
	return out
}
