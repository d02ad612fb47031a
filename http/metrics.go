package http

import (
	"crypto/sha256"
	"crypto/subtle"
	"net/http"
	"strings"

	"github.com/lambdahq/lambda"
)

// scopeMetrics marks GET /metrics: open to any scraper unless the server
// has a MetricsKey, then only to a Bearer of that key. API keys do not get
// in: a scraper's credential should read metrics and nothing else, and a
// Prometheus config holding an API key would hold the keys to the platform.
const scopeMetrics = "metrics"

// handleMetrics serves the metrics in the Prometheus text format.
func (s *Server) handleMetrics(w http.ResponseWriter, r *http.Request) {
	if s.Metrics == nil {
		writeError(w, r, s.Logger, lambda.Errorf(lambda.ENOTIMPLEMENTED, "this server exports no metrics"))
		return
	}
	s.Metrics.ServeHTTP(w, r)
}

// guardMetrics checks the metrics key, when the server has one. Failures
// count towards the address's limit of failed authentications, as those
// of API keys do.
func (s *Server) guardMetrics(h http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.MetricsKey == "" || s.authOff {
			h(w, r)
			return
		}
		if err := s.checkMetricsKey(r); err != nil {
			err = s.authFailed(r, clientAddr(r), nil, err)
			s.deny(w, r, &authFailure{err: err, retryAfter: throttledFor(err)})
			return
		}
		h(w, r)
	})
}

// checkMetricsKey accepts exactly one "Authorization: Bearer MetricsKey".
// The secrets are compared by their hashes, in constant time, so that
// neither a prefix nor the length of the key leaks through timing.
func (s *Server) checkMetricsKey(r *http.Request) error {
	h := r.Header.Values("Authorization")
	if len(h) != 1 {
		return lambda.Errorf(lambda.EUNAUTHORIZED, "/metrics needs the server's metrics key: scrape with \"Authorization: Bearer KEY\" (in Prometheus: authorization.credentials), the key given to lambda server --metrics-key")
	}
	scheme, cred, _ := strings.Cut(strings.TrimSpace(h[0]), " ")
	got, want := sha256.Sum256([]byte(strings.TrimSpace(cred))), sha256.Sum256([]byte(s.MetricsKey))
	if !strings.EqualFold(scheme, "Bearer") || subtle.ConstantTimeCompare(got[:], want[:]) != 1 {
		return lambda.Errorf(lambda.EUNAUTHORIZED, "the metrics key is not valid: scrape with the key given to lambda server --metrics-key")
	}
	return nil
}
