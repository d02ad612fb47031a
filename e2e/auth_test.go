package e2e

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// TestAuth: the control API refuses a function that calls it from inside
// its container without a key, and changes nothing; keys limited in scope,
// function, time or revoked are refused with a clear error; malformed or
// huge Authorization headers are refused and the server keeps serving; the
// audit log lists the writes.
func TestAuth(t *testing.T) {
	requireDocker(t)
	// The server listens on every address so that containers reach it
	// through their default gateway, the host.
	s := &server{t: t, port: freePort(t), dataDir: t.TempDir(), listenAll: true}
	if err := s.launch(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		s.stop()
		removeNamespace(s.namespace())
	})
	target, caller := s.fn("auth-target"), s.fn("auth-caller")
	t.Cleanup(func() { cleanupFunction(t, target); cleanupFunction(t, caller) })
	s.mustLambda("deploy", "--image", fixtureImage(t), "--name", target)
	s.mustLambda("deploy", "--image", goImage(t, "ctlcall"), "--name", caller, "--env", fmt.Sprintf("SERVER_PORT=%d", s.port))

	// noKey sends exactly what the test says: not the harness's admin key.
	noKey := &http.Client{Transport: &http.Transport{}, Timeout: time.Minute}
	call := func(method, path, authorization string) (int, http.Header, string) {
		t.Helper()
		req, err := http.NewRequest(method, s.url(path), nil)
		if err != nil {
			t.Fatal(err)
		}
		if authorization != "" {
			req.Header.Set("Authorization", authorization)
		}
		resp, err := noKey.Do(req)
		if err != nil {
			t.Fatalf("%s %s: %v", method, path, err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, resp.Header, string(b)
	}

	t.Run("function calling the control API", func(t *testing.T) {
		for _, c := range []struct{ method, path, auth string }{
			{"GET", "/v1/functions", ""},
			{"DELETE", "/v1/functions/" + target, ""},
			{"POST", "/v1/functions/" + target + "/rollback", ""},
			{"POST", "/v1/keys", ""},
			{"DELETE", "/v1/functions/" + target, "Bearer lmb_guessed"},
		} {
			q := url.Values{"method": {c.method}, "path": {c.path}, "auth": {c.auth}}
			resp, body := s.request("GET", s.host(caller), "/?"+q.Encode(), nil)
			var got struct {
				URL    string
				Status int
				Body   string
				Err    string
			}
			if err := json.Unmarshal([]byte(body), &got); resp.StatusCode != 200 || err != nil {
				t.Fatalf("invoking %s: %d %s", caller, resp.StatusCode, body)
			}
			if got.Err != "" {
				t.Fatalf("the function could not reach the server at %s: %s", got.URL, got.Err)
			}
			if got.Status != 401 || !strings.Contains(got.Body, `"unauthorized"`) {
				t.Errorf("%s %s from inside a function: %d %s, want 401", c.method, c.path, got.Status, got.Body)
			}
		}
		// Nothing changed: the target is there and still answers.
		s.mustLambda("describe", target)
		if resp, body := s.request("GET", s.host(target), "/", nil); resp.StatusCode != 200 {
			t.Errorf("target after the calls: %d %s", resp.StatusCode, body)
		}
	})

	createKey := func(args ...string) (id, secret string) {
		t.Helper()
		var k struct{ ID, Secret string }
		out := s.mustLambda(append([]string{"keys", "create", "-o", "json"}, args...)...).stdout
		if err := json.Unmarshal([]byte(out), &k); err != nil || k.Secret == "" {
			t.Fatalf("keys create %v: %v %q", args, err, out)
		}
		return k.ID, "Bearer " + k.Secret
	}

	t.Run("keys limited by function, revoked, expired", func(t *testing.T) {
		id, inv := createKey("inv-"+target, "--scope", "invoke", "--function", target)
		if st, _, body := call("POST", "/v1/functions/"+target+"/invoke", inv); st != 200 {
			t.Fatalf("invoke with an invoke key for it: %d %s", st, body)
		}
		if st, _, body := call("POST", "/v1/functions/"+caller+"/invoke", inv); st != 403 || !strings.Contains(body, `"forbidden"`) {
			t.Errorf("invoke key on another function: %d %s, want 403", st, body)
		}
		if st, _, body := call("DELETE", "/v1/functions/"+target, inv); st != 403 {
			t.Errorf("invoke key deleting: %d %s, want 403", st, body)
		}
		s.mustLambda("keys", "revoke", id)
		if st, h, body := call("POST", "/v1/functions/"+target+"/invoke", inv); st != 401 || !strings.Contains(body, "revoked") || h.Get("WWW-Authenticate") == "" {
			t.Errorf("revoked key, next request: %d %s, want 401 saying revoked", st, body)
		}

		_, exp := createKey("exp-"+target, "--scope", "read", "--expires", "2s")
		if st, _, body := call("GET", "/v1/functions", exp); st != 200 {
			t.Fatalf("fresh key: %d %s", st, body)
		}
		var st int
		var body string
		waitFor(t, 30*time.Second, func() bool {
			st, _, body = call("GET", "/v1/functions", exp)
			return st != 200
		})
		if st != 401 || !strings.Contains(body, "expired") {
			t.Errorf("expired key: %d %s, want 401 saying expired", st, body)
		}
	})

	t.Run("private function", func(t *testing.T) {
		priv := s.fn("auth-private")
		t.Cleanup(func() { cleanupFunction(t, priv) })
		s.mustLambda("deploy", "--image", fixtureImage(t), "--name", priv, "--auth", "key")
		_, inv := createKey("priv-"+priv, "--scope", "invoke", "--function", priv)
		_, other := createKey("other-"+priv, "--scope", "invoke", "--function", target)
		fnCall := func(path, authorization string) (int, http.Header, string) {
			t.Helper()
			req, _ := http.NewRequest("GET", s.url(path), nil)
			req.Host = s.host(priv)
			if authorization != "" {
				req.Header.Set("Authorization", authorization)
			}
			resp, err := noKey.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			return resp.StatusCode, resp.Header, string(b)
		}
		if st, h, body := fnCall("/", ""); st != 401 || h.Get("WWW-Authenticate") == "" || !strings.Contains(body, "private") {
			t.Errorf("private function by host without a key: %d %s, want 401", st, body)
		}
		if st, _, body := call("GET", "/fn/"+priv+"/", ""); st != 401 {
			t.Errorf("private function by path without a key: %d %s, want 401", st, body)
		}
		if st, _, body := fnCall("/", other); st != 403 {
			t.Errorf("private function with another function's key: %d %s, want 403", st, body)
		}
		st, _, body := fnCall("/", inv)
		var echo struct{ Headers map[string][]string }
		if err := json.Unmarshal([]byte(body), &echo); st != 200 || err != nil {
			t.Fatalf("private function with its invoke key: %d %s", st, body)
		}
		if a, ok := echo.Headers["Authorization"]; ok {
			t.Errorf("the function saw the key: Authorization %q", a)
		}
		// lambda invoke reaches it with the CLI's key, which the function
		// never sees either.
		out := s.mustLambda("invoke", priv).stdout
		if strings.Contains(out, "lmb_") || strings.Contains(out, "Authorization") {
			t.Errorf("lambda invoke: the function saw the key: %s", out)
		}
		// Public again, without a redeploy.
		s.mustLambda("config", priv, "--auth", "none")
		if st, _, body := fnCall("/", ""); st != 200 {
			t.Errorf("after config --auth none: %d %s", st, body)
		}
	})

	t.Run("malformed and huge headers", func(t *testing.T) {
		for _, h := range []string{"Bearer", "Bearer   ", "Basic YWRtaW46YWRtaW4=", "lmb_" + strings.Repeat("x", 43),
			"Bearer lmb_" + strings.Repeat("A", 5000), "AWS4-HMAC-SHA256 Credential=garbage"} {
			st, hdr, body := call("GET", "/v1/functions", h)
			if st != 401 || hdr.Get("WWW-Authenticate") != `Bearer realm="lambda"` || !strings.Contains(body, `"unauthorized"`) {
				t.Errorf("Authorization %.30q: %d %s, want 401 JSON with WWW-Authenticate", h, st, body)
			}
		}
		st, _, body := call("GET", "/v1/functions", "Bearer lmb_"+strings.Repeat("A", 1<<20))
		if st != 431 {
			t.Errorf("1 MB Authorization header: %d %.200s, want 431", st, body)
		}
		// The server keeps serving, keys and all.
		if st, _, body := call("GET", "/v1/functions", "Bearer "+s.apiKey); st != 200 {
			t.Errorf("admin key after the bad requests: %d %s", st, body)
		}
	})

	t.Run("audit lists the writes", func(t *testing.T) {
		var entries []struct {
			KeyID    string `json:"key_id"`
			Action   string `json:"action"`
			Function string `json:"function"`
			Result   string `json:"result"`
		}
		out := s.mustLambda("audit", "-o", "json").stdout
		if err := json.Unmarshal([]byte(out), &entries); err != nil {
			t.Fatalf("audit -o json: %v %q", err, out)
		}
		seen := map[string]bool{}
		for _, e := range entries {
			seen[e.Action+" "+e.Function+" "+e.Result] = true
		}
		for _, want := range []string{"deploy " + target + " ok", "deploy " + caller + " ok", "keys.create  ok", "keys.revoke  ok",
			"delete " + target + " forbidden"} {
			if !seen[want] {
				t.Errorf("audit has no %q: %s", want, out)
			}
		}
		for _, e := range entries {
			if e.Action == "delete" && e.Result == "ok" {
				t.Errorf("a delete succeeded: %+v", e)
			}
		}
	})
}

// TestFunctionsNetworkNone: with --functions-network none, functions run on
// an internal Docker network (Docker gives it no route beyond the host);
// the gateway still reaches them.
func TestFunctionsNetworkNone(t *testing.T) {
	requireDocker(t)
	s := startServer(t, "LAMBDA_FUNCTIONS_NETWORK=none")
	echo := s.fn("netnone-echo")
	t.Cleanup(func() { cleanupFunction(t, echo) })
	s.mustLambda("deploy", "--image", fixtureImage(t), "--name", echo)
	if resp, body := s.request("GET", s.host(echo), "/", nil); resp.StatusCode != 200 {
		t.Fatalf("function on the internal network: %d %s", resp.StatusCode, body)
	}
	ids := s.containers(echo, false)
	if len(ids) == 0 {
		t.Fatal("no container")
	}
	if nets := docker(t, "inspect", "-f", "{{range $k, $v := .NetworkSettings.Networks}}{{$k}} {{end}}", ids[0]); strings.TrimSpace(nets) != "lambda-internal" {
		t.Errorf("container networks %q, want lambda-internal", nets)
	}
	if internal := docker(t, "network", "inspect", "-f", "{{.Internal}}", "lambda-internal"); strings.TrimSpace(internal) != "true" {
		t.Errorf("lambda-internal is not internal: %q", internal)
	}
	out, err := exec.Command(binary, "server", "--functions-network", "host", "--data", t.TempDir(), "--addr", "127.0.0.1:0").CombinedOutput()
	if err == nil || !strings.Contains(string(out), "--functions-network") {
		t.Errorf("server --functions-network host: %v %s", err, out)
	}
}
