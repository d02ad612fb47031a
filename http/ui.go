package http

import (
	"net/http"
	"strings"

	"github.com/lambdahq/lambda"
)

// The dashboard (ui/) is static files: a login page and JavaScript that
// reads everything it shows from the /v1 API with the key the user typed
// in, which the browser keeps for its session only. Its route is public
// because the files hold no data: a request without a key gets the login
// page, never a function's name.

// uiPrefix is where the dashboard is served.
const uiPrefix = "/ui/"

// uiCSP allows the dashboard's own files and API calls, nothing else: no
// inline script (a function's log line or name rendered by mistake as
// HTML cannot run), no framing (clickjacking of the rollback button).
const uiCSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
	"form-action 'self'; base-uri 'none'; frame-ancestors 'none'"

func (s *Server) uiRoutes(mux *http.ServeMux) {
	s.route(mux, "GET "+uiPrefix, scopePublic, s.handleUI)
}

func (s *Server) handleUI(w http.ResponseWriter, r *http.Request) {
	if s.UI == nil {
		writeError(w, r, s.Logger, lambda.Errorf(lambda.ENOTFOUND, "this server has no dashboard"))
		return
	}
	h := w.Header()
	h.Set("Content-Security-Policy", uiCSP)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Frame-Options", "DENY")
	// The files change with the binary: revalidated on each load, so an
	// upgraded server never runs a page with the previous one's modules.
	h.Set("Cache-Control", "no-cache")
	p := strings.TrimPrefix(r.URL.Path, uiPrefix)
	if p == "" || strings.HasSuffix(p, "/") {
		p += "index.html"
	}
	http.ServeFileFS(w, r, s.UI, p)
}
