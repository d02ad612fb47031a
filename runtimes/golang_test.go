package runtimes

import (
	"bytes"
	"context"
	"debug/elf"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lambdahq/lambda"
)

const testGoMod = "module example.com/fn\n\ngo 1.26\n"

// testServer imports net, which links against libc unless cgo is off.
const testServer = `package main

import (
	"net/http"
	"os"
)

func main() {
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok")) })
	http.ListenAndServe(":"+os.Getenv("PORT"), nil)
}
`

func TestGoHostBuild(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	ca := filepath.Join(t.TempDir(), "ca.crt")
	if err := os.WriteFile(ca, []byte("-----BEGIN CERTIFICATE-----\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	d := deadRegistry()
	r := newTestRegistry(t, d)
	r.CABundle = ca
	dir := writeTree(t, map[string]string{"go.mod": testGoMod, "main.go": testServer})

	var out bytes.Buffer
	rc, err := r.runtimes[1].Context(context.Background(), dir, lambda.Config{}, &out)
	if err != nil {
		t.Fatalf("Context: %v\n%s", err, out.String())
	}
	entries := readContext(t, rc)

	df := string(entries["Dockerfile"].data)
	for _, line := range []string{"FROM scratch\n", "COPY function /function\n",
		"COPY ca-certificates.crt /etc/ssl/certs/ca-certificates.crt\n", "ENV PORT=8080\n", "EXPOSE 8080\n", `ENTRYPOINT ["/function"]`} {
		if !strings.Contains(df, line) {
			t.Errorf("Dockerfile lacks %q:\n%s", line, df)
		}
	}
	// The binary's COPY last: a build of new code finds every step before
	// it in the builder's cache; the marker lets the driver write its layer.
	if !strings.HasSuffix(df, "\n"+lambda.CodeLayerMarker+"\nCOPY function /function\n") {
		t.Errorf("Dockerfile does not end with the binary's COPY:\n%s", df)
	}
	if got := string(entries["ca-certificates.crt"].data); !strings.HasPrefix(got, "-----BEGIN") {
		t.Errorf("CA bundle in context = %q", got)
	}
	bin, ok := entries["function"]
	if !ok {
		t.Fatalf("context has no function binary: %v", keys(entries))
	}
	if bin.hdr.Mode&0o111 == 0 {
		t.Errorf("function mode %o is not executable", bin.hdr.Mode)
	}
	assertStaticELF(t, bin.data)
	if !strings.Contains(out.String(), "host toolchain") {
		t.Errorf("output does not say which toolchain built: %q", out.String())
	}
	if left, _ := os.ReadDir(tmp); len(left) != 0 {
		t.Errorf("temporary files left after Close: %v", left)
	}
}

func assertStaticELF(t *testing.T, data []byte) {
	t.Helper()
	f, err := elf.NewFile(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("function is not an ELF binary: %v", err)
	}
	if f.Type != elf.ET_EXEC {
		t.Errorf("ELF type %v, want a static executable (ET_EXEC)", f.Type)
	}
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP || p.Type == elf.PT_DYNAMIC {
			t.Errorf("binary has program header %v: it is dynamically linked", p.Type)
		}
	}
}

func TestGoHostBuildWithoutCABundle(t *testing.T) {
	r := newTestRegistry(t, deadRegistry())
	r.CABundle = ""
	dir := writeTree(t, map[string]string{"go.mod": testGoMod, "main.go": "package main\n\nfunc main() {}\n"})
	var out bytes.Buffer
	rc, err := r.runtimes[1].Context(context.Background(), dir, lambda.Config{}, &out)
	if err != nil {
		t.Fatal(err)
	}
	entries := readContext(t, rc)
	if _, ok := entries["ca-certificates.crt"]; ok || strings.Contains(string(entries["Dockerfile"].data), "ca-certificates") {
		t.Errorf("context has a CA bundle though the host has none: %v", keys(entries))
	}
	if !strings.Contains(out.String(), "no CA bundle") {
		t.Errorf("missing CA bundle not reported: %q", out.String())
	}
}

func TestGoBuildErrors(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		code  string
		parts []string
	}{
		{name: "compile error", files: map[string]string{"go.mod": testGoMod, "main.go": "package main\n\nfunc main() { undefinedThing() }\n"},
			code: lambda.EINVALID, parts: []string{"go build failed:", "main.go:3", "undefined: undefinedThing"}},
		{name: "not package main", files: map[string]string{"go.mod": testGoMod, "lib.go": "package fn\n"},
			code: lambda.EINVALID, parts: []string{`the package next to go.mod is "fn", not main`}},
		{name: "no Go files", files: map[string]string{"go.mod": testGoMod, "cmd/x/main.go": "package main\n"},
			code: lambda.EINVALID, parts: []string{"no Go files next to go.mod"}},
		{name: "two packages", files: map[string]string{"go.mod": testGoMod, "a.go": "package main\n", "b.go": "package other\n"},
			code: lambda.EINVALID, parts: []string{"several packages", "main in a.go", "other in b.go"}},
		{name: "newer Go than the host", files: map[string]string{"go.mod": "module example.com/fn\n\ngo 1.99\n", "main.go": "package main\n\nfunc main() {}\n"},
			code: lambda.EINVALID, parts: []string{"go build failed:", "requires go >= 1.99"}},
		{name: "replace outside the function", files: map[string]string{
			"go.mod": testGoMod + "require example.com/lib v0.0.0\nreplace example.com/lib => ../lib\n", "main.go": "package main\n\nfunc main() {}\n"},
			code: lambda.EINVALID, parts: []string{"replaces a module with the directory ../lib, outside the function"}},
		{name: "replace with an absolute path", files: map[string]string{
			"go.mod": testGoMod + "replace example.com/lib => /srv/lambda\n", "main.go": "package main\n\nfunc main() {}\n"},
			code: lambda.EINVALID, parts: []string{"/srv/lambda, outside the function"}},
		{name: "bad go.mod", files: map[string]string{"go.mod": "modul x\n", "main.go": "package main\n\nfunc main() {}\n"},
			code: lambda.EINVALID, parts: []string{"go.mod is invalid"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newTestRegistry(t, deadRegistry())
			dir := writeTree(t, tt.files)
			rc, err := r.runtimes[1].Context(context.Background(), dir, lambda.Config{}, nil)
			if err == nil {
				rc.Close()
				t.Fatal("Context succeeded, want an error")
			}
			wantCode(t, err, tt.code)
			for _, p := range tt.parts {
				if !strings.Contains(err.Error(), p) {
					t.Errorf("error %q does not contain %q", err, p)
				}
			}
		})
	}
}

