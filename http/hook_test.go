package http

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/lambdahq/lambda"
)

// fakeHooks answers deliveries as the HookManager would, from a table.
type fakeHooks struct {
	lambda.HookService
	got lambda.Delivery
}

func (f *fakeHooks) Deliver(_ context.Context, id string, d lambda.Delivery) (*lambda.HookResult, error) {
	f.got = d
	switch {
	case id != "hk_1":
		return nil, lambda.Errorf(lambda.ENOTFOUND, "hook %q not found", id)
	case d.Signature == "":
		return nil, lambda.Errorf(lambda.EUNAUTHORIZED, "no signature")
	case d.Signature == "bad":
		return nil, lambda.Errorf(lambda.EFORBIDDEN, "bad signature")
	case d.Event == "ping":
		return &lambda.HookResult{Message: "pong"}, nil
	}
	return &lambda.HookResult{Accepted: true, Message: "deploying", Delivery: &lambda.HookDelivery{ID: d.ID, DeployID: "dep_1"}}, nil
}

func TestHookDeliveryEndpoint(t *testing.T) {
	f := &fakeHooks{}
	s := NewServer() // authentication on: the endpoint needs no key
	s.Hooks = f
	body := `{"ref":"refs/heads/main"}`
	tests := []struct {
		id, sig, event string
		status         int
		code           string
	}{
		{"hk_1", "", "push", http.StatusUnauthorized, lambda.EUNAUTHORIZED},
		{"hk_1", "bad", "push", http.StatusForbidden, lambda.EFORBIDDEN},
		{"hk_2", "sha256=x", "push", http.StatusNotFound, lambda.ENOTFOUND},
		{"hk_1", "sha256=x", "ping", http.StatusOK, ""},
		{"hk_1", "sha256=x", "push", http.StatusAccepted, ""},
	}
	for _, tt := range tests {
		req := httptest.NewRequest(http.MethodPost, "/v1/hooks/"+tt.id, strings.NewReader(body))
		req.Header.Set("X-Hub-Signature-256", tt.sig)
		req.Header.Set("X-GitHub-Event", tt.event)
		req.Header.Set("X-GitHub-Delivery", "d-1")
		rec := httptest.NewRecorder()
		s.Handler().ServeHTTP(rec, req)
		if rec.Code != tt.status || rec.Header().Get(ErrorHeader) != tt.code {
			t.Errorf("%+v: status %d (%s), want %d %s: %s", tt, rec.Code, rec.Header().Get(ErrorHeader), tt.status, tt.code, rec.Body)
		}
		if tt.status == http.StatusAccepted {
			var res lambda.HookResult
			if err := json.Unmarshal(rec.Body.Bytes(), &res); err != nil || res.Delivery.DeployID != "dep_1" {
				t.Errorf("answer %s: %v", rec.Body, err)
			}
			if string(f.got.Body) != body || f.got.ID != "d-1" || f.got.Signature != "sha256=x" {
				t.Errorf("delivery reached the service as %+v", f.got)
			}
		}
	}
	// Registering a hook takes a key.
	rec := httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/v1/hooks", strings.NewReader(`{}`)))
	if rec.Code != http.StatusUnauthorized {
		t.Errorf("POST /v1/hooks without a key: %d", rec.Code)
	}
}

func TestDeployGitRequest(t *testing.T) {
	d, _, c := newDeployServer(t)
	ctx := context.Background()
	git := GitRequest{URL: "https://example.com/r.git", Ref: "v1", Subdir: "fn", Token: "tok"}
	if _, err := c.DeployGit(ctx, "greet", DeployRequest{}, git, nil); err != nil {
		t.Fatal(err)
	}
	got, _ := d.last()
	if got.Git == nil || *got.Git != (lambda.GitSource{URL: git.URL, Ref: "v1", Subdir: "fn", Token: "tok"}) || got.Code != nil {
		t.Errorf("DeployGit reached the service as %+v (git %+v)", got, got.Git)
	}
	for _, tt := range []struct {
		req    DeployRequest
		git    GitRequest
		phrase string
	}{
		{DeployRequest{}, GitRequest{URL: "file:///etc"}, "not supported"},
		{DeployRequest{}, GitRequest{URL: "https://h/r", Subdir: "../x"}, "inside the repository"},
		{DeployRequest{Image: "nginx"}, GitRequest{URL: "https://h/r"}, "exactly one source"},
	} {
		req := tt.req
		req.Git = &tt.git
		_, err := c.deploy(ctx, "greet", req, "", nil, nil)
		if lambda.ErrorCode(err) != lambda.EINVALID || !strings.Contains(err.Error(), tt.phrase) {
			t.Errorf("%+v: %v, want EINVALID containing %q", tt.git, err, tt.phrase)
		}
	}
	// Git and an uploaded part: refused.
	req := DeployRequest{Git: &GitRequest{URL: "https://h/r"}}
	if _, err := c.deploy(ctx, "greet", req, PartCode, strings.NewReader("x"), nil); lambda.ErrorCode(err) != lambda.EINVALID || !strings.Contains(err.Error(), "exactly one source") {
		t.Errorf("git and code: %v", err)
	}
}

// A hook may deploy any function its repository's lambda.yaml names: a key
// limited to functions cannot register one; a full deploy key can.
func TestCreateHookNeedsAnUnlimitedKey(t *testing.T) {
	a := newAuthServer()
	a.Hooks = &createHooks{}
	_, limited := a.newKey(t, lambda.ScopeDeploy, "shop")
	_, full := a.newKey(t, lambda.ScopeDeploy)
	for _, tt := range []struct {
		secret string
		status int
	}{{limited, http.StatusForbidden}, {full, http.StatusCreated}} {
		req := httptest.NewRequest(http.MethodPost, "/v1/hooks", strings.NewReader(`{"project":"shop","repository":"https://example.com/shop.git"}`))
		req.Header.Set("Authorization", "Bearer "+tt.secret)
		rec := httptest.NewRecorder()
		a.Handler().ServeHTTP(rec, req)
		if rec.Code != tt.status {
			t.Errorf("status %d, want %d: %s", rec.Code, tt.status, rec.Body)
		}
	}
}

type createHooks struct{ lambda.HookService }

func (createHooks) CreateHook(_ context.Context, req lambda.HookRequest) (*lambda.Hook, string, error) {
	return &lambda.Hook{ID: "hk_1", Project: req.Project}, "s", nil
}
