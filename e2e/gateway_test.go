package e2e

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

type echoed struct {
	Method  string              `json:"method"`
	Path    string              `json:"path"`
	Query   map[string][]string `json:"query"`
	Headers map[string][]string `json:"headers"`
	Host    string              `json:"host"`
	Body    string              `json:"body"`
	Env     string              `json:"env"`
	Size    int                 `json:"size"`
}

func decodeEcho(t *testing.T, body string) echoed {
	t.Helper()
	var e echoed
	if err := json.Unmarshal([]byte(body), &e); err != nil {
		t.Fatalf("not an echo: %v: %q", err, body)
	}
	return e
}

// TestGateway checks what the gateway forwards and how it reports a
// function's failures.
func TestGateway(t *testing.T) {
	requireDocker(t)
	t.Parallel()
	s := startServer(t)
	gw := s.fn("gw")
	// The timeout leaves a loaded machine time to move a 6 MB body each
	// way (a 1 s one gave the exact-6-MB request a 504 in CI).
	s.mustLambda("deploy", "testdata/fixture", "--name", gw, "--timeout", "5s")

	t.Run("request intact by subdomain", func(t *testing.T) {
		req, _ := http.NewRequest("PATCH", s.url("/some/path?a=1&a=2&b=x%20y"), strings.NewReader("the body"))
		req.Host = s.host(gw)
		req.Header.Set("X-Custom", "v")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var e echoed
		_ = json.NewDecoder(resp.Body).Decode(&e)
		if e.Method != "PATCH" || e.Path != "/some/path" || e.Body != "the body" || len(e.Query["a"]) != 2 || e.Query["b"][0] != "x y" {
			t.Errorf("forwarded %+v", e)
		}
		if e.Headers["X-Custom"][0] != "v" || e.Headers["X-Forwarded-For"] == nil || e.Headers["X-Forwarded-Host"][0] != s.host(gw) {
			t.Errorf("headers %+v", e.Headers)
		}
		if resp.Header.Get("X-Lambda-Cold-Start") == "" {
			t.Error("no X-Lambda-Cold-Start header")
		}
	})
	t.Run("prefix stripped by path", func(t *testing.T) {
		for path, want := range map[string]string{"/fn/" + gw: "/", "/fn/" + gw + "/": "/", "/fn/" + gw + "/x/y": "/x/y"} {
			_, body := s.request("GET", "", path+"?q=1", nil)
			if e := decodeEcho(t, body); e.Path != want || e.Query["q"][0] != "1" || e.Headers["X-Forwarded-Prefix"][0] != "/fn/"+gw {
				t.Errorf("%s → %+v", path, e)
			}
		}
	})
	t.Run("odd hosts", func(t *testing.T) {
		for _, host := range []string{strings.ToUpper(gw) + ".LOCALHOST", gw + ".localhost.", strings.ToUpper(gw[:1]) + gw[1:] + ".Localhost.:1234"} {
			if resp, _ := s.request("GET", host, "/", nil); resp.StatusCode != 200 {
				t.Errorf("Host %q: %d", host, resp.StatusCode)
			}
		}
		for host, want := range map[string]int{gw + "..localhost": 400, "a." + gw + ".localhost": 400, "nope.localhost": 404, "bad_name.localhost": 400} {
			resp, body := s.request("GET", host, "/", nil)
			if resp.StatusCode != want || !strings.Contains(body, `"error"`) {
				t.Errorf("Host %q: %d %s, want %d", host, resp.StatusCode, body, want)
			}
		}
	})
	t.Run("streamed response is flushed", func(t *testing.T) {
		req, _ := http.NewRequest("GET", s.url("/fn/"+gw+"/stream"), nil)
		start := time.Now()
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		br := bufio.NewReader(resp.Body)
		line, _ := br.ReadString('\n')
		first := time.Since(start)
		rest, _ := io.ReadAll(br)
		total := time.Since(start)
		// The function writes its chunks 100 ms apart, over 300 ms: a first
		// chunk flushed at once arrives about 300 ms before the end, one
		// held back with the rest arrives with it. A loaded machine only
		// widens the gap, so the bound cannot fail for slowness.
		if line != "chunk 0\n" || string(rest) != "chunk 1\nchunk 2\n" {
			t.Errorf("stream %q then %q", line, rest)
		}
		if total-first < 150*time.Millisecond {
			t.Errorf("first chunk after %s of a %s stream: the gateway held it back", first, total)
		}
	})
	t.Run("body over 6 MB is 413", func(t *testing.T) {
		resp, body := s.request("POST", s.host(gw), "/", bytes.Repeat([]byte("x"), 6<<20+1))
		if resp.StatusCode != 413 || !strings.Contains(body, "too_large") {
			t.Errorf("%d %s", resp.StatusCode, body)
		}
		resp, body = s.request("POST", s.host(gw), "/", bytes.Repeat([]byte("x"), 6<<20))
		if resp.StatusCode != 200 || decodeEcho(t, body).Size != 6<<20 {
			t.Errorf("exactly 6 MB: %d", resp.StatusCode)
		}
	})
	t.Run("chunked uploads", func(t *testing.T) {
		// A function that answers without reading its body (/sleep)
		// while a 5 MB chunked upload arrives: its answer reaches the
		// client (it was a 502). Over 6 MB chunked is 413 JSON.
		for size, want := range map[int]int{5 << 20: 200, 6<<20 + 1: 413} {
			pr, pw := io.Pipe()
			go func() {
				chunk := bytes.Repeat([]byte("x"), 64<<10)
				for sent := 0; sent < size; sent += len(chunk) {
					if _, err := pw.Write(chunk[:min(len(chunk), size-sent)]); err != nil {
						return
					}
				}
				pw.Close()
			}()
			req, _ := http.NewRequest("POST", s.url("/fn/"+gw+"/sleep?d=0s"), pr) // no length: chunked
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatalf("%d bytes: %v", size, err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			pr.CloseWithError(io.ErrClosedPipe)
			if resp.StatusCode != want || (want == 200 && !strings.Contains(string(body), "slept")) || (want == 413 && !strings.Contains(string(body), `"too_large"`)) {
				t.Errorf("%d bytes chunked: %d %s", size, resp.StatusCode, body)
			}
		}
	})
	t.Run("headers over 64 KB are 431 JSON", func(t *testing.T) {
		req, _ := http.NewRequest("GET", s.url("/fn/"+gw+"/"), nil)
		req.Header.Set("X-Big", strings.Repeat("b", 80<<10))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 431 || resp.Header.Get("Content-Type") != "application/json" || !strings.Contains(string(body), `"too_large"`) {
			t.Errorf("%d %s %s", resp.StatusCode, resp.Header.Get("Content-Type"), body)
		}
	})
	t.Run("timeout is 504", func(t *testing.T) {
		resp, body := s.request("GET", s.host(gw), "/sleep?d=8s", nil)
		if resp.StatusCode != 504 || !strings.Contains(body, `"timeout"`) {
			t.Errorf("%d %s", resp.StatusCode, body)
		}
	})
	t.Run("crash is 502 and the next request gets a new instance", func(t *testing.T) {
		resp, body := s.request("GET", s.host(gw), "/crash", nil)
		if resp.StatusCode != 502 || !strings.Contains(body, "function_error") {
			t.Errorf("%d %s", resp.StatusCode, body)
		}
		resp, _ = s.request("GET", s.host(gw), "/", nil)
		if resp.StatusCode != 200 {
			t.Errorf("after crash: %d", resp.StatusCode)
		}
	})
	t.Run("unknown function", func(t *testing.T) {
		resp, body := s.request("GET", "", "/fn/missing/", nil)
		if resp.StatusCode != 404 || !strings.Contains(body, `"not_found"`) {
			t.Errorf("%d %s", resp.StatusCode, body)
		}
		res := s.lambda("invoke", "missing")
		if res.code == 0 || !strings.Contains(res.stderr, `"missing" not found`) {
			t.Errorf("invoke missing: %+v", res)
		}
	})
	s.mustLambda("delete", gw)
}
