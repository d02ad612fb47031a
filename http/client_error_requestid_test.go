package http

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/lambdahq/lambda"
)

// The CLI's message for a failure of the platform names the request ID
// its server logged the cause under; other errors stay as they were.
func TestResponseErrorNamesTheRequestID(t *testing.T) {
	const id = "8f14e45f-ceea-467a-9575-0c8f4c1a2b3d"
	for _, tc := range []struct {
		name   string
		err    error
		header string
		named  bool
	}{
		{"internal", lambda.Errorf(lambda.EINTERNAL, "disk on fire"), id, true},
		{"unavailable", lambda.Errorf(lambda.EUNAVAILABLE, "Docker is down"), id, true},
		{"function failed", lambda.Errorf(lambda.EFUNCTION, "it crashed"), id, false},
		{"function timed out", lambda.Errorf(lambda.ETIMEOUT, "timed out"), id, false},
		{"not offered", lambda.Errorf(lambda.ENOTIMPLEMENTED, "no metrics"), id, false},
		{"client's mistake", lambda.Errorf(lambda.ENOTFOUND, "no such function"), id, false},
		{"no ID", lambda.Errorf(lambda.EINTERNAL, "disk on fire"), "", false},
		{"malformed ID", lambda.Errorf(lambda.EINTERNAL, "disk on fire"), "a b", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			if tc.header != "" {
				rec.Header().Set(HeaderAPIRequestID, tc.header)
			}
			writeError(rec, httptest.NewRequest("GET", "/v1/x", nil), slog.New(slog.DiscardHandler), tc.err)
			got := responseError(rec.Result())
			if lambda.ErrorCode(got) != lambda.ErrorCode(tc.err) {
				t.Errorf("code %q, want %q", lambda.ErrorCode(got), lambda.ErrorCode(tc.err))
			}
			msg := got.Error()
			if named := strings.Contains(msg, "request ID "+tc.header+": check the server log"); named != tc.named {
				t.Errorf("message %q: names the request ID %v, want %v", msg, named, tc.named)
			}
		})
	}
}

// A deploy stream that ends in a platform failure names the request ID
// too; one that ends in the user's own mistake does not.
func TestDeployStreamErrorNamesTheRequestID(t *testing.T) {
	const id = "req-7"
	for _, tc := range []struct {
		code  string
		named bool
	}{{lambda.EINTERNAL, true}, {lambda.EINVALID, false}} {
		t.Run(tc.code, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				_, _ = io.Copy(io.Discard, r.Body)
				w.Header().Set(HeaderAPIRequestID, id)
				w.Header().Set("Content-Type", "application/x-ndjson")
				_ = json.NewEncoder(w).Encode(DeployEvent{Type: EventStep, Message: "building"})
				_ = json.NewEncoder(w).Encode(DeployEvent{Type: EventError, Error: &ErrorBody{Code: tc.code, Message: "it broke"}})
			}))
			defer srv.Close()
			_, err := NewClient(srv.URL).DeployImage(context.Background(), "greet", DeployRequest{}, "img", nil)
			if lambda.ErrorCode(err) != tc.code {
				t.Fatalf("error %v, want code %s", err, tc.code)
			}
			if named := strings.Contains(err.Error(), "request ID "+id+": check the server log"); named != tc.named {
				t.Errorf("error %q: names the request ID %v, want %v", err, named, tc.named)
			}
		})
	}
}
