package http

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/lambdahq/lambda"
)

// fakeStats answers for greet only, with one bucket per window's step.
type fakeStats struct{ asked lambda.StatsWindow }

func (f *fakeStats) FunctionStats(_ context.Context, name string, w lambda.StatsWindow) (*lambda.FunctionStats, error) {
	f.asked = w
	if name != "greet" {
		return nil, lambda.Errorf(lambda.ENOTFOUND, "function %q not found", name)
	}
	b := lambda.StatsBucket{StatsCounts: lambda.StatsCounts{Invocations: 5, Errors: 1}, Timed: 5, P50Ms: 1.5, P95Ms: 3, P99Ms: 3}
	return &lambda.FunctionStats{Function: name, Window: w.Name, StepSeconds: int64(w.Step / time.Second),
		Buckets: make([]lambda.StatsBucket, w.Buckets()), Total: b}, nil
}

func TestStatsAPI(t *testing.T) {
	s, _ := newAsyncServer(t)
	fake := &fakeStats{}
	s.Stats = fake
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	c := NewClient(srv.URL)
	ctx := context.Background()

	for _, tc := range []struct{ window, want string }{{"", "1h"}, {"1h", "1h"}, {"24h", "24h"}, {"7d", "7d"}} {
		st, err := c.Stats(ctx, "greet", tc.window)
		if err != nil {
			t.Fatalf("window %q: %v", tc.window, err)
		}
		if fake.asked.Name != tc.want || st.Window != tc.want || len(st.Buckets) != fake.asked.Buckets() || st.Total.Invocations != 5 || st.Total.P95Ms != 3 {
			t.Errorf("window %q: asked %s, answered %s with %d buckets, total %+v", tc.window, fake.asked.Name, st.Window, len(st.Buckets), st.Total)
		}
	}

	for _, tc := range []struct {
		name, target, code string
		status             int
	}{
		{"unknown function", "/v1/functions/nope/stats", lambda.ENOTFOUND, http.StatusNotFound},
		{"bad name", "/v1/functions/Bad_Name/stats", lambda.EINVALID, http.StatusBadRequest},
		{"bad window", "/v1/functions/greet/stats?window=2h", lambda.EINVALID, http.StatusBadRequest},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := serve(s, httptest.NewRequest(http.MethodGet, tc.target, nil))
			if e := errorOf(t, rec); e.Code != tc.code || rec.Code != tc.status {
				t.Errorf("%d %s %q, want %d %s", rec.Code, e.Code, e.Message, tc.status, tc.code)
			}
		})
	}
	if _, err := c.Stats(ctx, "greet", "1y"); lambda.ErrorCode(err) != lambda.EINVALID || lambda.ErrorMessage(err) != `window "1y" is not one the server keeps: use 1h, 24h, 7d` {
		t.Errorf("bad window through the client: %v", err)
	}

	s2, _ := newAsyncServer(t)
	rec := serve(s2, httptest.NewRequest(http.MethodGet, "/v1/functions/greet/stats", nil))
	if e := errorOf(t, rec); rec.Code != http.StatusNotImplemented || e.Code != lambda.ENOTIMPLEMENTED {
		t.Errorf("without stats: %d %s", rec.Code, e.Code)
	}
}
