package prometheus

import (
	"log/slog"
	"net/http"

	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Handler serves the metrics in the Prometheus text format (or what the
// scraper negotiates). A metric that fails to gather is logged and left
// out; the others are served.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m, promhttp.HandlerOpts{
		ErrorLog:      slog.NewLogLogger(m.Logger.Handler(), slog.LevelWarn),
		ErrorHandling: promhttp.ContinueOnError,
		// Scrapes are rare and small; a few at once are plenty.
		MaxRequestsInFlight: 4,
		Timeout:             2 * m.ScrapeTimeout,
	})
}
