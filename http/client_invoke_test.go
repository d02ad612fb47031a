package http

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/lambdahq/lambda"
)

func TestInvoke(t *testing.T) {
	big := strings.Repeat("x", maxErrorBody+10)
	tests := []struct {
		name        string
		status      int
		contentType string
		body        string
		wantErrCode string
		wantStatus  int
		header      string // ErrorHeader, set only by the platform
	}{
		{"ok", 200, "application/json", `{"hello":"world"}`, "", 200, ""},
		{"function answers 500 text", 500, "text/plain", "boom", "", 500, ""},
		{"function answers 400 json", 400, "application/json", `{"message":"bad input"}`, "", 400, ""},
		{"function answers large json error", 500, "application/json", `{"error":"` + big + `"}`, "", 500, ""},
		{"platform not found", 404, "application/json", `{"error":{"code":"not_found","message":"function \"greet\" not found"}}`, lambda.ENOTFOUND, 0, "not_found"},
		{"function answers platform-like json", 404, "application/json", `{"error":{"code":"not_found","message":"no such user"}}`, "", 404, ""},
		{"platform timeout", 504, "application/json; charset=utf-8", `{"error":{"code":"timeout","message":"function \"greet\" timed out after 30s"}}`, lambda.ETIMEOUT, 0, "timeout"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var gotBody, gotPath string
			c := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
				b, _ := io.ReadAll(r.Body)
				gotBody, gotPath = string(b), r.URL.Path
				w.Header().Set("Content-Type", tt.contentType)
				if tt.header != "" {
					w.Header().Set(ErrorHeader, tt.header)
				}
				w.WriteHeader(tt.status)
				io.WriteString(w, tt.body)
			})
			resp, err := c.Invoke(context.Background(), "greet", strings.NewReader(`{"n":1}`), InvokeOptions{})
			if gotBody != `{"n":1}` || gotPath != "/v1/functions/greet/invoke" {
				t.Errorf("server got %q at %q", gotBody, gotPath)
			}
			if tt.wantErrCode != "" {
				if lambda.ErrorCode(err) != tt.wantErrCode {
					t.Fatalf("err = %v, want code %q", err, tt.wantErrCode)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tt.wantStatus || string(b) != tt.body {
				t.Errorf("got %d %q, want %d %q", resp.StatusCode, b, tt.wantStatus, tt.body)
			}
		})
	}
}

// InvokeOptions reach the server as the route reads them.
func TestInvokeOptions(t *testing.T) {
	tests := []struct {
		name                  string
		opts                  InvokeOptions
		timeout, key, logType string
	}{
		{"none", InvokeOptions{}, "", "", ""},
		{"all", InvokeOptions{Timeout: 1500 * time.Millisecond, IdempotencyKey: "order-42", LogTail: true}, "1.5s", "order-42", "Tail"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got *http.Request
			c := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
				got = r.Clone(context.Background())
				io.WriteString(w, "{}")
			})
			resp, err := c.Invoke(context.Background(), "greet", nil, tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if got.URL.Query().Get("timeout") != tt.timeout || got.Header.Get(HeaderIdempotencyKey) != tt.key || got.Header.Get(HeaderLogType) != tt.logType {
				t.Errorf("server got %s with %v", got.URL, got.Header)
			}
			if _, err := timeoutParam(got.URL.Query().Get("timeout")); err != nil {
				t.Errorf("the route refuses the client's timeout: %v", err)
			}
		})
	}
}
