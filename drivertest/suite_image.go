package drivertest

import (
	"bytes"
	"strings"
	"testing"

	"github.com/lambdahq/lambda"
)

func (s *suite) testBuildImage(t *testing.T) {
	if s.imageID == "" {
		t.Fatal("BuildImage returned an empty image ID")
	}
	if !strings.Contains(s.buildLog, "COPY server /server") {
		t.Errorf("build log does not show the Dockerfile's steps:\n%s", s.buildLog)
	}
	for _, ref := range []string{s.tag, s.imageID} {
		ok, err := s.b.ImageExists(testContext(t), ref)
		if err != nil || !ok {
			t.Errorf("ImageExists(%s) = %v, %v; want true, nil", ref, ok, err)
		}
	}
}

func (s *suite) testBuildFails(t *testing.T) {
	var out bytes.Buffer
	_, err := s.b.BuildImage(testContext(t), lambda.BuildRequest{
		Context: bytes.NewReader(Tar(t, File{Name: "Dockerfile", Data: []byte("FROM scratch\nCOPY missing /x\n")})),
		Tags:    []string{s.prefix + "-broken:v1"},
		Output:  &out,
	})
	wantCode(t, "BuildImage with a missing COPY source", err, lambda.EINVALID)
	msg := lambda.ErrorMessage(err)
	if !strings.HasPrefix(msg, "build failed: ") || !strings.Contains(msg, "missing") {
		t.Errorf("message %q does not say the build failed on the missing file", msg)
	}
	if !strings.Contains(msg, "COPY missing /x") {
		t.Errorf("message %q does not carry the tail of the build log", msg)
	}
	if !strings.Contains(out.String(), "COPY missing /x") {
		t.Errorf("build log was not streamed to Output:\n%s", out.String())
	}
	if ok, _ := s.b.ImageExists(testContext(t), s.prefix+"-broken:v1"); ok {
		t.Error("a failed build left its tag behind")
	}
}

func (s *suite) testBuildRejects(t *testing.T) {
	tests := []struct {
		name  string
		files []File
	}{
		{"no Dockerfile", []File{{Name: "hello.txt", Data: []byte("hi")}}},
		{"unknown instruction", []File{{Name: "Dockerfile", Data: []byte("FROM scratch\nBOGUS x\n")}}},
	}
	for _, tt := range tests {
		_, err := s.b.BuildImage(testContext(t), lambda.BuildRequest{Context: bytes.NewReader(Tar(t, tt.files...))})
		wantCode(t, "BuildImage with "+tt.name, err, lambda.EINVALID)
	}
}

func (s *suite) testImageMissing(t *testing.T) {
	for _, ref := range []string{s.prefix + "-nothing:v1", ""} {
		ok, err := s.b.ImageExists(testContext(t), ref)
		if ok || err != nil {
			t.Errorf("ImageExists(%q) = %v, %v; want false, nil", ref, ok, err)
		}
	}
	if err := s.b.RemoveImage(testContext(t), s.prefix+"-nothing:v1"); err != nil {
		t.Errorf("RemoveImage of a missing image: %v", err)
	}
}

func (s *suite) testPullUnreachable(t *testing.T) {
	// Nothing listens on port 1, so the registry cannot answer.
	err := s.b.PullImage(testContext(t), "127.0.0.1:1/drivertest/nothing:v1", nil)
	wantCode(t, "PullImage from an unreachable registry", err, lambda.EUNAVAILABLE)
}

func (s *suite) testRemoveImage(t *testing.T) {
	id, tag, _ := s.build(t, "removable")
	inst := s.start(t, tag, "removable", nil)
	err := s.b.RemoveImage(testContext(t), tag)
	wantCode(t, "RemoveImage of an image an instance uses", err, lambda.ECONFLICT)
	if ok, _ := s.b.ImageExists(testContext(t), tag); !ok {
		t.Fatal("RemoveImage refused, yet the image is gone")
	}
	if err := s.d.StopInstance(testContext(t), inst.ID, 0); err != nil {
		t.Fatalf("StopInstance: %v", err)
	}
	if err := s.b.RemoveImage(testContext(t), tag); err != nil {
		t.Fatalf("RemoveImage: %v", err)
	}
	for _, ref := range []string{tag, id} {
		if ok, err := s.b.ImageExists(testContext(t), ref); ok || err != nil {
			t.Errorf("after RemoveImage, ImageExists(%s) = %v, %v; want false, nil", ref, ok, err)
		}
	}
	if err := s.b.RemoveImage(testContext(t), tag); err != nil {
		t.Errorf("second RemoveImage: %v", err)
	}
}
