package runtimes

import (
	"path"
	"strings"
	"testing"

	"github.com/lambdahq/lambda"
)

func TestPythonHandlerFile(t *testing.T) {
	tests := []struct{ handler, file string }{
		{"handler.handler", "handler.py"},
		{"app.main", "app.py"},
		{"pkg.mod.run", "pkg/mod.py"},
		{"src/app.handler", "src/app.py"},
		{"_private.h_1", "_private.py"},
		{"handler", ""},
		{".handler", ""},
		{"handler.", ""},
		{"handler.1x", ""},
		{"../etc.passwd", ""},
		{"/abs.handler", ""},
		{"a-b.handler", ""},
		{"a..b.handler", ""},
		{"app.main\nRUN x", ""},
	}
	for _, tt := range tests {
		file, err := pythonHandlerFile(tt.handler)
		if tt.file == "" {
			if lambda.ErrorCode(err) != lambda.EINVALID || !strings.Contains(err.Error(), "use FILE.FUNCTION") {
				t.Errorf("pythonHandlerFile(%q) = %q, %v; want an invalid handler error", tt.handler, file, err)
			}
			continue
		}
		if err != nil || file != tt.file {
			t.Errorf("pythonHandlerFile(%q) = %q, %v; want %q", tt.handler, file, err, tt.file)
		}
	}
}

func TestNodeHandlerFiles(t *testing.T) {
	tests := []struct{ handler, first string }{
		{"index.handler", "index.js"},
		{"handler.handler", "handler.js"},
		{"src/app.handlers.main", "src/app.js"},
		{"my-app.$run", "my-app.js"},
		{"index", ""},
		{"index.", ""},
		{".handler", ""},
		{"../x.handler", ""},
		{"a/../../x.handler", ""},
		{"/abs.handler", ""},
		{"index.a-b", ""},
		{"index.handler\n", ""},
	}
	for _, tt := range tests {
		files, err := nodeHandlerFiles(tt.handler)
		if tt.first == "" {
			if lambda.ErrorCode(err) != lambda.EINVALID {
				t.Errorf("nodeHandlerFiles(%q) = %v, %v; want an invalid handler error", tt.handler, files, err)
			}
			continue
		}
		if err != nil || len(files) != 3 || files[0] != tt.first {
			t.Errorf("nodeHandlerFiles(%q) = %v, %v; want %s first", tt.handler, files, err, tt.first)
		}
	}
}

// FuzzHandlerNames checks that any handler a user sends either is refused
// or names files inside the function directory, with nothing that would
// break the Dockerfile line it is written to.
func FuzzHandlerNames(f *testing.F) {
	for _, s := range []string{"handler.handler", "src/app.main", "pkg.mod.run", "../x.y", "a/b/c.d.e", "x.$y"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, h string) {
		var files []string
		if file, err := pythonHandlerFile(h); err == nil {
			files = append(files, file)
		} else if lambda.ErrorCode(err) != lambda.EINVALID {
			t.Fatalf("python %q: %v", h, err)
		}
		if fs, err := nodeHandlerFiles(h); err == nil {
			files = append(files, fs...)
		} else if lambda.ErrorCode(err) != lambda.EINVALID {
			t.Fatalf("node %q: %v", h, err)
		}
		if len(files) > 0 && strings.ContainsAny(h, " \t\r\n\"'\\`") {
			t.Fatalf("handler %q with unsafe characters accepted", h)
		}
		for _, file := range files {
			if path.IsAbs(file) || path.Clean(file) != file || strings.HasPrefix(file, "..") {
				t.Fatalf("handler %q names %q, outside the function", h, file)
			}
		}
	})
}
