package runtimes

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lambdahq/lambda"
)

// The Go SDK examples build with the host toolchain against the stand-in
// SDK module, whatever their go.mod replaces the SDK with, and go on top
// of the shim base image behind the shim.
func TestGoSDKHostBuild(t *testing.T) {
	r := newTestRegistry(t, deadRegistry())
	d := r.Driver.(*fakeDriver)
	base, _ := r.shimBaseImage()
	shim, _ := r.shimImage()
	d.images = map[string]bool{base: true, shim: true}
	for _, ex := range []string{"sdk-add", "sdk-lifecycle"} {
		t.Run(ex, func(t *testing.T) {
			dir := filepath.Join(examplesDir, ex)
			var out bytes.Buffer
			cfg, rc, err := r.BuildContext(context.Background(), dir, lambda.Config{}, &out)
			if err != nil {
				t.Fatalf("%v\n%s", err, out.String())
			}
			entries := readContext(t, rc)
			// The binary's COPY last, after the steps the builder caches,
			// marked for the driver to write its layer.
			want := "FROM " + base + "\nENV PORT=8080\nEXPOSE 8080\n" +
				`ENTRYPOINT ["/lambda/shim","--protocol","handler","--","/function"]` + "\nCMD []\n" + lambda.CodeLayerMarker + "\nCOPY function /function\n"
			if df := string(entries["Dockerfile"].data); df != want {
				t.Errorf("Dockerfile:\n%s\nwant:\n%s", df, want)
			}
			if _, ok := entries["ca-certificates.crt"]; ok {
				t.Error("the CA bundle is in the function's layer: it belongs to the shim base image")
			}
			assertStaticELF(t, entries["function"].data)
			if cfg.Protocol != lambda.ProtocolHandler {
				t.Errorf("protocol %s", cfg.Protocol)
			}
		})
	}
}

// aws-lambda-go functions build with -tags lambda.norpc: a file that only
// builds with the tag proves it was passed, without fetching the module.
func TestGoAWSBuildTag(t *testing.T) {
	r := newTestRegistry(t, deadRegistry())
	d := r.Driver.(*fakeDriver)
	base, _ := r.shimBaseImage()
	d.images = map[string]bool{base: true}
	dir := writeTree(t, map[string]string{
		"go.mod":   goMod + "\nrequire github.com/aws/aws-lambda-go v1.55.0\n",
		"norpc.go": "//go:build lambda.norpc\n\npackage main\n\nfunc main() {}\n",
		"rpc.go":   "//go:build !lambda.norpc\n\npackage main\n\nfunc main() { this does not compile }\n",
	})
	var out bytes.Buffer
	cfg, rc, err := r.BuildContext(context.Background(), dir, lambda.Config{}, &out)
	if err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	entries := readContext(t, rc)
	assertStaticELF(t, entries["function"].data)
	if cfg.Protocol != lambda.ProtocolAWS || !strings.Contains(string(entries["Dockerfile"].data), `"--protocol","aws","--","/function"`) {
		t.Fatalf("protocol %s, Dockerfile:\n%s", cfg.Protocol, entries["Dockerfile"].data)
	}
}

// In the builder image an SDK function gets the rewritten go.mod and the
// stand-in module inside its context.
func TestGoSDKBuilderContext(t *testing.T) {
	r := NewRegistry(&fakeDriver{})
	r.HostGo = ""
	d := r.Driver.(*fakeDriver)
	base, _ := r.shimBaseImage()
	shim, _ := r.shimImage()
	d.images = map[string]bool{r.GoBuilderImage: true, base: true, shim: true}
	dir := writeTree(t, map[string]string{"go.mod": sdkGoModV, "main.go": sdkMain, ".lambda-sdk/evil.go": "package sdk\n"})
	_, rc, err := r.BuildContext(context.Background(), dir, lambda.Config{Protocol: "stdio"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	entries := readContext(t, rc)
	df := string(entries["Dockerfile"].data)
	for _, line := range []string{
		"FROM golang:1.26 AS build\n", "COPY go.mod go.sum* ./\n", "COPY .lambda-sdk ./.lambda-sdk\n", "RUN go mod download\n",
		"FROM " + base + "\n", "COPY --from=build /out/function /function\n",
		`ENTRYPOINT ["/lambda/shim","--protocol","stdio","--","/function"]`,
	} {
		if !strings.Contains(df, line) {
			t.Errorf("Dockerfile lacks %q:\n%s", line, df)
		}
	}
	mod := string(entries["go.mod"].data)
	if !strings.Contains(mod, "replace github.com/lambdahq/lambda => ./.lambda-sdk") || strings.Contains(mod, "../..") {
		t.Errorf("go.mod in the context:\n%s", mod)
	}
	if got := string(entries[".lambda-sdk/go.mod"].data); got != standInGoMod {
		t.Errorf("stand-in go.mod = %q", got)
	}
	if _, ok := entries[".lambda-sdk/evil.go"]; ok {
		t.Error("the function's own .lambda-sdk/ was sent")
	}
	n := 0
	for name := range entries {
		if strings.HasPrefix(name, ".lambda-sdk/sdk/") {
			n++
			if strings.HasSuffix(name, "_test.go") {
				t.Errorf("test file %s in the stand-in", name)
			}
		}
	}
	if n == 0 {
		t.Error("no SDK sources in the stand-in module")
	}
}

// The shim compiles from its embedded sources like a function and lands
// alone at /shim in a FROM scratch image.
func TestShimImageBuild(t *testing.T) {
	r := newTestRegistry(t, deadRegistry())
	d := r.Driver.(*fakeDriver)
	var out bytes.Buffer
	ref, err := r.ensureShim(context.Background(), &out)
	if err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	if len(d.builds) != 1 || !d.images[ref] {
		t.Fatalf("%d builds, image %s present: %v", len(d.builds), ref, d.images[ref])
	}
	ctx := d.builds[0]
	df := string(ctx["Dockerfile"].data)
	if !strings.HasPrefix(df, "FROM scratch\nENTRYPOINT [\"/shim\"]\nLABEL ") || !strings.HasSuffix(df, "\nCOPY function /shim\n") || !strings.Contains(df, `"lambda.role"="shim"`) {
		t.Errorf("shim Dockerfile:\n%s", df)
	}
	assertStaticELF(t, ctx["function"].data)
	// Present now: a second call builds nothing.
	if _, err := r.ensureShim(context.Background(), &out); err != nil || len(d.builds) != 1 {
		t.Fatalf("second ensureShim: %v, %d builds", err, len(d.builds))
	}
	base, err := r.ensureShimBase(context.Background(), &out)
	if err != nil {
		t.Fatal(err)
	}
	bdf := string(d.builds[1]["Dockerfile"].data)
	if !strings.Contains(bdf, "COPY --from="+ref+" /shim /lambda/shim\n") || !strings.HasPrefix(base, "lambda-shim-base:") {
		t.Errorf("shim base Dockerfile:\n%s", bdf)
	}
}
