package http

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awslambda "github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/lambdahq/lambda"
)

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

// TestLambdaInvokeClientContext: X-Amz-Client-Context is checked as Lambda
// does (a refused one invokes nothing) and reaches the instance decoded,
// as compact ASCII JSON that any runtime's header parser reads intact.
func TestLambdaInvokeClientContext(t *testing.T) {
	srv, shim := newLambdaAPIServer(t)
	// The longest Lambda takes: 3583 bytes, 3580 once padded.
	long := func(n int) string { return b64(`{"custom":{"k":"` + strings.Repeat("x", n) + `"}}`) }
	if len(long(2666)) != 3580 || len(long(2667)) != 3584 {
		t.Fatalf("the long client contexts are %d and %d bytes", len(long(2666)), len(long(2667)))
	}
	tests := []struct {
		name   string
		header map[string]string
		status int
		want   string // what the instance gets; for a refusal, in the message
	}{
		{"none", nil, 200, ""},
		{"object", map[string]string{amzClientContext: b64(`{"client":{"app_title":"t"},"custom":{"k":"v"},"env":{"platform":"go"}}`)}, 200,
			`{"client":{"app_title":"t"},"custom":{"k":"v"},"env":{"platform":"go"}}`},
		{"pretty, non-ASCII", map[string]string{amzClientContext: b64("{\n  \"custom\": {\"name\": \"caf\u00e9 \u2603 \U0001F600\", \"tab\": \"a\\tb\", \"del\": \"\x7f\"}\n}\n")}, 200,
			`{"custom":{"name":"caf\u00e9 \u2603 \ud83d\ude00","tab":"a\tb","del":"\u007f"}}`},
		{"unpadded", map[string]string{amzClientContext: strings.TrimRight(b64(`{"a":"b"}`), "=")}, 200, `{"a":"b"}`},
		{"longest", map[string]string{amzClientContext: long(2666)}, 200, `{"custom":{"k":"` + strings.Repeat("x", 2666) + `"}}`},
		{"platform header from the client", map[string]string{HeaderClientContext: `{"spoofed":true}`}, 200, ""},
		{"too long", map[string]string{amzClientContext: long(2667)}, 400, "3584 bytes"},
		{"not base64", map[string]string{amzClientContext: "not base64!"}, 400, "not base64"},
		{"not JSON", map[string]string{amzClientContext: b64(`{"a":`)}, 400, "not JSON"},
		{"not an object", map[string]string{amzClientContext: b64(`["a"]`)}, 400, "not an object"},
		{"not UTF-8", map[string]string{amzClientContext: b64("{\"a\":\"caf\xe9\"}")}, 400, "not UTF-8"},
		{"dry run", map[string]string{amzClientContext: "%%%", amzInvocationType: invokeDryRun}, 400, "not base64"},
		{"event", map[string]string{amzClientContext: b64(`1`), amzInvocationType: invokeAsync}, 400, "not an object"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := shim.count()
			req, _ := http.NewRequest("POST", srv.URL+"/2015-03-31/functions/greet/invocations", strings.NewReader(`{}`))
			for k, v := range tt.header {
				req.Header.Set(k, v)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tt.status {
				t.Fatalf("got %d %s, want %d", resp.StatusCode, body, tt.status)
			}
			if tt.status != 200 {
				if typ := resp.Header.Get(amzErrorType); typ != "InvalidRequestContentException" || !strings.Contains(string(body), badClientContext) || !strings.Contains(string(body), tt.want) {
					t.Errorf("got %q %s, want InvalidRequestContentException saying %q", typ, body, tt.want)
				}
				if shim.count() != before {
					t.Errorf("a refused client context invoked the function")
				}
				return
			}
			if got := shim.last().header.Get(HeaderClientContext); got != tt.want {
				t.Errorf("the instance got %s %q, want %q", HeaderClientContext, got, tt.want)
			}
		})
	}
}

