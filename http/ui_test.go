package http

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"
)

func TestUIServesFilesWithoutKey(t *testing.T) {
	s := NewServer()
	s.UI = fstest.MapFS{
		"index.html": {Data: []byte("<!doctype html><title>login</title>")},
		"app.js":     {Data: []byte("export const x = 1;")},
	}
	h := s.Handler()
	for _, tc := range []struct {
		path     string
		code     int
		body     string
		location string
	}{
		{path: "/ui/", code: 200, body: "<title>login</title>"},
		{path: "/ui/app.js", code: 200, body: "export const x"},
		{path: "/ui", code: http.StatusTemporaryRedirect, location: "/ui/"},
		{path: "/ui/index.html", code: http.StatusMovedPermanently, location: "./"},
		{path: "/ui/missing.js", code: 404},
		// A path climbing out of the dashboard reaches no API route.
		{path: "/ui/%2e%2e/v1/functions", code: http.StatusBadRequest},
	} {
		t.Run(tc.path, func(t *testing.T) {
			w := httptest.NewRecorder()
			h.ServeHTTP(w, httptest.NewRequest("GET", tc.path, nil))
			if w.Code != tc.code {
				t.Fatalf("%d, want %d: %s", w.Code, tc.code, w.Body)
			}
			if !strings.Contains(w.Body.String(), tc.body) {
				t.Errorf("body %q, want it to hold %q", w.Body, tc.body)
			}
			if got := w.Header().Get("Location"); got != tc.location {
				t.Errorf("Location %q, want %q", got, tc.location)
			}
			if tc.code == 200 && !strings.Contains(w.Header().Get("Content-Security-Policy"), "script-src 'self'") {
				t.Errorf("no CSP limiting scripts to the dashboard's own: %v", w.Header())
			}
		})
	}
}

func TestUIWithoutAssets(t *testing.T) {
	h := NewServer().Handler()
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("GET", "/ui/", nil))
	if w.Code != 404 || !strings.Contains(w.Body.String(), "no dashboard") {
		t.Errorf("%d %s, want 404 saying the server has no dashboard", w.Code, w.Body)
	}
}
