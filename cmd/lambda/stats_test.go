package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lambdahq/lambda"
	lambdahttp "github.com/lambdahq/lambda/http"
)

// statsAPI answers for greet with 3 buckets, whatever the window, and
// records the window asked.
func statsAPI(t *testing.T) (string, func() string) {
	t.Helper()
	var mu sync.Mutex
	asked := "-"
	start := time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/functions/{name}/stats", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		asked = r.URL.Query().Get("window")
		mu.Unlock()
		if r.PathValue("name") != "greet" {
			w.WriteHeader(404)
			json.NewEncoder(w).Encode(lambdahttp.ErrorResponse{Error: lambdahttp.ErrorBody{Code: lambda.ENOTFOUND, Message: `function "` + r.PathValue("name") + `" not found: "lambda list" shows the functions there are`}})
			return
		}
		b := func(i int, n, errs int64, p95 float64) lambda.StatsBucket {
			timed := n
			if p95 == 0 {
				timed = 0
			}
			return lambda.StatsBucket{Start: start.Add(time.Duration(i) * time.Minute), StatsCounts: lambda.StatsCounts{Invocations: n, Errors: errs, Throttles: 1, ColdStarts: 1},
				Timed: timed, P50Ms: p95 / 2, P95Ms: p95, P99Ms: p95 * 2}
		}
		st := lambda.FunctionStats{Function: "greet", Window: "1h", StepSeconds: 60, Start: start, End: start.Add(3 * time.Minute),
			Buckets: []lambda.StatsBucket{b(0, 0, 0, 0), b(1, 4, 1, 2.5), b(2, 8, 0, 10)}, Total: b(0, 12, 1, 10)}
		json.NewEncoder(w).Encode(st)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv.URL, func() string {
		mu.Lock()
		defer mu.Unlock()
		return asked
	}
}

func TestStatsCommand(t *testing.T) {
	api, asked := statsAPI(t)
	out, errOut, code := runCLI(t, api, "", "stats", "greet")
	want := `greet, last 1h in buckets of 1m (UTC):
requests  ▁▅█  max 8 per 1m
p95       ▁▃█  max 10ms

START   INVOCATIONS   ERRORS   THROTTLES   COLD STARTS   P50      P95     P99
10:00   0             0        1           1             -        -       -
10:01   4             1        1           1             1.25ms   2.5ms   5ms
10:02   8             0        1           1             5ms      10ms    20ms
TOTAL   12            1        1           1             5ms      10ms    20ms
`
	if code != 0 || out != want {
		t.Errorf("exit %d, stderr %q, stdout:\n%s\nwant:\n%s", code, errOut, out, want)
	}
	if asked() != "1h" {
		t.Errorf("asked window %q, want 1h", asked())
	}

	out, _, code = runCLI(t, api, "", "stats", "greet", "--window", "7d", "-o", "json")
	var st lambda.FunctionStats
	if err := json.Unmarshal([]byte(out), &st); code != 0 || err != nil || len(st.Buckets) != 3 || st.Total.Invocations != 12 || st.Buckets[2].P95Ms != 10 {
		t.Errorf("-o json: exit %d, %v, %q", code, err, out)
	}
	if asked() != "7d" {
		t.Errorf("asked window %q, want 7d", asked())
	}

	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"stats", "nope"}, `Error: function "nope" not found: "lambda list" shows the functions there are`},
		{[]string{"stats", "greet", "--window", "2h"}, `Error: --window: window "2h" is not one the server keeps: use 1h, 24h, 7d`},
		{[]string{"stats", "Bad_Name"}, "name"},
		{[]string{"stats", "greet", "-o", "xml"}, "--output"},
	} {
		_, errOut, code := runCLI(t, api, "", tc.args...)
		if code == 0 || !strings.Contains(errOut, tc.want) {
			t.Errorf("lambda %s: exit %d, stderr %q; want an error saying %q", strings.Join(tc.args, " "), code, errOut, tc.want)
		}
	}
}

func TestSparkline(t *testing.T) {
	for _, tc := range []struct {
		in   []float64
		want string
	}{
		{nil, ""},
		{[]float64{0, 0}, "▁▁"},
		{[]float64{0, 1, 2, 3, 4, 5, 6, 7}, "▁▂▃▄▅▆▇█"},
		{[]float64{0, 0.001, 1000}, "▁▂█"},
		{[]float64{5, 5}, "██"},
	} {
		if got := sparkline(tc.in); got != tc.want {
			t.Errorf("sparkline(%v) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