func TestGoReplaceInsideFunctionBuilds(t *testing.T) {
	r := newTestRegistry(t, deadRegistry())
	dir := writeTree(t, map[string]string{
		"go.mod":     testGoMod + "require example.com/lib v0.0.0\nreplace example.com/lib => ./lib\n",
		"main.go":    "package main\n\nimport \"example.com/lib\"\n\nfunc main() { lib.F() }\n",
		"lib/go.mod": "module example.com/lib\n\ngo 1.26\n",
		"lib/lib.go": "package lib\n\nfunc F() {}\n",
	})
	rc, err := r.runtimes[1].Context(context.Background(), dir, lambda.Config{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	assertStaticELF(t, readContext(t, rc)["function"].data)
}

func TestGoBuilderImage(t *testing.T) {
	tests := []struct {
		name      string
		driver    *fakeDriver
		wantPulls int
	}{
		{name: "present locally", driver: &fakeDriver{images: map[string]bool{DefaultGoBuilderImage: true}}},
		{name: "pulled", driver: &fakeDriver{}, wantPulls: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := NewRegistry(tt.driver)
			r.HostGo = "" // the builder path must not need a host toolchain
			dir := writeTree(t, map[string]string{
				"go.mod": testGoMod, "main.go": testServer,
				"Dockerfile": "FROM evil\n", ".dockerignore": "*.go\n",
			})
			rt, err := r.Detect(dir, lambda.RuntimeGo)
			if err != nil {
				t.Fatal(err)
			}
			rc, err := rt.Context(context.Background(), dir, lambda.Config{}, nil)
			if err != nil {
				t.Fatal(err)
			}
			entries := readContext(t, rc)
			df := string(entries["Dockerfile"].data)
			for _, line := range []string{
				"FROM golang:1.26 AS build\n",
				"ENV CGO_ENABLED=0 GOOS=linux GOTOOLCHAIN=local GOWORK=off GOFLAGS=-mod=mod\n",
				`RUN go build -trimpath -buildvcs=false -ldflags "-s -w" -o /out/function .` + "\n",
				"FROM scratch\n",
				"COPY --from=build /out/function /function\n",
				"COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt\n",
				`ENTRYPOINT ["/function"]`,
			} {
				if !strings.Contains(df, line) {
					t.Errorf("Dockerfile lacks %q:\n%s", line, df)
				}
			}
			if !strings.HasSuffix(df, "\nCOPY --from=build /out/function /function\n") {
				t.Errorf("Dockerfile does not end with the binary's COPY:\n%s", df)
			}
			if strings.Index(df, "FROM golang") > strings.Index(df, "FROM scratch") {
				t.Errorf("stages out of order:\n%s", df)
			}
			if string(entries["main.go"].data) != testServer || entries["go.mod"].data == nil {
				t.Errorf("sources missing from the context: %v", keys(entries))
			}
			if _, ok := entries[".dockerignore"]; ok {
				t.Error("the function's .dockerignore was sent with a generated Dockerfile")
			}
			if tt.driver.pulls != tt.wantPulls {
				t.Errorf("pulls = %d, want %d", tt.driver.pulls, tt.wantPulls)
			}
		})
	}
}

func TestGoBuilderDockerfileVendor(t *testing.T) {
	dir := writeTree(t, map[string]string{"go.mod": testGoMod, "vendor/modules.txt": ""})
	if got := modFlag(dir); got != "-mod=vendor" {
		t.Fatalf("modFlag with vendor/ = %s", got)
	}
	df := builderDockerfile("golang:1.26", &goProgram{dir: dir, base: "scratch", bin: "/function"})
	if !strings.Contains(df, "GOFLAGS=-mod=vendor") || strings.Contains(df, "go mod download") {
		t.Fatalf("vendored build should not download modules:\n%s", df)
	}
}

func TestGoBuilderImageInvalid(t *testing.T) {
	r := NewRegistry(&fakeDriver{images: map[string]bool{"golang:1.26\nRUN evil": true}})
	r.GoBuilderImage = "golang:1.26\nRUN evil"
	dir := writeTree(t, map[string]string{"go.mod": testGoMod, "main.go": "package main\n\nfunc main() {}\n"})
	_, err := r.runtimes[1].Context(context.Background(), dir, lambda.Config{}, nil)
	wantCode(t, err, lambda.EUNAVAILABLE)
}

// A dead registry is asked once per PullRetryAfter, not on every deploy.
func TestGoPullFailureRemembered(t *testing.T) {
	d := deadRegistry()
	r := newTestRegistry(t, d)
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	r.now = func() time.Time { return now }
	dir := writeTree(t, map[string]string{"go.mod": testGoMod, "main.go": "package main\n\nfunc main() {}\n"})
	build := func() string {
		var out bytes.Buffer
		rc, err := r.runtimes[1].Context(context.Background(), dir, lambda.Config{}, &out)
		if err != nil {
			t.Fatal(err)
		}
		rc.Close()
		return out.String()
	}
	build()
	if out := build(); !strings.Contains(out, "pulling it failed 0s ago") || !strings.Contains(out, "no route to host") {
		t.Errorf("second build does not say why it skipped the pull: %q", out)
	}
	if d.pulls != 1 {
		t.Fatalf("pulls after two builds = %d, want 1", d.pulls)
	}
	now = now.Add(r.PullRetryAfter)
	build()
	if d.pulls != 2 {
		t.Fatalf("pulls after the retry delay = %d, want 2", d.pulls)
	}
}

func TestGoNoToolchainNoBuilder(t *testing.T) {
	r := NewRegistry(deadRegistry())
	r.HostGo = ""
	dir := writeTree(t, map[string]string{"go.mod": testGoMod, "main.go": "package main\n\nfunc main() {}\n"})
	_, err := r.runtimes[1].Context(context.Background(), dir, lambda.Config{}, nil)
	wantCode(t, err, lambda.EUNAVAILABLE)
	for _, p := range []string{"install Go on the server host", "docker pull golang:1.26", "no route to host"} {
		if !strings.Contains(err.Error(), p) {
			t.Errorf("error %q does not contain %q", err, p)
		}
	}
}

func TestGoBuildCancelled(t *testing.T) {
	r := newTestRegistry(t, deadRegistry())
	dir := writeTree(t, map[string]string{"go.mod": testGoMod, "main.go": "package main\n\nfunc main() {}\n"})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := r.runtimes[1].Context(ctx, dir, lambda.Config{}, nil)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}

func TestHostGoEnvKeepsSecretsOut(t *testing.T) {
	t.Setenv("LAMBDA_API_KEY", "secret")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
	t.Setenv("GOPROXY", "https://proxy.example")
	t.Setenv("GOFLAGS", "-toolexec=/tmp/evil")
	t.Setenv("CGO_ENABLED", "1")
	env := hostGoEnv("-mod=mod")
	joined := strings.Join(env, "\n")
	for _, bad := range []string{"LAMBDA_API_KEY", "AWS_SECRET_ACCESS_KEY", "toolexec", "CGO_ENABLED=1"} {
		if strings.Contains(joined, bad) {
			t.Errorf("go build environment contains %s:\n%s", bad, joined)
		}
	}
	for _, good := range []string{"GOPROXY=https://proxy.example", "CGO_ENABLED=0", "GOOS=linux", "GOTOOLCHAIN=local", "GOFLAGS=-mod=mod", "GOWORK=off"} {
		if !strings.Contains(joined, good) {
			t.Errorf("go build environment lacks %s:\n%s", good, joined)
		}
	}
}

func TestTailBuffer(t *testing.T) {
	var tb tailBuffer
	for i := 0; i < 5000; i++ {
		tb.Write([]byte("line " + strings.Repeat("x", i%7) + "\n"))
	}
	tb.Write([]byte("\nlast\n\n"))
	lines := strings.Split(tb.Lines(3), "\n")
	if len(lines) != 3 || lines[2] != "last" {
		t.Fatalf("Lines(3) = %q", lines)
	}
	if len(tb.buf) > tailBytes {
		t.Fatalf("buffer grew to %d bytes", len(tb.buf))
	}
}

func keys(m map[string]tarEntry) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	return ks
}
