package http

import (
	"bytes"
	"context"
	"io"
	"mime/multipart"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lambdahq/lambda"
)

// fakeProjects is a FunctionService that also deploys projects.
type fakeProjects struct {
	fakeDeployer
	req    lambda.ProjectDeployRequest
	source string
	fail   error
}

func (f *fakeProjects) DeployProject(_ context.Context, req lambda.ProjectDeployRequest) (*lambda.ProjectDeployment, error) {
	src, err := io.ReadAll(req.Code)
	f.req, f.source = req, string(src)
	if err != nil {
		return nil, err
	}
	req.Progress.Step(1, 2, "Unpacking project")
	req.Progress.Step(2, 2, "Switching")
	if f.fail != nil {
		return nil, f.fail
	}
	now := time.Now()
	out := &lambda.ProjectDeployment{Project: req.Project, Pruned: []string{"old"}}
	for _, n := range []string{"api", "report"} {
		fn := &lambda.Function{Name: n, Project: req.Project, ActiveVersion: 1, Active: &lambda.Version{Function: n, Number: 1}, CreatedAt: now, UpdatedAt: now}
		out.Functions = append(out.Functions, &lambda.Deployment{Function: fn, Changed: true})
	}
	return out, nil
}

func TestDeployProjectAPI(t *testing.T) {
	f := &fakeProjects{}
	s := openForTest(NewServer())
	s.Functions = f
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	c := NewClient(srv.URL)
	ctx := context.Background()

	var steps []string
	res, err := c.DeployProject(ctx, "shop", ProjectDeployRequest{Only: []string{"api"}, Prune: true, Prefix: true}, strings.NewReader("tree"), func(ev DeployEvent) {
		if ev.Type == EventStep {
			steps = append(steps, ev.Message)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if f.source != "tree" || f.req.Project != "shop" || !f.req.Prune || !f.req.Prefix || !slices.Equal(f.req.Only, []string{"api"}) {
		t.Errorf("request %+v, source %q", f.req, f.source)
	}
	if res.Project != "shop" || len(res.Functions) != 2 || res.Functions[1].Name != "report" || res.Functions[0].Project != "shop" ||
		!res.Functions[0].Changed || res.Functions[0].URL == "" || !slices.Equal(res.Pruned, []string{"old"}) {
		t.Errorf("result %+v", res)
	}
	if !slices.Equal(steps, []string{"Unpacking project", "Switching"}) {
		t.Errorf("steps %q", steps)
	}

	f.fail = lambda.Errorf(lambda.EINVALID, `function "report" did not start`)
	if _, err := c.DeployProject(ctx, "shop", ProjectDeployRequest{}, strings.NewReader("tree"), nil); lambda.ErrorCode(err) != lambda.EINVALID || !strings.Contains(err.Error(), "did not start") {
		t.Errorf("failed deploy: %v", err)
	}
	for _, tt := range []struct{ project, want string }{
		{"Shop", `project name "Shop" is invalid`},
	} {
		if _, err := c.DeployProject(ctx, tt.project, ProjectDeployRequest{}, strings.NewReader("x"), nil); lambda.ErrorCode(err) != lambda.EINVALID || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v", tt.project, err)
		}
	}
	if _, err := c.DeployProject(ctx, "shop", ProjectDeployRequest{Only: []string{"Bad_Name"}}, strings.NewReader("x"), nil); lambda.ErrorCode(err) != lambda.EINVALID || !strings.Contains(err.Error(), "only: ") {
		t.Errorf("bad --only: %v", err)
	}
}

// A server whose FunctionService cannot deploy projects says so.
func TestDeployProjectNotOffered(t *testing.T) {
	_, _, c := newDeployServer(t)
	_, err := c.DeployProject(context.Background(), "shop", ProjectDeployRequest{}, strings.NewReader("x"), nil)
	if lambda.ErrorCode(err) != lambda.ENOTIMPLEMENTED {
		t.Errorf("err = %v", err)
	}
}

// FuzzProjectUpload: a well-formed upload with any config and any second
// part is refused with EINVALID or ETOOLARGE, or accepted with valid
// --only names and the code readable as sent.
func FuzzProjectUpload(f *testing.F) {
	f.Add([]byte(`{"only":["api","report"],"prune":true,"prefix":true}`), PartCode, []byte("tree"))
	f.Add([]byte(`{}`), PartCode, []byte(nil))
	f.Add([]byte(`{"only":["Bad Name"]}`), PartCode, []byte("x"))
	f.Add([]byte(`{"unknown":1}`), PartCode, []byte("x"))
	f.Add([]byte(`{}`), "other", []byte("x"))
	f.Add([]byte(` [1]`), "", []byte(nil))
	f.Fuzz(func(t *testing.T, config []byte, part string, body []byte) {
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		w, err := mw.CreateFormField(PartConfig)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = w.Write(config)
		if part != "" {
			if w, err = mw.CreateFormFile(part, "code.tar.gz"); err != nil {
				return // a name multipart cannot carry
			}
			_, _ = w.Write(body)
		}
		_ = mw.Close()
		r := httptest.NewRequest("POST", "/v1/projects/shop/deploy", &buf)
		r.Header.Set("Content-Type", mw.FormDataContentType())
		req, err := readProjectUpload(r)
		if err != nil {
			checkFuzzCode(t, "readProjectUpload", err, lambda.EINVALID, lambda.ETOOLARGE)
			return
		}
		for _, n := range req.Only {
			if lambda.ValidateName(n) != nil {
				t.Fatalf("accepted --only name %q", n)
			}
		}
		got, err := io.ReadAll(req.Code)
		if err != nil || !bytes.Equal(got, body) {
			t.Fatalf("code read %q, %v; sent %q", got, err, body)
		}
	})
}
