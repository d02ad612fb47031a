package runtimes

import (
	"context"
	"strings"
	"testing"

	"github.com/lambdahq/lambda"
)

// presentRegistry is a registry whose shim and runtime images are all on
// the (fake) host, so contexts are made without building anything.
func presentRegistry(t *testing.T) *Registry {
	t.Helper()
	d := deadRegistry()
	r := NewRegistry(d)
	d.images = map[string]bool{r.PythonImage: true, r.NodeImage: true}
	for _, ref := range []func() (string, error){r.shimImage, r.shimBaseImage,
		func() (string, error) { return r.runtimeImage(python) }, func() (string, error) { return r.runtimeImage(node) }} {
		name, err := ref()
		if err != nil {
			t.Fatal(err)
		}
		d.images[name] = true
	}
	return r
}

func TestHandlerContexts(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		cfg   lambda.Config
		want  []string // Dockerfile lines, in order
		not   []string
	}{
		// The code's COPY last: a redeploy of new code finds every step
		// before it in the builder's cache, and the marker lets the driver
		// write its layer. With local dependencies the install needs the
		// code: no marker.
		{name: "python without requirements", files: map[string]string{"handler.py": pyHandler},
			want: []string{"FROM lambda-runtime-python:", "ENV LAMBDA_HANDLER=handler.handler\n", lambda.CodeLayerMarker + "\nCOPY . /var/task/\n"},
			not:  []string{"pip"}},
		{name: "python requirements from an index: installed first, cached", files: map[string]string{"handler.py": pyHandler, "requirements.txt": "requests==2.32.3\n"},
			want: []string{"FROM lambda-runtime-python:", "COPY requirements.txt /var/task/\n",
				`RUN ["python3","-m","pip","install","--no-cache-dir","--disable-pip-version-check","-r","/var/task/requirements.txt","-t","/var/task"]` + "\n",
				"ENV LAMBDA_HANDLER=handler.handler\n", lambda.CodeLayerMarker + "\nCOPY . /var/task/\n"}},
		{name: "python local wheel: code first", files: map[string]string{"handler.py": pyHandler, "requirements.txt": "# local\n./wheels/x-1.0-py3-none-any.whl\n"},
			want: []string{"FROM lambda-runtime-python:", "COPY . /var/task/\n", `RUN ["python3","-m","pip","install"`, "ENV LAMBDA_HANDLER=handler.handler\n"}},
		{name: "python custom handler", files: map[string]string{"app.py": pyHandler}, cfg: lambda.Config{Handler: "app.main"},
			want: []string{"ENV LAMBDA_HANDLER=app.main\n"}},
		{name: "node without dependencies", files: map[string]string{"index.js": jsHandler, "package.json": `{"name":"x","devDependencies":{"jest":"1"}}`},
			want: []string{"FROM lambda-runtime-node:", "ENV LAMBDA_HANDLER=index.handler\n", lambda.CodeLayerMarker + "\nCOPY . /var/task/\n"},
			not:  []string{"npm"}},
		{name: "node registry dependencies: installed first, with the lock file", files: map[string]string{"handler.js": jsHandler,
			"package.json": `{"dependencies":{"left-pad":"^1.3.0"}}`, "package-lock.json": "{}"},
			want: []string{"COPY package.json package-lock.json /var/task/\n",
				`RUN ["npm","install","--omit=dev","--no-audit","--no-fund"]` + "\n", "ENV LAMBDA_HANDLER=handler.handler\n", lambda.CodeLayerMarker + "\nCOPY . /var/task/\n"}},
		{name: "node file: dependency: code first", files: map[string]string{"index.js": jsHandler, "package.json": `{"dependencies":{"greeting":"file:./greeting"}}`},
			want: []string{"COPY . /var/task/\n", `RUN ["npm","install"`, "ENV LAMBDA_HANDLER=index.handler\n"}},
		{name: "node export with $ escaped", files: map[string]string{"index.js": jsHandler}, cfg: lambda.Config{Handler: "index.$run"},
			want: []string{`ENV LAMBDA_HANDLER=index.\$run` + "\n"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := presentRegistry(t)
			tt.files["Dockerfile.dev"] = "not ours"
			dir := writeTree(t, tt.files)
			cfg, rc, err := r.BuildContext(context.Background(), dir, tt.cfg, nil)
			if err != nil {
				t.Fatal(err)
			}
			entries := readContext(t, rc)
			df := string(entries["Dockerfile"].data)
			pos := 0
			for _, line := range tt.want {
				i := strings.Index(df[pos:], line)
				if i < 0 {
					t.Fatalf("Dockerfile lacks %q after byte %d:\n%s", line, pos, df)
				}
				pos += i + len(line)
			}
			for _, s := range tt.not {
				if strings.Contains(df, s) {
					t.Errorf("Dockerfile mentions %q:\n%s", s, df)
				}
			}
			if ig := string(entries[".dockerignore"].data); ig != "Dockerfile\n.dockerignore\n" {
				t.Errorf(".dockerignore = %q", ig)
			}
			for name := range tt.files {
				if _, ok := entries[name]; !ok {
					t.Errorf("%s missing from the context", name)
				}
			}
			if cfg.Protocol != lambda.ProtocolHandler || cfg.Handler == "" {
				t.Errorf("config = %+v", cfg)
			}
		})
	}
}

