package http

import (
	"net/http"
	"testing"

	"github.com/lambdahq/lambda"
)

// metricsStub stands for the metrics handler.
var metricsStub = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; version=0.0.4")
	_, _ = w.Write([]byte("lambda_up 1\n"))
})

func TestMetricsKey(t *testing.T) {
	a := newAuthServer()
	_, admin := a.newKey(t, lambda.ScopeAdmin)
	a.Metrics = metricsStub
	a.MetricsKey = "s3cret-scraper-key"
	h := a.Handler()
	for _, tc := range []struct {
		name, authorization string
		want                int
	}{
		{"no key", "", 401},
		{"the metrics key", "Bearer s3cret-scraper-key", 200},
		{"the scheme in lower case", "bearer s3cret-scraper-key", 200},
		{"a prefix of the key", "Bearer s3cret", 401},
		{"the key and more", "Bearer s3cret-scraper-key2", 401},
		{"another scheme", "Basic s3cret-scraper-key", 401},
		{"an admin API key", "Bearer " + admin, 401},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a.failures = failureLimiter{}
			w := doRequest(h, "GET", "/metrics", tc.authorization)
			if w.Code != tc.want {
				t.Fatalf("%d %s, want %d", w.Code, w.Body, tc.want)
			}
			if tc.want == 401 && (w.Header().Get("WWW-Authenticate") != `Bearer realm="lambda"` || w.Header().Get(ErrorHeader) != lambda.EUNAUTHORIZED) {
				t.Errorf("401 without the challenge or the error code: %v", w.Header())
			}
			if tc.want == 200 && w.Body.String() != "lambda_up 1\n" {
				t.Errorf("body %q, want the metrics", w.Body)
			}
		})
	}
	// Two Authorization headers are refused, whatever they hold.
	r, _ := http.NewRequest("GET", "/metrics", nil)
	r.Header.Add("Authorization", "Bearer s3cret-scraper-key")
	r.Header.Add("Authorization", "Bearer s3cret-scraper-key")
	if err := a.checkMetricsKey(r); lambda.ErrorCode(err) != lambda.EUNAUTHORIZED {
		t.Errorf("two Authorization headers: %v, want unauthorized", err)
	}
}

func TestMetricsWithoutKey(t *testing.T) {
	a := newAuthServer()
	a.Metrics = metricsStub
	if w := doRequest(a.Handler(), "GET", "/metrics", ""); w.Code != 200 || w.Body.String() != "lambda_up 1\n" {
		t.Errorf("without a metrics key: %d %s, want the metrics to anyone", w.Code, w.Body)
	}
	b := newAuthServer()
	if w := doRequest(b.Handler(), "GET", "/metrics", ""); w.Code != 501 {
		t.Errorf("a server without metrics: %d, want 501", w.Code)
	}
}

// TestMetricsKeyFailuresAreLimited: guessing the metrics key counts
// towards the address's limit of failed authentications.
func TestMetricsKeyFailuresAreLimited(t *testing.T) {
	a := newAuthServer()
	a.Metrics, a.MetricsKey = metricsStub, "s3cret-scraper-key"
	h := a.Handler()
	var last int
	for range 200 {
		if last = doRequest(h, "GET", "/metrics", "Bearer guess").Code; last == 429 {
			break
		}
	}
	if last != 429 {
		t.Errorf("200 wrong keys from one address: last %d, want 429 once past the limit", last)
	}
}
