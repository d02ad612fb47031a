package http

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lambdahq/lambda"
)

// fakeDeployer records deploy requests and reads their source as the
// engine would.
type fakeDeployer struct {
	lambda.FunctionService
	stepFirst bool
	unchanged bool // the deploy finds the active version's code and config
	mu        sync.Mutex
	req       lambda.DeployRequest
	source    string // what was read from Code or ImageArchive
}

func (f *fakeDeployer) Deploy(_ context.Context, req lambda.DeployRequest) (*lambda.Deployment, error) {
	if f.stepFirst {
		// As the engine does: the first step is announced before the
		// archive is read.
		req.Progress.Step(1, 2, "Loading image archive")
	}
	var src []byte
	var err error
	switch {
	case req.Code != nil:
		src, err = io.ReadAll(req.Code)
	case req.ImageArchive != nil:
		src, err = io.ReadAll(req.ImageArchive)
	}
	f.mu.Lock()
	f.req, f.source = req, string(src)
	f.mu.Unlock()
	if err != nil {
		return nil, err
	}
	if !f.stepFirst {
		req.Progress.Step(1, 2, "Loading image archive")
	}
	req.Progress.Step(2, 2, "Starting container")
	now := time.Now()
	fn := &lambda.Function{Name: req.Name, ActiveVersion: 1, Active: &lambda.Version{Function: req.Name, Number: 1}, CreatedAt: now, UpdatedAt: now}
	return &lambda.Deployment{Function: fn, Changed: !f.unchanged || req.Force}, nil
}

func (f *fakeDeployer) Instances(context.Context, string) ([]*lambda.Instance, error) {
	return nil, nil
}

func (f *fakeDeployer) last() (lambda.DeployRequest, string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.req, f.source
}

// fakeImages lists a fixed set of images.
type fakeImages struct {
	lambda.ImageDriver
	list []*lambda.Image
	err  error
}

func (f *fakeImages) ListImages(context.Context) ([]*lambda.Image, error) { return f.list, f.err }

func newDeployServer(t *testing.T) (*fakeDeployer, *Server, *Client) {
	t.Helper()
	d := &fakeDeployer{}
	s := openForTest(NewServer())
	s.Functions = d
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	return d, s, NewClient(srv.URL)
}

func intRef(v int) *int { return &v }

func TestDeploySources(t *testing.T) {
	d, _, c := newDeployServer(t)
	ctx := context.Background()
	req := DeployRequest{
		Config:  lambda.Config{Protocol: lambda.ProtocolAWS, Port: 9000},
		Scaling: lambda.ScalingPatch{Concurrency: intRef(2), MinInstances: intRef(0)},
	}
	var steps []string
	onEvent := func(ev DeployEvent) { steps = append(steps, ev.Message) }

	fn, err := c.DeployImage(ctx, "greet", req, "example/app:v1", onEvent)
	if err != nil {
		t.Fatal(err)
	}
	got, src := d.last()
	if fn.Name != "greet" || got.Name != "greet" || got.Image != "example/app:v1" || got.Code != nil || got.ImageArchive != nil || src != "" {
		t.Errorf("DeployImage reached the service as %+v (source %q)", got, src)
	}
	// The config arrives without defaults: they may depend on the image.
	if got.Config.Protocol != "aws" || got.Config.Port != 9000 || got.Config.MemoryBytes != 0 ||
		*got.Scaling.Concurrency != 2 || *got.Scaling.MinInstances != 0 || got.Scaling.MaxInstances != nil {
		t.Errorf("config %+v, scaling %+v", got.Config, got.Scaling)
	}
	if strings.Join(steps, ";") != "Loading image archive;Starting container" {
		t.Errorf("events %q", steps)
	}

	if _, err := c.DeployArchive(ctx, "greet", DeployRequest{}, strings.NewReader("ARCHIVE"), nil); err != nil {
		t.Fatal(err)
	}
	if got, src := d.last(); got.ImageArchive == nil || got.Code != nil || got.Image != "" || src != "ARCHIVE" {
		t.Errorf("DeployArchive reached the service as %+v (source %q)", got, src)
	}

	// Deploy ignores an image set in the request: the code is the source.
	if _, err := c.Deploy(ctx, "greet", DeployRequest{Image: "stray"}, strings.NewReader("TARBALL"), nil); err != nil {
		t.Fatal(err)
	}
	if got, src := d.last(); got.Code == nil || got.ImageArchive != nil || got.Image != "" || src != "TARBALL" {
		t.Errorf("Deploy reached the service as %+v (source %q)", got, src)
	}

	if _, err := c.DeployImage(ctx, "greet", DeployRequest{}, "", nil); lambda.ErrorCode(err) != lambda.EINVALID {
		t.Errorf("DeployImage without an image: %v", err)
	}
}

