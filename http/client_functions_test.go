package http

import (
	"context"
	"encoding/json"
	"net/http"
	"reflect"
	"testing"
	"time"

	"github.com/lambdahq/lambda"
)

func TestClientDecodesAnswers(t *testing.T) {
	now := time.Date(2026, 11, 22, 8, 0, 0, 0, time.UTC)
	detail := FunctionDetail{
		Name: "greet", URL: "http://greet.localhost:8080", PathURL: "http://localhost:8080/fn/greet", Status: "ready",
		Active:    &lambda.Version{Function: "greet", Number: 2, Image: "func-greet:v2", Config: lambda.Config{Runtime: "go", Timeout: lambda.Duration(time.Second)}},
		Instances: []*lambda.Instance{{ID: "c1", Function: "greet", Version: 2, Addr: "127.0.0.1:1", Running: true}},
		CreatedAt: now, UpdatedAt: now,
	}
	schedule := &lambda.Schedule{ID: "sch_1", Function: "greet", Cron: "0 * * * *", Timezone: "UTC", Overlap: "skip", NextRunAt: now}

	type call struct{ method, path, query, body string }
	var got call
	mux := http.NewServeMux()
	record := func(r *http.Request) {
		var b json.RawMessage
		_ = json.NewDecoder(r.Body).Decode(&b)
		got = call{r.Method, r.URL.Path, r.URL.RawQuery, string(b)}
	}
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		record(r)
		writeJSON(w, 503, Health{Status: "degraded", Store: "ok", Docker: "unreachable"})
	})
	mux.HandleFunc("GET /v1/functions", func(w http.ResponseWriter, r *http.Request) {
		record(r)
		writeJSON(w, 200, FunctionList{Functions: []FunctionSummary{{Name: "greet", Version: 2, UpdatedAt: now}}})
	})
	mux.HandleFunc("GET /v1/functions/{name}", func(w http.ResponseWriter, r *http.Request) {
		record(r)
		writeJSON(w, 200, detail)
	})
	mux.HandleFunc("DELETE /v1/functions/{name}", func(w http.ResponseWriter, r *http.Request) {
		record(r)
		w.WriteHeader(204)
	})
	mux.HandleFunc("GET /v1/functions/{name}/versions", func(w http.ResponseWriter, r *http.Request) {
		record(r)
		writeJSON(w, 200, VersionList{Versions: []VersionInfo{{Version: lambda.Version{Number: 1}}, {Version: lambda.Version{Number: 2}, Active: true}}})
	})
	mux.HandleFunc("POST /v1/functions/{name}/rollback", func(w http.ResponseWriter, r *http.Request) {
		record(r)
		writeJSON(w, 200, detail)
	})
	mux.HandleFunc("POST /v1/schedules", func(w http.ResponseWriter, r *http.Request) {
		record(r)
		writeJSON(w, 201, schedule)
	})
	mux.HandleFunc("GET /v1/schedules", func(w http.ResponseWriter, r *http.Request) {
		record(r)
		writeJSON(w, 200, ScheduleList{Schedules: []*lambda.Schedule{schedule}})
	})
	c := newTestClient(t, mux.ServeHTTP)
	ctx := context.Background()

	tests := []struct {
		name string
		do   func() (any, error)
		want any
		call call
	}{
		{"health degraded", func() (any, error) { return c.Health(ctx) },
			&Health{Status: "degraded", Store: "ok", Docker: "unreachable"}, call{"GET", "/healthz", "", ""}},
		{"list", func() (any, error) { return c.ListFunctions(ctx) },
			[]FunctionSummary{{Name: "greet", Version: 2, UpdatedAt: now}}, call{"GET", "/v1/functions", "", ""}},
		{"get", func() (any, error) { return c.GetFunction(ctx, "greet") },
			&detail, call{"GET", "/v1/functions/greet", "", ""}},
		{"delete", func() (any, error) { return nil, c.DeleteFunction(ctx, "greet") },
			nil, call{"DELETE", "/v1/functions/greet", "", ""}},
		{"versions", func() (any, error) { return c.ListVersions(ctx, "greet") },
			[]VersionInfo{{Version: lambda.Version{Number: 1}}, {Version: lambda.Version{Number: 2}, Active: true}}, call{"GET", "/v1/functions/greet/versions", "", ""}},
		{"rollback", func() (any, error) { return c.Rollback(ctx, "greet", 1) },
			&detail, call{"POST", "/v1/functions/greet/rollback", "", `{"version":1}`}},
		{"rollback to the previous version", func() (any, error) { return c.Rollback(ctx, "greet", 0) },
			&detail, call{"POST", "/v1/functions/greet/rollback", "", `{}`}},
		{"create schedule", func() (any, error) {
			return c.CreateSchedule(ctx, ScheduleRequest{Function: "greet", Cron: "0 * * * *", Data: json.RawMessage(`{"a":1}`)})
		}, schedule, call{"POST", "/v1/schedules", "", `{"function":"greet","cron":"0 * * * *","data":{"a":1}}`}},
		{"list schedules of one function", func() (any, error) { return c.ListSchedules(ctx, "greet") },
			[]*lambda.Schedule{schedule}, call{"GET", "/v1/schedules", "function=greet", ""}},
		{"list all schedules", func() (any, error) { return c.ListSchedules(ctx, "") },
			[]*lambda.Schedule{schedule}, call{"GET", "/v1/schedules", "", ""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got = call{}
			v, err := tt.do()
			if err != nil {
				t.Fatal(err)
			}
			if tt.want != nil && !reflect.DeepEqual(v, tt.want) {
				t.Errorf("answer = %#v\nwant %#v", v, tt.want)
			}
			if got != tt.call {
				t.Errorf("request = %+v, want %+v", got, tt.call)
			}
		})
	}
}
