package http

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
)

// TestLambdaInvokeWire checks the bytes AWS clients other than the Go SDK
// rely on: error headers and bodies, and that no platform header leaks.
func TestLambdaInvokeWire(t *testing.T) {
	srv, _ := newLambdaAPIServer(t)
	tests := []struct {
		name, path, body string
		header           map[string]string
		status           int
		errorType        string // X-Amzn-ErrorType; "" for an invocation
		functionError    bool
	}{
		{"unknown function", "/2015-03-31/functions/nosuch/invocations", "{}", nil, 404, "ResourceNotFoundException", false},
		{"escaped ARN", "/2015-03-31/functions/arn%3Aaws%3Alambda%3Aus-east-1%3A000000000000%3Afunction%3Agreet%3A7/invocations", "{}", nil, 200, "", false},
		{"escaped slash", "/2015-03-31/functions/greet%2Fx/invocations", "{}", nil, 400, "InvalidParameterValueException", false},
		{"qualifier query", "/2015-03-31/functions/greet/invocations?Qualifier=%24LATEST", "{}", nil, 200, "", false},
		{"two qualifier queries", "/2015-03-31/functions/greet/invocations?Qualifier=%24LATEST&Qualifier=3", "{}", nil, 400, "InvalidParameterValueException", false},
		{"not JSON", "/2015-03-31/functions/greet/invocations", "nope", nil, 400, "InvalidRequestContentException", false},
		{"event", "/2015-03-31/functions/greet/invocations", "{}", map[string]string{"X-Amz-Invocation-Type": "Event"}, 400, "InvalidParameterValueException", false},
		{"docker down", "/2015-03-31/functions/down/invocations", "{}", nil, 500, "ServiceException", false},
		{"throttled", "/2015-03-31/functions/busy/invocations", "{}", nil, 429, "TooManyRequestsException", false},
		{"function error", "/2015-03-31/functions/greet/invocations", `{"do":"fail"}`, nil, 200, "", true},
		{"spoofed platform error", "/2015-03-31/functions/web/invocations", `{"status":404}`, nil, 200, "", true},
		{"platform headers from the client", "/2015-03-31/functions/greet/invocations", `{}`, map[string]string{HeaderInvokeMode: "http", HeaderLogType: "Tail"}, 200, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest("POST", srv.URL+tt.path, strings.NewReader(tt.body))
			for k, v := range tt.header {
				req.Header.Set(k, v)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tt.status || resp.Header.Get("X-Amzn-ErrorType") != tt.errorType {
				t.Fatalf("got %d %q %s, want %d %q", resp.StatusCode, resp.Header.Get("X-Amzn-ErrorType"), body, tt.status, tt.errorType)
			}
			if (resp.Header.Get("X-Amz-Function-Error") == "Unhandled") != tt.functionError {
				t.Errorf("X-Amz-Function-Error %q", resp.Header.Get("X-Amz-Function-Error"))
			}
			if len(resp.Header.Get("X-Amzn-RequestId")) != 36 {
				t.Errorf("X-Amzn-RequestId %q", resp.Header.Get("X-Amzn-RequestId"))
			}
			for k := range resp.Header {
				if strings.HasPrefix(k, "X-Lambda-") {
					t.Errorf("platform header %s leaked", k)
				}
			}
			// Lambda's model reads TooManyRequestsException's
			// retryAfterSeconds from this header, as the control API sends it.
			if got := resp.Header.Get("Retry-After"); (tt.status == http.StatusTooManyRequests) != (got != "") {
				t.Errorf("Retry-After %q on a %d", got, tt.status)
			}
			if resp.Header.Get("X-Amz-Log-Result") != "" {
				t.Errorf("log tail answered without X-Amz-Log-Type: Tail")
			}
			if tt.errorType != "" {
				var e map[string]string
				if json.Unmarshal(body, &e) != nil || e["Type"] == "" || e["Message"] == "" || e["message"] != e["Message"] {
					t.Errorf("error body %s, want Type, Message and message", body)
				}
			}
		})
	}
}
