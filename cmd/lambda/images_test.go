package main

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/lambdahq/lambda"
)

func TestImages(t *testing.T) {
	api, url := newFakeAPI(t)
	created := time.Now().Add(-3 * time.Hour)
	api.images = []*lambda.Image{
		{ID: "sha256:64b9e4f31114aaaabbbbccccddddeeee", Tags: []string{"app:v1", "app:latest"}, Size: 6_290_000, CreatedAt: created},
		{ID: "sha256:86901f602e5e0000", Tags: []string{"busybox:latest"}, Size: 1_980_000, CreatedAt: created},
	}
	stdout, stderr, code := runCLI(t, url, "", "images")
	if code != 0 {
		t.Fatalf("exit %d, stderr:\n%s", code, stderr)
	}
	want := `REPOSITORY:TAG   IMAGE ID       SIZE     CREATED
app:v1           64b9e4f31114   6.29MB   3h ago
app:latest       64b9e4f31114   6.29MB   3h ago
busybox:latest   86901f602e5e   1.98MB   3h ago
`
	if stdout != want {
		t.Errorf("stdout:\n%s\nwant:\n%s", stdout, want)
	}

	stdout, _, code = runCLI(t, url, "", "images", "-o", "json")
	var list []*lambda.Image
	if err := json.Unmarshal([]byte(stdout), &list); code != 0 || err != nil || len(list) != 2 || list[0].Tags[1] != "app:latest" {
		t.Errorf("-o json: exit %d, %v, stdout %q", code, err, stdout)
	}

	api.images = []*lambda.Image{}
	stdout, stderr, code = runCLI(t, url, "", "images")
	if code != 0 || stdout != "" || stderr != "No images to deploy: build one with \"docker build\", or upload one with \"lambda deploy --image-archive FILE.tar\".\n" {
		t.Errorf("empty: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}

	api.images = nil
	_, stderr, code = runCLI(t, url, "", "images")
	if code != 1 || stderr != "Error: this server cannot deploy prebuilt images\n" {
		t.Errorf("no image support: exit %d, stderr %q", code, stderr)
	}
	if _, stderr, code := runCLI(t, url, "", "images", "extra"); code != 1 || stderr == "" {
		t.Errorf("images with an argument: exit %d", code)
	}
}
