package http

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/lambdahq/lambda"
)

// fakeRuntimes is a RuntimeService whose prepare reports two steps and
// then returns err.
type fakeRuntimes struct {
	infos []lambda.RuntimeInfo
	err   error
}

func (f *fakeRuntimes) ListRuntimes(context.Context) ([]lambda.RuntimeInfo, error) {
	return f.infos, f.err
}

func (f *fakeRuntimes) PrepareRuntimes(ctx context.Context, p lambda.Progress) error {
	p.Step(1, 2, "Shim images")
	p.Log("shim: building lambda-shim:abc\n")
	p.Step(2, 2, "Python runtime")
	return f.err
}

func newRuntimesClient(t *testing.T, rt lambda.RuntimeService) *Client {
	t.Helper()
	s := openForTest(NewServer())
	s.Runtimes = rt
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	return NewClient(srv.URL)
}

func TestRuntimesRoundTrip(t *testing.T) {
	infos := []lambda.RuntimeInfo{{Name: "python", Protocol: "handler", Detects: []string{"handler.py"},
		Images: []lambda.BaseImage{{Name: "python:3.12-slim", Role: "base", Present: true, Source: "assembled from Debian packages"}}}}
	c := newRuntimesClient(t, &fakeRuntimes{infos: infos})
	got, err := c.ListRuntimes(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Name != "python" || !got[0].Images[0].Present || got[0].Images[0].Source == "" {
		t.Fatalf("ListRuntimes = %+v", got)
	}

	var events []string
	err = c.PrepareRuntimes(context.Background(), func(ev DeployEvent) { events = append(events, ev.Type+":"+ev.Message) })
	if err != nil {
		t.Fatal(err)
	}
	want := "step:Shim images|log:shim: building lambda-shim:abc\n|step:Python runtime"
	if strings.Join(events, "|") != want {
		t.Fatalf("events = %q, want %q", strings.Join(events, "|"), want)
	}
}

func TestRuntimesErrors(t *testing.T) {
	failing := &fakeRuntimes{err: lambda.Errorf(lambda.EUNAVAILABLE, "1 of 4 runtime steps failed: node: no apt-get")}
	c := newRuntimesClient(t, failing)
	if _, err := c.ListRuntimes(context.Background()); lambda.ErrorCode(err) != lambda.EUNAVAILABLE {
		t.Fatalf("ListRuntimes error = %v, want unavailable", err)
	}
	var steps int
	err := c.PrepareRuntimes(context.Background(), func(DeployEvent) { steps++ })
	if lambda.ErrorCode(err) != lambda.EUNAVAILABLE || !strings.Contains(err.Error(), "no apt-get") || steps != 3 {
		t.Fatalf("PrepareRuntimes = %v after %d events, want the failure after 3", err, steps)
	}

	none := newRuntimesClient(t, nil)
	if _, err := none.ListRuntimes(context.Background()); lambda.ErrorCode(err) != lambda.ENOTIMPLEMENTED {
		t.Fatalf("without a RuntimeService: %v", err)
	}
	if err := none.PrepareRuntimes(context.Background(), nil); lambda.ErrorCode(err) != lambda.ENOTIMPLEMENTED {
		t.Fatalf("prepare without a RuntimeService: %v", err)
	}
}

func TestReadPrepareEventsTruncated(t *testing.T) {
	err := readPrepareEvents(strings.NewReader(`{"type":"step","step":1,"total":2,"message":"x"}`+"\n"), nil)
	if lambda.ErrorCode(err) != lambda.EINTERNAL || !strings.Contains(err.Error(), "without a result") {
		t.Fatalf("truncated stream: %v", err)
	}
}

// Preparing runtimes builds the host's shared base images: an admin key
// limited to functions is refused before anything is built (the hostile
// pass found one taking 20 s of the host's builds); a full one may.
func TestPrepareRuntimesNeedsAnUnlimitedKey(t *testing.T) {
	a := newAuthServer()
	rt := &countingRuntimes{}
	a.Runtimes = rt
	_, limited := a.newKey(t, lambda.ScopeAdmin, "shop")
	_, full := a.newKey(t, lambda.ScopeAdmin)
	for _, tt := range []struct {
		name     string
		secret   string
		status   int
		prepared int
	}{{"limited", limited, http.StatusForbidden, 0}, {"full", full, http.StatusOK, 1}} {
		req := httptest.NewRequest(http.MethodPost, "/v1/runtimes/prepare", nil)
		req.Header.Set("Authorization", "Bearer "+tt.secret)
		rec := httptest.NewRecorder()
		a.Handler().ServeHTTP(rec, req)
		if rec.Code != tt.status || rt.n != tt.prepared {
			t.Errorf("%s key: status %d, %d prepares; want %d, %d: %s", tt.name, rec.Code, rt.n, tt.status, tt.prepared, rec.Body)
		}
	}
}

type countingRuntimes struct {
	lambda.RuntimeService
	n int
}

func (c *countingRuntimes) PrepareRuntimes(context.Context, lambda.Progress) error {
	c.n++
	return nil
}