func TestHandlerDepsErrors(t *testing.T) {
	r := presentRegistry(t)
	dir := writeTree(t, map[string]string{"index.js": jsHandler, "package.json": `{"dependencies": [}`})
	_, _, err := r.BuildContext(context.Background(), dir, lambda.Config{}, nil)
	wantCode(t, err, lambda.EINVALID)
	if !strings.Contains(err.Error(), "package.json is invalid") {
		t.Fatalf("error %q does not name package.json", err)
	}
}

func TestRequirementsLocal(t *testing.T) {
	tests := []struct {
		reqs  string
		local bool
	}{
		{"requests==2.32.3\nflask>=3 # web\n", false},
		{"--index-url https://pypi.example/simple\nrequests\n", false},
		{"https://example.com/pkg-1.0.tar.gz\n", false},
		{"./mylib\n", true},
		{"  -e ./mylib\n", true},
		{"-r base.txt\n", true},
		{"--find-links ./wheels\nmylib\n", true},
		{"wheels/mylib-1.0-py3-none-any.whl\n", true},
		{"mylib @ file:///var/task/mylib\n", true},
		{"# ./not-a-path\n", false},
	}
	for _, tt := range tests {
		if got := requirementsLocal([]byte(tt.reqs)); got != tt.local {
			t.Errorf("requirementsLocal(%q) = %v, want %v", tt.reqs, got, tt.local)
		}
	}
	for spec, local := range map[string]bool{"^1.2.3": false, "file:./lib": true, "link:../x": true, "./lib": true,
		"github:user/repo": false, "https://x/y.tgz": false, "~/lib": true} {
		if localSpec(spec) != local {
			t.Errorf("localSpec(%q) = %v", spec, !local)
		}
	}
}

func TestRuntimeDockerfile(t *testing.T) {
	df := runtimeDockerfile(python, "python:3.12-slim", "lambda-shim:abc")
	for _, line := range []string{
		"FROM python:3.12-slim\n",
		"COPY --from=lambda-shim:abc /shim /lambda/shim\n",
		"COPY bootstrap.py /lambda/bootstrap.py\n",
		`RUN ["python3","-c","import sys; sys.version_info \u003e= (3, 9)`,
		"ENV LAMBDA_TASK_ROOT=/var/task PYTHONUNBUFFERED=1",
		"WORKDIR /var/task\n",
		`ENTRYPOINT ["/lambda/shim","--protocol","handler","--","python3","/lambda/bootstrap.py"]` + "\nCMD []\n",
	} {
		if !strings.Contains(df, line) {
			t.Errorf("python runtime Dockerfile lacks %q:\n%s", line, df)
		}
	}
	df = runtimeDockerfile(node, "node:22-slim", "lambda-shim:abc")
	if !strings.Contains(df, `"node","/lambda/bootstrap.js"]`) || !strings.Contains(df, "NPM_CONFIG_UPDATE_NOTIFIER=false") {
		t.Errorf("node runtime Dockerfile:\n%s", df)
	}
}

// Runtime images are named after what they are made of: a new shim,
// bootstrap or base image gives a new tag, so stale ones are never used.
func TestRuntimeImageNames(t *testing.T) {
	r := NewRegistry(nil)
	a, err := r.runtimeImage(python)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(a, "lambda-runtime-python:") || len(a) != len("lambda-runtime-python:")+12 {
		t.Fatalf("runtime image %q", a)
	}
	r.PythonImage = "python:3.13-slim"
	if b, _ := r.runtimeImage(python); b == a {
		t.Fatal("another base image gives the same runtime image tag")
	}
	n, _ := r.runtimeImage(node)
	if !strings.HasPrefix(n, "lambda-runtime-node:") {
		t.Fatalf("node runtime image %q", n)
	}
	s, _ := r.shimImage()
	b, _ := r.shimBaseImage()
	r.CABundle = ""
	b2, _ := r.shimBaseImage()
	if !strings.HasPrefix(s, "lambda-shim:") || !strings.HasPrefix(b, "lambda-shim-base:") || (findCABundle() != "" && b == b2) {
		t.Fatalf("shim %q, shim base %q / %q without CA", s, b, b2)
	}
}