func TestDeployArchiveTooLarge(t *testing.T) {
	defer func(old int64) { imageArchiveLimit = old }(imageArchiveLimit)
	imageArchiveLimit = 10
	_, _, c := newDeployServer(t)
	_, err := c.DeployArchive(context.Background(), "greet", DeployRequest{}, strings.NewReader(strings.Repeat("x", 11)), nil)
	if lambda.ErrorCode(err) != lambda.ETOOLARGE || !strings.Contains(err.Error(), "image archive upload is over the 2 GB limit") {
		t.Fatalf("err = %v, want ETOOLARGE about the image archive", err)
	}
	if _, err := c.DeployArchive(context.Background(), "greet", DeployRequest{}, strings.NewReader(strings.Repeat("x", 10)), nil); err != nil {
		t.Fatalf("an archive at the limit: %v", err)
	}
}

// uploadPart is one multipart part of a hand-made upload.
type uploadPart struct{ name, body string }

func TestDeployUploadErrors(t *testing.T) {
	tests := []struct {
		name  string
		parts []uploadPart
		want  string
	}{
		{"no config", []uploadPart{{"code", "x"}}, `deploy upload must start with a "config" part`},
		{"nothing to deploy", []uploadPart{{"config", `{"config":{}}`}}, `deploy upload has nothing to deploy: send a "code" or "image-archive" part after "config", or name an image in the config`},
		{"two sources", []uploadPart{{"config", `{"config":{},"image":"x:v1"}`}, {"code", "x"}}, `deploy upload names image "x:v1" and also sends a "code" part: send exactly one source`},
		{"unknown part", []uploadPart{{"config", `{"config":{}}`}, {"zip", "x"}}, `deploy upload has an unknown part "zip" after "config": send "code" or "image-archive"`},
		{"unknown field", []uploadPart{{"config", `{"config":{},"imgae":"x"}`}}, `deploy config is not valid JSON: json: unknown field "imgae"`},
		{"two objects", []uploadPart{{"config", `{"config":{},"image":"x"} {"image":"y"}`}}, `deploy config holds more than its JSON object, which ends at byte 25: send one object`},
		{"bad image", []uploadPart{{"config", `{"config":{},"image":"a b"}`}}, `image reference "a b" is invalid: use a name like nginx:1.27 or an image ID`},
		{"bad protocol", []uploadPart{{"config", `{"config":{"protocol":"grpc"},"image":"x"}`}}, `protocol "grpc" is not supported: use http, aws, stdio`},
		{"bad scaling", []uploadPart{{"config", `{"config":{},"scaling":{"min_instances":5,"max_instances":2},"image":"x"}`}}, `min instances 5 is above max instances 2`},
	}
	d, _, c := newDeployServer(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var body bytes.Buffer
			mw := multipart.NewWriter(&body)
			for _, p := range tt.parts {
				w, _ := mw.CreateFormField(p.name)
				io.WriteString(w, p.body)
			}
			mw.Close()
			resp, err := http.Post(c.BaseURL+"/v1/functions/greet/deploy", mw.FormDataContentType(), &body)
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
	if got, _ := d.last(); got.Name != "" {
		t.Errorf("a refused upload reached the service: %+v", got)
	}
}

func TestListImages(t *testing.T) {
	_, s, c := newDeployServer(t)
	ctx := context.Background()
	if _, err := c.ListImages(ctx); lambda.ErrorCode(err) != lambda.ENOTIMPLEMENTED {
		t.Errorf("ListImages without an image driver: %v, want not_implemented", err)
	}
	created := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	s.Images = &fakeImages{list: []*lambda.Image{{ID: "sha256:abc", Tags: []string{"app:v1"}, Size: 1234, CreatedAt: created}}}
	list, err := c.ListImages(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 1 || list[0].ID != "sha256:abc" || list[0].Tags[0] != "app:v1" || list[0].Size != 1234 || !list[0].CreatedAt.Equal(created) {
		t.Errorf("ListImages = %+v", list)
	}
	s.Images = &fakeImages{}
	if list, err := c.ListImages(ctx); err != nil || list == nil || len(list) != 0 {
		t.Errorf("ListImages of none = %v, %v; want an empty list", list, err)
	}
	s.Images = &fakeImages{err: lambda.Errorf(lambda.EUNAVAILABLE, "Docker is unreachable")}
	if _, err := c.ListImages(ctx); lambda.ErrorCode(err) != lambda.EUNAVAILABLE {
		t.Errorf("ListImages with Docker down: %v", err)
	}
}

// TestDeployArchiveReadAfterFirstEvent: an event sent while the upload is
// still arriving must not cut the upload; it is held until the upload has
// been read.
func TestDeployArchiveReadAfterFirstEvent(t *testing.T) {
	d, _, c := newDeployServer(t)
	d.stepFirst = true
	archive := bytes.Repeat([]byte("0123456789abcdef"), 1<<18) // 4 MB, well over what the server drains
	var steps int
	if _, err := c.DeployArchive(context.Background(), "greet", DeployRequest{}, bytes.NewReader(archive), func(DeployEvent) { steps++ }); err != nil {
		t.Fatal(err)
	}
	if _, src := d.last(); src != string(archive) {
		t.Errorf("the service read %d bytes of the %d uploaded", len(src), len(archive))
	}
	if steps != 2 {
		t.Errorf("saw %d events, want 2", steps)
	}
}
