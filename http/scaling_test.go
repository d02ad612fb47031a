package http

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lambdahq/lambda"
)

// fakeScaling applies patches to one function, as the engine does, and
// records the last.
type fakeScaling struct {
	mu    sync.Mutex
	fn    lambda.Function
	patch lambda.ScalingPatch
	calls int
}

func (f *fakeScaling) UpdateScaling(_ context.Context, name string, p lambda.ScalingPatch) (*lambda.Function, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	if name != f.fn.Name {
		return nil, lambda.Errorf(lambda.ENOTFOUND, "function %q not found", name)
	}
	sc := p.Apply(f.fn.Scaling)
	if err := sc.Validate(); err != nil {
		return nil, err
	}
	f.patch, f.fn.Scaling = p, sc
	fn := f.fn
	return &fn, nil
}

func TestScalingAsyncSettings(t *testing.T) {
	_, s, c := newDeployServer(t)
	fs := &fakeScaling{fn: lambda.Function{Name: "work", ActiveVersion: 1, Active: &lambda.Version{Function: "work", Number: 1, Config: lambda.Config{Protocol: lambda.ProtocolAWS}}}}
	s.Scaling = fs
	ctx := context.Background()

	one, delay, dest := 1, lambda.Duration(2*time.Second), "dlq"
	fn, err := c.UpdateScaling(ctx, "work", lambda.ScalingPatch{MaxRetries: &one, RetryDelay: &delay, OnFailure: &dest})
	if err != nil {
		t.Fatal(err)
	}
	if p := fs.patch; p.MaxRetries == nil || *p.MaxRetries != 1 || *p.RetryDelay != delay || *p.OnFailure != "dlq" || p.MaxEventAge != nil || p.Concurrency != nil {
		t.Errorf("the service got %+v", p)
	}
	// The answer holds the settings in force: the ones set and the
	// defaults of the others.
	sc := fn.Scaling
	if *sc.MaxRetries != 1 || sc.RetryDelay != delay || sc.OnFailure != "dlq" || sc.OnSuccess != "" ||
		time.Duration(sc.MaxEventAge) != lambda.DefaultMaxEventAge || sc.AsyncConcurrency != lambda.DefaultMaxInstances {
		t.Errorf("answer's scaling %+v", sc)
	}

	none := ""
	if fn, err = c.UpdateScaling(ctx, "work", lambda.ScalingPatch{OnFailure: &none}); err != nil || fn.Scaling.OnFailure != "" || *fn.Scaling.MaxRetries != 1 {
		t.Errorf("removing the destination: %+v, %v", fn, err)
	}

	calls := fs.calls
	tests := []struct {
		name, body, want string
	}{
		{"nothing to change", `{}`, "nothing to change: set one of concurrency, min_instances, max_instances, idle_timeout, start_timeout, standby_timeout, reserved_concurrency, auth, max_retries, retry_delay, max_event_age, async_concurrency, on_success, on_failure"},
		{"unknown setting", `{"max_retry":1}`, `request body is not valid JSON: json: unknown field "max_retry"`},
		{"bad duration", `{"retry_delay":"soon"}`, `request body is not valid JSON: duration "soon" is invalid: use a value like 500ms, 30s or 5m`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodPatch, c.BaseURL+"/v1/functions/work/scaling", strings.NewReader(tt.body))
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var e ErrorResponse
			_ = json.NewDecoder(resp.Body).Decode(&e)
			if resp.StatusCode != 400 || e.Error.Code != lambda.EINVALID || e.Error.Message != tt.want {
				t.Errorf("answer %d %+v, want 400 %q", resp.StatusCode, e.Error, tt.want)
			}
		})
	}
	three := 3
	if _, err := c.UpdateScaling(ctx, "work", lambda.ScalingPatch{MaxRetries: &three}); lambda.ErrorCode(err) != lambda.EINVALID || !strings.Contains(err.Error(), "max retries 3 is out of range 0-2") {
		t.Errorf("max retries 3: %v", err)
	}
	if fs.calls != calls+1 {
		t.Errorf("refused bodies reached the service: %d calls, want %d", fs.calls, calls+1)
	}
}

func TestDeployAsyncSettings(t *testing.T) {
	d, _, c := newDeployServer(t)
	zero, age, dest := 0, lambda.Duration(time.Minute), "audit"
	req := DeployRequest{Scaling: lambda.ScalingPatch{MaxRetries: &zero, MaxEventAge: &age, OnSuccess: &dest}}
	if _, err := c.DeployImage(context.Background(), "work", req, "example/app:v1", nil); err != nil {
		t.Fatal(err)
	}
	got, _ := d.last()
	if p := got.Scaling; p.MaxRetries == nil || *p.MaxRetries != 0 || *p.MaxEventAge != age || *p.OnSuccess != "audit" || p.RetryDelay != nil {
		t.Errorf("the deploy reached the service with %+v", p)
	}

	d2, _, c2 := newDeployServer(t)
	for _, tt := range []struct{ scaling, want string }{
		{`{"max_retries":5}`, "max retries 5 is out of range 0-2"},
		{`{"max_event_age":"10s"}`, "max event age 10s is out of range 1m-6h (0 means the default, 6h)"},
		{`{"on_failure":"Not A Name"}`, `on_failure: function name "Not A Name"`},
	} {
		var body bytes.Buffer
		mw := multipart.NewWriter(&body)
		w, _ := mw.CreateFormField("config")
		io.WriteString(w, `{"config":{},"image":"x","scaling":`+tt.scaling+`}`)
		mw.Close()
		resp, err := http.Post(c2.BaseURL+"/v1/functions/work/deploy", mw.FormDataContentType(), &body)
		if err != nil {
			t.Fatal(err)
		}
		var e ErrorResponse
		_ = json.NewDecoder(resp.Body).Decode(&e)
		resp.Body.Close()
		if resp.StatusCode != 400 || e.Error.Code != lambda.EINVALID || !strings.HasPrefix(e.Error.Message, tt.want) {
			t.Errorf("scaling %s: answer %d %+v, want 400 %q", tt.scaling, resp.StatusCode, e.Error, tt.want)
		}
	}
	if got, _ := d2.last(); got.Name != "" {
		t.Errorf("a refused deploy reached the service: %+v", got)
	}
}
