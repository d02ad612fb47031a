package http

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/lambdahq/lambda"
)

func (s *Server) handleHealth(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 3*time.Second)
	defer cancel()
	h := Health{Status: "ok", Store: "ok", Docker: "ok"}
	if err := s.StorePing(ctx); err != nil {
		h.Status, h.Store = "degraded", err.Error()
	}
	if err := s.DockerPing(ctx); err != nil {
		h.Status, h.Docker = "degraded", strings.TrimSpace(err.Error())
	}
	if s.Cluster != nil {
		h.Backend = "swarm"
		nodes, err := s.Cluster(ctx)
		if err != nil {
			h.Status = "degraded"
		}
		h.Nodes = nodes
		if err == nil && !slices.ContainsFunc(nodes, lambda.Node.Ready) {
			h.Status = "degraded" // no node takes instances
		}
	}
	if s.Capacity != nil {
		if capacity, used := s.Capacity(); capacity >= 0 {
			h.Capacity, h.Instances = &capacity, &used
		}
	}
	status := http.StatusOK
	if h.Status != "ok" {
		status = http.StatusServiceUnavailable
	}
	respondJSON(w, status, h)
}