// TestLambdaInvokeClientContextSDK: aws-sdk-go-v2's ClientContext, as
// an application sets it, reaches the instance; a bad one is the SDK's
// typed error.
func TestLambdaInvokeClientContextSDK(t *testing.T) {
	srv, shim := newLambdaAPIServer(t)
	c := sdkClient(srv.URL)
	cc := `{"client":{"installation_id":"i-1","app_title":"app"},"custom":{"user":"u"},"env":{"locale":"fr"}}`
	invoke(t, c, &awslambda.InvokeInput{FunctionName: aws.String("greet"), Payload: []byte(`{}`), ClientContext: aws.String(b64(cc))})
	if got := shim.last().header.Get(HeaderClientContext); got != cc {
		t.Errorf("the instance got %q, want %q", got, cc)
	}
	_, err := c.Invoke(context.Background(), &awslambda.InvokeInput{FunctionName: aws.String("greet"), ClientContext: aws.String(cc)})
	checkSDKError(t, err, new(*types.InvalidRequestContentException), badClientContext)
}

// TestGatewayStripsClientContext: a gateway client cannot pose as the
// Invoke API's client context.
func TestGatewayStripsClientContext(t *testing.T) {
	h := http.Header{}
	h.Set(HeaderClientContext, `{"spoofed":true}`)
	setPlatformHeaders(h, "req-1", false, false, time.Now())
	if v := h.Get(HeaderClientContext); v != "" {
		t.Errorf("%s %q passed", HeaderClientContext, v)
	}
}

// FuzzClientContext: whatever the header holds, it is refused as Lambda
// refuses it, or the instance gets the same JSON object in a form a
// header carries intact.
func FuzzClientContext(f *testing.F) {
	for _, s := range []string{"", `{}`, `{"a":"é\u2028\x7f"}`, `{"s":"\ud83d\ude00"}`, "[]", "{\"a\":\"\xff\"}", " {\"b\" : [1, 2.5e3, null, true]} "} {
		f.Add(b64(s))
	}
	f.Add("not base64")
	f.Fuzz(func(t *testing.T, v string) {
		h := http.Header{}
		h[amzClientContext] = []string{v}
		got, err := parseClientContext(h)
		if err != nil {
			if !errors.Is(err, errBadClientContext) || lambda.ErrorCode(err) != lambda.EINVALID {
				t.Fatalf("%q: error %v, want a bad client context", v, err)
			}
			return
		}
		if v == "" {
			if got != "" {
				t.Fatalf("no header gave %q", got)
			}
			return
		}
		if !validHeaderString(got) || !json.Valid([]byte(got)) || got[0] != '{' {
			t.Fatalf("%q gave %q: not a JSON object fit for a header", v, got)
		}
		for i := 0; i < len(got); i++ {
			if got[i] >= 0x7f {
				t.Fatalf("%q gave %q: not ASCII", v, got)
			}
		}
		raw, err := base64.StdEncoding.DecodeString(v)
		if err != nil {
			raw, _ = base64.RawStdEncoding.DecodeString(v)
		}
		var want, have any
		if json.Unmarshal(raw, &want) != nil || json.Unmarshal([]byte(got), &have) != nil || !reflect.DeepEqual(want, have) {
			t.Fatalf("%q: %s is not the JSON sent, %s", v, got, raw)
		}
	})
}

// TestInvokerSendsClientContext: the Invoker sends the client context to
// any instance, an http function's included, and refuses one that could
// break the request's head.
func TestInvokerSendsClientContext(t *testing.T) {
	got := make(chan string, 2)
	fn := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got <- r.Header.Get(HeaderClientContext)
		_, _ = io.WriteString(w, `{}`)
	}))
	t.Cleanup(fn.Close)
	store := &fakeFunctionStore{fns: map[string]*lambda.Function{}, versions: map[string][]int{}}
	store.add("web", 1, lambda.ProtocolHTTP, 10*time.Second)
	iv := NewInvoker(&storeRouter{store: store, addrs: map[string]string{"web": fn.Listener.Addr().String()}}, nil)
	const cc = `{"custom":{"k":"v"}}`
	if _, err := iv.Invoke(context.Background(), &lambda.InvokeRequest{Function: "web", ClientContext: cc}); err != nil {
		t.Fatal(err)
	}
	if v := <-got; v != cc {
		t.Errorf("the function got %q, want %q", v, cc)
	}
	_, err := iv.Invoke(context.Background(), &lambda.InvokeRequest{Function: "web", ClientContext: "{}\r\nX-Evil: 1"})
	if lambda.ErrorCode(err) != lambda.EINVALID || len(got) != 0 {
		t.Errorf("a client context with CR LF: %v, %d sent; want %s and none", err, len(got), lambda.EINVALID)
	}
}
