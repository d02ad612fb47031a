package shim

import (
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"
)

// functionURLRequest mirrors aws-lambda-go's events.LambdaFunctionURLRequest,
// which unmodified Go functions decode the event into.
type functionURLRequest struct {
	Version               string            `json:"version"`
	RawPath               string            `json:"rawPath"`
	RawQueryString        string            `json:"rawQueryString"`
	Cookies               []string          `json:"cookies,omitempty"`
	Headers               map[string]string `json:"headers"`
	QueryStringParameters map[string]string `json:"queryStringParameters,omitempty"`
	RequestContext        struct {
		AccountID    string `json:"accountId"`
		RequestID    string `json:"requestId"`
		APIID        string `json:"apiId"`
		DomainName   string `json:"domainName"`
		DomainPrefix string `json:"domainPrefix"`
		Time         string `json:"time"`
		TimeEpoch    int64  `json:"timeEpoch"`
		HTTP         struct {
			Method    string `json:"method"`
			Path      string `json:"path"`
			Protocol  string `json:"protocol"`
			SourceIP  string `json:"sourceIp"`
			UserAgent string `json:"userAgent"`
		} `json:"http"`
	} `json:"requestContext"`
	Body            string `json:"body,omitempty"`
	IsBase64Encoded bool   `json:"isBase64Encoded"`
}

func functionURLEvent(t *testing.T, method, target, body string, header ...string) (functionURLRequest, map[string]any) {
	t.Helper()
	r := httptest.NewRequest(method, target, strings.NewReader(body))
	r.Host = "greet.localhost:8080"
	r.RemoteAddr = "192.0.2.7:4000"
	for i := 0; i+1 < len(header); i += 2 {
		r.Header.Add(header[i], header[i+1])
	}
	b := appendFunctionURLEvent(nil, r, []byte(body), testInvocation(false), &testFn)
	var ev functionURLRequest
	var m map[string]any
	if err := json.Unmarshal(b, &ev); err != nil {
		t.Fatalf("event is not JSON: %v\n%s", err, b)
	}
	json.Unmarshal(b, &m)
	return ev, m
}

func TestFunctionURLEvent(t *testing.T) {
	ev, m := functionURLEvent(t, "POST", "/a%2Fb/c?x=1&x=2&y=", `{"k":"v"}`,
		"Cookie", "s=1; t=2", "Cookie", "u=3", "User-Agent", "curl/8", "X-Forwarded-For", "203.0.113.9, 10.0.0.1",
		"X-Lambda-Invoke-Mode", "http", "Accept", "a", "Accept", "b")
	checks := []struct{ got, want any }{
		{ev.Version, "2.0"},
		{m["routeKey"], "$default"},
		{ev.RawPath, "/a%2Fb/c"},
		{ev.RawQueryString, "x=1&x=2&y="},
		{strings.Join(ev.Cookies, "|"), "s=1|t=2|u=3"},
		{ev.Headers["cookie"], ""},
		{ev.Headers["accept"], "a,b"},
		{ev.Headers["host"], "greet.localhost:8080"},
		{ev.Headers["x-lambda-invoke-mode"], ""},
		{ev.QueryStringParameters["x"], "1,2"},
		{ev.QueryStringParameters["y"], ""},
		{ev.RequestContext.AccountID, "anonymous"},
		{ev.RequestContext.APIID, "greet"},
		{ev.RequestContext.DomainName, "greet.localhost"},
		{ev.RequestContext.DomainPrefix, "greet"},
		{ev.RequestContext.RequestID, "id-1"},
		{ev.RequestContext.Time, "22/Nov/2025:08:26:40 +0000"},
		{ev.RequestContext.TimeEpoch, int64(1763800000000)},
		{ev.RequestContext.HTTP.Method, "POST"},
		{ev.RequestContext.HTTP.Path, "/a/b/c"},
		{ev.RequestContext.HTTP.Protocol, "HTTP/1.1"},
		{ev.RequestContext.HTTP.SourceIP, "203.0.113.9"},
		{ev.RequestContext.HTTP.UserAgent, "curl/8"},
		{path(m, "requestContext", "routeKey"), "$default"},
		{path(m, "requestContext", "stage"), "$default"},
		{ev.Body, `{"k":"v"}`},
		{ev.IsBase64Encoded, false},
	}
	for i, c := range checks {
		if c.got != c.want {
			t.Errorf("check %d: got %v, want %v", i, c.got, c.want)
		}
	}
}

func TestFunctionURLEventEdges(t *testing.T) {
	ev, m := functionURLEvent(t, "GET", "/", "")
	if _, ok := m["body"]; ok || ev.IsBase64Encoded {
		t.Errorf("no body: %v", m)
	}
	if _, ok := m["cookies"]; ok {
		t.Error("cookies without a Cookie header")
	}
	if _, ok := m["queryStringParameters"]; ok {
		t.Error("queryStringParameters without a query")
	}
	if ev.RequestContext.HTTP.SourceIP != "192.0.2.7" {
		t.Errorf("sourceIp %q, want the peer", ev.RequestContext.HTTP.SourceIP)
	}
	ev, _ = functionURLEvent(t, "POST", "/", "\x00\xff")
	if !ev.IsBase64Encoded || ev.Body != "AP8=" {
		t.Errorf("binary body %q %v", ev.Body, ev.IsBase64Encoded)
	}
}
