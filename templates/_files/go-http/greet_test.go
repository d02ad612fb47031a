package main

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestGreet(t *testing.T) {
	tests := []struct {
		name, method, target, body string
		status                     int
		want                       string
	}{
		{"nobody", "GET", "/", "", 200, `{"message": "Hello, World!"}`},
		{"query", "GET", "/?name=Ada", "", 200, `{"message": "Hello, Ada!"}`},
		{"json body", "POST", "/", `{"name": "World"}`, 200, `{"message": "Hello, World!"}`},
		{"empty body", "POST", "/", "", 200, `{"message": "Hello, World!"}`},
		{"not json", "POST", "/", "name=Ada", 400, `"error"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			greet(rec, httptest.NewRequest(tt.method, tt.target, strings.NewReader(tt.body)))
			if rec.Code != tt.status || !strings.Contains(rec.Body.String(), tt.want) {
				t.Fatalf("%s %s: %d %s; want %d with %s", tt.method, tt.target, rec.Code, rec.Body, tt.status, tt.want)
			}
		})
	}
	t.Setenv("GREETING", "Hi")
	rec := httptest.NewRecorder()
	greet(rec, httptest.NewRequest(http.MethodGet, "/?name=Ada", nil))
	if got := strings.TrimSpace(rec.Body.String()); got != `{"message": "Hi, Ada!"}` {
		t.Fatalf("with GREETING=Hi: %s", got)
	}
}
