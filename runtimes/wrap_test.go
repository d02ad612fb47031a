package runtimes

import (
	"context"
	"strings"
	"testing"

	"github.com/lambdahq/lambda"
)

func TestWrapContext(t *testing.T) {
	tests := []struct {
		name     string
		image    lambda.Image
		protocol string
		want     string // the ENTRYPOINT line; "" when an error is expected
		err      string
	}{
		{name: "entrypoint and cmd", image: lambda.Image{ID: "sha256:abc", Entrypoint: []string{"/var/task/bootstrap"}, Cmd: []string{"--verbose"}},
			protocol: "aws", want: `ENTRYPOINT ["/lambda/shim","--protocol","aws","--","/var/task/bootstrap","--verbose"]`},
		{name: "shell form cmd", image: lambda.Image{ID: "sha256:abc", Cmd: []string{"/bin/sh", "-c", "cat | tr a-z A-Z"}},
			protocol: "stdio", want: `ENTRYPOINT ["/lambda/shim","--protocol","stdio","--","/bin/sh","-c","cat | tr a-z A-Z"]`},
		{name: "already behind the shim", image: lambda.Image{ID: "sha256:abc", Entrypoint: []string{"/lambda/shim", "--protocol", "aws", "--", "/function"}},
			protocol: "stdio", want: `ENTRYPOINT ["/lambda/shim","--protocol","stdio","--","/function"]`},
		{name: "newline in an argument stays in its string", image: lambda.Image{ID: "sha256:abc", Cmd: []string{"echo", "a\nRUN evil"}},
			protocol: "stdio", want: `ENTRYPOINT ["/lambda/shim","--protocol","stdio","--","echo","a\nRUN evil"]`},
		{name: "no command", image: lambda.Image{ID: "sha256:abc", Tags: []string{"app:v1"}}, protocol: "aws",
			err: `image app:v1 has no command (ENTRYPOINT or CMD) for the shim to run with protocol aws`},
		{name: "http is not wrapped", image: lambda.Image{ID: "sha256:abc", Cmd: []string{"x"}}, protocol: "http",
			err: `protocol "http" does not run an image behind the shim`},
		{name: "handler is not wrapped", image: lambda.Image{ID: "sha256:abc", Cmd: []string{"x"}}, protocol: "handler",
			err: `protocol "handler" does not run an image behind the shim`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := presentRegistry(t)
			shim, _ := r.shimImage()
			rc, err := r.WrapContext(context.Background(), &tt.image, lambda.Config{Protocol: tt.protocol}, nil)
			if tt.err != "" {
				wantCode(t, err, lambda.EINVALID)
				if !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("error %q does not contain %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			entries := readContext(t, rc)
			want := "FROM sha256:abc\nCOPY --from=" + shim + " /shim /lambda/shim\n" + tt.want + "\nCMD []\n"
			if df := string(entries["Dockerfile"].data); df != want || len(entries) != 1 {
				t.Fatalf("context %v, Dockerfile:\n%s\nwant:\n%s", keys(entries), df, want)
			}
		})
	}
}

// A Dockerfile function deployed with aws or stdio is built as is, then
// wrapped; the unwrapped image is removed once the wrapped one is built.
func TestDockerfileWrapped(t *testing.T) {
	r := presentRegistry(t)
	d := r.Driver.(*fakeDriver)
	r.Images = fakeImages{d: d}
	d.inspect = map[string]*lambda.Image{"sha256:built1": {ID: "sha256:built1", Cmd: []string{"/bin/cat"}}}
	dir := writeTree(t, map[string]string{"Dockerfile": "FROM busybox:latest\nCMD [\"/bin/cat\"]\n"})
	cfg, rc, err := r.BuildContext(context.Background(), dir, lambda.Config{Protocol: "stdio"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	df := string(readContext(t, rc)["Dockerfile"].data)
	if !strings.HasPrefix(df, "FROM sha256:built1\n") || !strings.Contains(df, `"--","/bin/cat"]`) || cfg.Protocol != "stdio" {
		t.Fatalf("wrapped Dockerfile:\n%s", df)
	}
	if own := d.builds[0]["Dockerfile"].data; string(own) != "FROM busybox:latest\nCMD [\"/bin/cat\"]\n" {
		t.Fatalf("first build was %q, want the function's own Dockerfile", own)
	}
	if len(d.removed) != 1 || d.removed[0] != "sha256:built1" {
		t.Fatalf("removed %v after closing the context", d.removed)
	}

	d.inspect["sha256:built2"] = &lambda.Image{ID: "sha256:built2"}
	_, _, err = r.BuildContext(context.Background(), dir, lambda.Config{Protocol: "aws"}, nil)
	wantCode(t, err, lambda.EINVALID)
	if !strings.Contains(err.Error(), "the Dockerfile sets no command (ENTRYPOINT or CMD)") {
		t.Fatalf("error %q", err)
	}
	if d.removed[len(d.removed)-1] != "sha256:built2" {
		t.Fatalf("the unwrapped image of a failed wrap was not removed: %v", d.removed)
	}
}
