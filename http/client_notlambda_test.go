package http

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// A --server that is some other web server (it answers 200 with text)
// gets an error that says so, not a JSON decoder's complaint.
func TestClientAnswerNotLambdaAPI(t *testing.T) {
	h := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Write([]byte("vm\n"))
	}))
	defer h.Close()
	_, err := NewClient(h.URL).Version(context.Background())
	if err == nil || !strings.Contains(err.Error(), h.URL) || !strings.Contains(err.Error(), "not the Lambda API's JSON") ||
		!strings.Contains(err.Error(), "text/plain") || strings.Contains(err.Error(), "invalid character") {
		t.Fatalf("Version from a server that is not Lambda: %v", err)
	}
}
