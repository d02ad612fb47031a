package runtimes

import (
	"os"
	"path/filepath"
	"strings"
	"sync"
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
