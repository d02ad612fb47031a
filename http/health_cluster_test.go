package http

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/lambdahq/lambda"
)

// TestHealthCluster: on a cluster backend /healthz lists the nodes; it is
// degraded when no node takes instances or the nodes cannot be listed.
func TestHealthCluster(t *testing.T) {
	ready := lambda.Node{ID: "n1", Hostname: "lsw-n1", Role: "manager", State: "ready", Availability: "active", Leader: true}
	down := lambda.Node{ID: "n2", Hostname: "lsw-n2", Role: "worker", State: "down", Availability: "active"}
	tests := []struct {
		name   string
		nodes  []lambda.Node
		err    error
		status int
	}{
		{"one node down", []lambda.Node{ready, down}, nil, http.StatusOK},
		{"every node down", []lambda.Node{down}, nil, http.StatusServiceUnavailable},
		{"nodes unreadable", nil, errors.New("manager unreachable"), http.StatusServiceUnavailable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := NewServer()
			s.StorePing = func(context.Context) error { return nil }
			s.DockerPing = func(context.Context) error { return nil }
			s.Cluster = func(context.Context) ([]lambda.Node, error) { return tt.nodes, tt.err }
			rec := httptest.NewRecorder()
			s.handleHealth(rec, httptest.NewRequest("GET", "/healthz", nil))
			var h Health
			if err := json.Unmarshal(rec.Body.Bytes(), &h); err != nil {
				t.Fatal(err)
			}
			if rec.Code != tt.status || h.Backend != "swarm" || len(h.Nodes) != len(tt.nodes) {
				t.Errorf("status %d, health %+v; want %d, backend swarm and the %d nodes", rec.Code, h, tt.status, len(tt.nodes))
			}
		})
	}
}

// TestHealthCapacity: /healthz tells the backend's instance capacity and
// its use once the driver answered, and leaves both out before.
func TestHealthCapacity(t *testing.T) {
	tests := []struct {
		name           string
		capacity, used int
		want           string
	}{
		{"known", 400, 3, `"capacity":400,"instances":3`},
		{"not known yet", -1, 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := NewServer()
			s.StorePing = func(context.Context) error { return nil }
			s.DockerPing = func(context.Context) error { return nil }
			s.Capacity = func() (int, int) { return tt.capacity, tt.used }
			rec := httptest.NewRecorder()
			s.handleHealth(rec, httptest.NewRequest("GET", "/healthz", nil))
			body := rec.Body.String()
			if tt.want != "" && !strings.Contains(body, tt.want) {
				t.Errorf("healthz = %s, want it to hold %s", body, tt.want)
			}
			if tt.want == "" && strings.Contains(body, "capacity") {
				t.Errorf("healthz = %s, want no capacity before the driver answered", body)
			}
		})
	}
}
