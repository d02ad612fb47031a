package e2e

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// TestServerLogJSON: with --log-format json every line the server prints
// is a JSON object; each control-API request is one access line with its
// request ID (the client's when well-formed, returned in X-Request-Id),
// written when the answer ends; the gateway's traffic is not logged.
func TestServerLogJSON(t *testing.T) {
	requireDocker(t)
	t.Parallel()
	s := startServer(t, "LAMBDA_LOG_FORMAT=json") // its own: a server flag, and its whole log is read
	name := s.fn("serverlog")
	s.mustLambda("deploy", "--image", fixtureImage(t), "--name", name)
	s.mustLambda("list")

	if resp, _ := s.request("GET", s.host(name), "/e2e-gateway-probe", nil); resp.StatusCode != 200 || resp.Header.Get("X-Request-Id") != "" {
		t.Errorf("gateway: %d, X-Request-Id %q: want 200 and no API request ID", resp.StatusCode, resp.Header.Get("X-Request-Id"))
	}
	if resp, _ := s.request("GET", "", "/fn/"+name+"/e2e-gateway-probe", nil); resp.StatusCode != 200 {
		t.Errorf("gateway by path: %d", resp.StatusCode)
	}
	ids := map[string]string{} // sent → answered
	for _, sent := range []string{"e2e-" + runID, "not well formed"} {
		req, _ := http.NewRequest("GET", s.url("/v1/functions/"+name+"?secret=hunter2"), nil)
		req.Header.Set("X-Request-Id", sent)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		ids[sent] = resp.Header.Get("X-Request-Id")
	}
	if got := ids["e2e-"+runID]; got != "e2e-"+runID {
		t.Errorf("a well-formed X-Request-Id came back as %q", got)
	}
	if got := ids["not well formed"]; !uuidRE.MatchString(got) {
		t.Errorf("a malformed X-Request-Id was answered with %q, want a new request ID", got)
	}
	if err := s.shutdown(); err != nil { // every line written
		t.Fatal(err)
	}

	logs := s.logs.String()
	var access []map[string]any
	for _, line := range strings.Split(strings.TrimRight(logs, "\n"), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil || m["time"] == nil || m["level"] == nil {
			t.Errorf("server log line is not a JSON record: %q", line)
			continue
		}
		if m["msg"] == "request" {
			access = append(access, m)
		}
	}
	if strings.Contains(logs, "e2e-gateway-probe") {
		t.Error("the gateway's traffic reached the server log")
	}
	if strings.Contains(logs, "hunter2") {
		t.Error("a query string reached the server log")
	}
	byRoute := map[string][]map[string]any{}
	for _, m := range access {
		route, _ := m["route"].(string)
		byRoute[route] = append(byRoute[route], m)
	}
	if l := byRoute["GET /v1/functions"]; len(l) != 1 {
		t.Errorf("lambda list made %d access lines, want 1: %v", len(l), l)
	} else if id, _ := l[0]["request_id"].(string); !uuidRE.MatchString(id) || l[0]["status"] != float64(200) ||
		l[0]["key_name"] != "admin" || l[0]["remote"] != "127.0.0.1" || l[0]["path"] != "/v1/functions" {
		t.Errorf("lambda list's access line: %v", l[0])
	}
	// The deploy's progress stream, logged once when it ended.
	if l := byRoute["POST /v1/functions/{name}/deploy"]; len(l) != 1 || l[0]["status"] != float64(200) || l[0]["bytes"].(float64) == 0 {
		t.Errorf("the deploy's access lines: %v", l)
	}
	got := map[string]bool{}
	for _, m := range byRoute["GET /v1/functions/{name}"] {
		got[m["request_id"].(string)] = true
		if m["path"] != "/v1/functions/"+name {
			t.Errorf("logged path %v, want it without the query", m["path"])
		}
	}
	for sent, answered := range ids {
		if !got[answered] {
			t.Errorf("no access line with the request ID %q answered for X-Request-Id %q", answered, sent)
		}
	}
	for route := range byRoute {
		if strings.HasPrefix(route, "/fn/") {
			t.Errorf("gateway route %q was access-logged", route)
		}
	}
	t.Logf("%d access lines, e.g. %v", len(access), byRoute["GET /v1/functions"])
}
