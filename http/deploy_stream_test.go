package http

import (
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/lambdahq/lambda"
)

// floodDeployer logs big build lines until its context ends.
type floodDeployer struct {
	lambda.FunctionService
	ended chan struct{}
}

func (f *floodDeployer) Deploy(ctx context.Context, req lambda.DeployRequest) (*lambda.Deployment, error) {
	defer close(f.ended)
	line := strings.Repeat("y", 32<<10)
	for ctx.Err() == nil {
		req.Progress.Log(line)
	}
	return nil, ctx.Err()
}

// A deploy client that stops reading its progress is cut: the deploy is
// abandoned as if the client had gone away, instead of blocking in a write
// forever (and the server's shutdown with it).
func TestDeployStalledClientIsCut(t *testing.T) {
	setStreamWriteTimeout(t, 300*time.Millisecond)
	d := &floodDeployer{ended: make(chan struct{})}
	s := openForTest(NewServer())
	s.Functions = d
	s.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)

	release := make(chan struct{})
	defer close(release)
	done := make(chan error, 1)
	go func() {
		_, err := NewClient(srv.URL).DeployImage(context.Background(), "greet", DeployRequest{}, "example/app:v1", func(DeployEvent) { <-release })
		done <- err
	}()
	select {
	case <-d.ended:
	case <-time.After(15 * time.Second):
		t.Fatal("the deploy still writes to a client that stopped reading 15 s ago")
	}
}

// refusingExtractor announces the unpacking step, reads the whole upload
// and then refuses it, as the engine does with an archive entry "../x".
type refusingExtractor struct{ lambda.FunctionService }

func (refusingExtractor) Deploy(ctx context.Context, req lambda.DeployRequest) (*lambda.Deployment, error) {
	req.Progress.Step(1, 3, "Unpacking function code")
	io.Copy(io.Discard, req.Code)
	return nil, lambda.Errorf(lambda.EINVALID, `code archive entry "../x" contains a .. component`)
}

// An archive refused once read to its end is answered with its 400, not a
// 200 whose stream carries the error: the step announced before has not
// started the response (it did once the upload's end opened the stream).
func TestDeployRefusedUploadKeepsItsStatus(t *testing.T) {
	s := openForTest(NewServer())
	s.Functions = refusingExtractor{}
	s.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	ctype, body := deployUpload(`{"config":{}}`)
	req := httptest.NewRequest("POST", srv.URL+"/v1/functions/greet/deploy", body)
	req.RequestURI = ""
	req.Header.Set("Content-Type", ctype)
	res, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	got, _ := io.ReadAll(res.Body)
	if res.StatusCode != 400 || !strings.Contains(string(got), "contains a .. component") || strings.Contains(string(got), `"step"`) {
		t.Errorf("refused upload answered %d %s, want 400 with the error alone", res.StatusCode, got)
	}
}
