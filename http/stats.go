package http

import (
	"net/http"

	"github.com/lambdahq/lambda"
)

// handleStats answers GET /v1/functions/{name}/stats?window=1h|24h|7d: the
// function's invocations, errors, throttles, cold starts and latency
// percentiles per bucket of the window, the current one included.
func (s *Server) handleStats(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	err := lambda.ValidateName(name)
	var win lambda.StatsWindow
	if err == nil {
		win, err = lambda.ParseStatsWindow(r.URL.Query().Get("window"))
	}
	if err == nil && s.Stats == nil {
		err = lambda.Errorf(lambda.ENOTIMPLEMENTED, "this server keeps no stats")
	}
	var st *lambda.FunctionStats
	if err == nil {
		st, err = s.Stats.FunctionStats(r.Context(), name, win)
	}
	if err != nil {
		s.writeFunctionError(w, r, err)
		return
	}
	respondJSON(w, http.StatusOK, st)
}
