package runtimes

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"

	"github.com/lambdahq/lambda"
)

// trustedGoEnv are the server variables go build may see: where the Go
// caches live and how to reach the module proxy. Anything else (API keys,
// database paths) stays out of reach of the code being compiled.
var trustedGoEnv = []string{
	"PATH", "HOME", "TMPDIR", "XDG_CACHE_HOME", "XDG_CONFIG_HOME",
	"GOROOT", "GOPATH", "GOCACHE", "GOMODCACHE", "GOENV",
	"GOPROXY", "GOSUMDB", "GOPRIVATE", "GONOPROXY", "GONOSUMDB", "GOINSECURE", "GOAUTH",
	"HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "no_proxy",
	"SSL_CERT_FILE", "SSL_CERT_DIR",
}

// hostGoEnv is the environment of go build on the host. The settings that
// make the binary static and the build reproducible come last, so they win.
func hostGoEnv(mod string) []string {
	var env []string
	for _, k := range trustedGoEnv {
		if v, ok := os.LookupEnv(k); ok {
			env = append(env, k+"="+v)
		}
	}
	// A server started without HOME (some init systems) would leave go
	// without a build cache or module cache.
	if os.Getenv("GOCACHE") == "" && os.Getenv("XDG_CACHE_HOME") == "" && os.Getenv("HOME") == "" {
		env = append(env, "GOCACHE="+filepath.Join(os.TempDir(), "lambda-go", "cache"))
	}
	if os.Getenv("GOPATH") == "" && os.Getenv("HOME") == "" {
		env = append(env, "GOPATH="+filepath.Join(os.TempDir(), "lambda-go", "path"))
	}
	return append(env,
		"CGO_ENABLED=0", "GOOS=linux", "GOTOOLCHAIN=local",
		// A go.work above the function's directory must not pull in
		// other code.
		"GOWORK=off",
		"GOFLAGS="+mod,
	)
}

// checkReplaces rejects go.mod replace directives that point at directories
// outside the function: built on the host, they would compile (and could
// embed) the server's own files into the function.
func checkReplaces(ctx context.Context, goBin, dir string, env []string) error {
	cmd := exec.CommandContext(ctx, goBin, "mod", "edit", "-json")
	cmd.Dir, cmd.Env = dir, env
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	data, err := cmd.Output()
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if _, ok := err.(*exec.ExitError); ok {
			return lambda.Errorf(lambda.EINVALID, "go.mod is invalid: %s", strings.TrimSpace(stderr.String()))
		}
		return lambda.Errorf(lambda.EUNAVAILABLE, "cannot run the server host's Go toolchain %s: %w", goBin, err)
	}
	var mf struct {
		Replace []struct {
			New struct{ Path, Version string }
		}
	}
	if err := json.Unmarshal(data, &mf); err != nil {
		return lambda.Errorf(lambda.EINVALID, "go.mod is invalid: %w", err)
	}
	for _, rep := range mf.Replace {
		if rep.New.Version != "" { // a module, not a directory
			continue
		}
		p := rep.New.Path
		if !filepath.IsAbs(p) {
			p = filepath.Join(dir, p)
		}
		if rel, err := filepath.Rel(dir, p); err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) || filepath.IsAbs(rep.New.Path) {
			return lambda.Errorf(lambda.EINVALID, "go.mod replaces a module with the directory %s, outside the function: "+
				"keep replaced modules inside the function's directory (e.g. ./lib) or vendor them (go mod vendor)", rep.New.Path)
		}
	}
	return nil
}

// tailBuffer keeps the last bytes written to it, for error messages.
type tailBuffer struct {
	mu  sync.Mutex
	buf []byte
}

const tailBytes = 16 << 10

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if len(t.buf) > tailBytes {
		t.buf = append(t.buf[:0], t.buf[len(t.buf)-tailBytes:]...)
	}
	return len(p), nil
}

// Lines returns the last n non-empty lines, joined by newlines.
func (t *tailBuffer) Lines(n int) string {
	t.mu.Lock()
	defer t.mu.Unlock()
	var lines []string
	for _, l := range strings.Split(string(t.buf), "\n") {
		if strings.TrimSpace(l) != "" {
			lines = append(lines, l)
		}
	}
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
