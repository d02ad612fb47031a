package main

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
)

// TestNodeSweepRefusesAnotherNode: "lambda node-sweep" removes nothing
// from an engine that is not the Swarm node its task runs on (a socket of
// another engine mounted by mistake), and exits non-zero saying so.
func TestNodeSweepRefusesAnotherNode(t *testing.T) {
	var deletes atomic.Int32
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch {
		case r.Method == http.MethodDelete:
			deletes.Add(1)
			_, _ = w.Write([]byte(`[]`))
		case strings.HasSuffix(r.URL.Path, "/info"):
			_, _ = w.Write([]byte(`{"Swarm":{"NodeID":"node-b","LocalNodeState":"active"}}`))
		case strings.HasSuffix(r.URL.Path, "/_ping"):
			w.Header().Set("Api-Version", "1.41")
			_, _ = w.Write([]byte(`OK`))
		default:
			http.NotFound(w, r)
		}
	}))
	defer api.Close()
	t.Setenv("DOCKER_HOST", "tcp://"+api.Listener.Addr().String())
	t.Setenv("LAMBDA_NODE_ID", "node-a")

	var out, errb bytes.Buffer
	code := run(context.Background(), []string{"node-sweep", "--image", "r:5000/func-a@sha256:1"}, &streams{In: strings.NewReader(""), Out: &out, Err: &errb})
	if code == 0 {
		t.Fatalf("exit 0 against another node's engine; stdout %q", out.String())
	}
	if !strings.Contains(errb.String(), "refusing") || !strings.Contains(errb.String(), "node-b") {
		t.Errorf("stderr %q, want a refusal naming the engine's node", errb.String())
	}
	if n := deletes.Load(); n != 0 {
		t.Errorf("%d image removals asked of another node's engine", n)
	}
}
