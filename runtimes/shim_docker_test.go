package runtimes

import (
	"context"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lambdahq/lambda"
	"github.com/lambdahq/lambda/drivertest"
)

// TestShimFunctionsInDocker builds what runs behind the shim without a
// handler runtime: a Go SDK function, a Go program and a Dockerfile
// deployed with the stdio protocol, and a prebuilt image wrapped for it.
func TestShimFunctionsInDocker(t *testing.T) {
	r, d := dockerRegistry(t)
	t.Run("go sdk", func(t *testing.T) {
		image, cfg := buildFunction(t, r, d, filepath.Join(examplesDir, "sdk-add"), lambda.Config{})
		if cfg.Protocol != lambda.ProtocolHandler {
			t.Fatalf("protocol %s", cfg.Protocol)
		}
		base := "http://" + runFunction(t, image)
		if status, _, body := call(t, "GET", base+"/?a=1.5&b=2", ""); status != 200 || strings.TrimSpace(body) != "3.5" {
			t.Errorf("GET ?a=1.5&b=2: %d %q", status, body)
		}
	})
	t.Run("go stdio", func(t *testing.T) {
		dir := writeTree(t, map[string]string{"go.mod": goMod, "main.go": `package main

import (
	"io"
	"os"
	"strings"
)

func main() {
	in, _ := io.ReadAll(os.Stdin)
	os.Stdout.WriteString(strings.ToUpper(string(in)))
}
`})
		image, _ := buildFunction(t, r, d, dir, lambda.Config{Protocol: lambda.ProtocolStdio})
		base := "http://" + runFunction(t, image)
		if status, _, body := call(t, "POST", base+"/", "hello"); status != 200 || body != "HELLO" {
			t.Errorf("POST hello: %d %q", status, body)
		}
	})
	t.Run("dockerfile stdio", func(t *testing.T) {
		requireBusybox(t)
		dir := writeTree(t, map[string]string{"Dockerfile": "FROM busybox:latest\nCMD tr a-z A-Z\n"})
		image, _ := buildFunction(t, r, d, dir, lambda.Config{Protocol: lambda.ProtocolStdio})
		base := "http://" + runFunction(t, image)
		if status, _, body := call(t, "POST", base+"/", "hello"); status != 200 || body != "HELLO" {
			t.Errorf("POST hello: %d %q", status, body)
		}
	})
	t.Run("wrapped image", func(t *testing.T) {
		requireBusybox(t)
		img, err := d.InspectImage(context.Background(), "busybox:latest")
		if err != nil {
			t.Fatal(err)
		}
		img.Cmd = nil
		if _, err := r.WrapContext(context.Background(), img, lambda.Config{Protocol: lambda.ProtocolStdio}, nil); lambda.ErrorCode(err) != lambda.EINVALID {
			t.Fatalf("wrapping an image without a command: %v", err)
		}
		img.Cmd = []string{"rev"}
		rc, err := r.WrapContext(context.Background(), img, lambda.Config{Protocol: lambda.ProtocolStdio}, nil)
		if err != nil {
			t.Fatal(err)
		}
		id, err := d.BuildImage(context.Background(), lambda.BuildRequest{Context: rc})
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { exec.Command("docker", "rmi", "-f", id).Run() })
		base := "http://" + runFunction(t, id)
		if status, _, body := call(t, "POST", base+"/", "abc"); status != 200 || strings.TrimSpace(body) != "cba" {
			t.Errorf("POST abc: %d %q", status, body)
		}
	})
}

func requireBusybox(t *testing.T) {
	t.Helper()
	if exec.Command("docker", "image", "inspect", "busybox:latest").Run() != nil {
		drivertest.SkipOrFail(t, "busybox:latest is missing: run scripts/base-images.sh")
	}
}
