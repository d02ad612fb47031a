package http

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/lambdahq/lambda"
)

// missingFunctionSchedules is a ScheduleService whose functions do not
// exist, as the real one answers for a name no function has.
type missingFunctionSchedules struct{ lambda.ScheduleService }

func (missingFunctionSchedules) Create(_ context.Context, spec lambda.ScheduleSpec) (*lambda.Schedule, error) {
	return nil, lambda.Errorf(lambda.ENOTFOUND, "function %q not found", spec.Function)
}

// Every control route that names a function gets the hint, not only
// describe and its like: schedules (create, list), redrive and an
// asynchronous invocation (lambda invoke --async) too.
func TestSuggestFunctionOnEveryFunctionRoute(t *testing.T) {
	s, _ := newAsyncServer(t) // functions greet, web, draft
	s.ScheduleService = missingFunctionSchedules{}
	for _, tc := range []struct{ method, target, body string }{
		{"POST", "/v1/schedules", `{"function":"gret","cron":"@hourly"}`},
		{"GET", "/v1/schedules?function=gret", ""},
		{"POST", "/v1/functions/gret/redrive", `{"all":true}`},
		{"POST", "/v1/functions/gret/invocations", `{}`},
	} {
		req := httptest.NewRequest(tc.method, tc.target, strings.NewReader(tc.body))
		req.Host = "localhost"
		rec := serve(s, req)
		e := errorOf(t, rec)
		if rec.Code != http.StatusNotFound || e.Message != `function "gret" not found — did you mean "greet"?` {
			t.Errorf("%s %s: %d %q, want 404 with the hint", tc.method, tc.target, rec.Code, e.Message)
		}
	}
}
