// Package templates holds the starting points `lambda init` writes: one
// working function per runtime and protocol that make sense together, and a
// project of several functions. They are embedded in the binary, so init
// works offline.
//
// The files live under _files/NAME (the leading underscore keeps the Go
// tool from building the templates' Go code as part of this module). A
// template's go.mod and go.sum are stored as go.mod.tmpl and go.sum.tmpl:
// a directory with a go.mod would be another module, which embed refuses.
// The placeholder __NAME__ in any file becomes the function's (or the
// project's) name.
package templates

import (
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/lambdahq/lambda"
)

//go:embed all:_files
var files embed.FS

// Placeholder is replaced by the name given to Write in every file.
const Placeholder = "__NAME__"

// Template describes one template.
type Template struct {
	Name     string `json:"name"`
	Runtime  string `json:"runtime"`
	Protocol string `json:"protocol"`
	// Project: the template declares several functions (a project
	// manifest) rather than one.
	Project     bool   `json:"project,omitempty"`
	Description string `json:"description"`
	// Test is the command that runs the template's unit test in its
	// directory, with the language's own runner.
	Test []string `json:"test"`
}

var (
	goTest   = []string{"go", "test", "./..."}
	pyTest   = []string{"python3", "-m", "unittest"}
	nodeTest = []string{"node", "--test"}
	shTest   = []string{"sh", "test.sh"}
)

// all is every template, in the order --list shows them. The first of a
// runtime is its default when no protocol is asked for.
var all = []Template{
	{Name: "go-http", Runtime: lambda.RuntimeGo, Protocol: lambda.ProtocolHTTP, Test: goTest,
		Description: "a Go HTTP server on $PORT (standard library only)"},
	{Name: "go-aws", Runtime: lambda.RuntimeGo, Protocol: lambda.ProtocolAWS, Test: goTest,
		Description: "an AWS Lambda function with aws-lambda-go, unchanged on AWS"},
	{Name: "go-stdio", Runtime: lambda.RuntimeGo, Protocol: lambda.ProtocolStdio, Test: goTest,
		Description: "a Go program run once per request: body on stdin, answer on stdout"},
	{Name: "python", Runtime: lambda.RuntimePython, Protocol: lambda.ProtocolHandler, Test: pyTest,
		Description: "handler(event, context) in handler.py"},
	{Name: "node", Runtime: lambda.RuntimeNode, Protocol: lambda.ProtocolHandler, Test: nodeTest,
		Description: "exports.handler(event, context) in index.js"},
	{Name: "dockerfile-http", Runtime: lambda.RuntimeDockerfile, Protocol: lambda.ProtocolHTTP, Test: shTest,
		Description: "your own image (busybox httpd and a CGI script) serving HTTP on $PORT"},
	{Name: "dockerfile-aws", Runtime: lambda.RuntimeDockerfile, Protocol: lambda.ProtocolAWS, Test: shTest,
		Description: "your own image whose command (a shell bootstrap) is a Lambda Runtime API client"},
	{Name: "dockerfile-stdio", Runtime: lambda.RuntimeDockerfile, Protocol: lambda.ProtocolStdio, Test: shTest,
		Description: "your own image whose command (a shell script) runs once per request"},
	{Name: "project-node", Runtime: lambda.RuntimeNode, Protocol: lambda.ProtocolHandler, Project: true, Test: nodeTest,
		Description: "a project: three Node functions in one functions.js, one of them a cron job"},
}

// List returns every template.
func List() []Template { return append([]Template(nil), all...) }

// Find returns the template called name.
func Find(name string) (Template, error) {
	for _, t := range all {
		if t.Name == name {
			return t, nil
		}
	}
	return Template{}, lambda.Errorf(lambda.ENOTFOUND, "no template %q: use one of %s (lambda init --list)", name, strings.Join(names(all), ", "))
}

// Runtimes returns the runtimes that have templates, in List's order.
func Runtimes() []string {
	var out []string
	seen := map[string]bool{}
	for _, t := range all {
		if !seen[t.Runtime] {
			seen[t.Runtime] = true
			out = append(out, t.Runtime)
		}
	}
	return out
}

// For returns the single-function template of runtime and protocol
// (protocol "" is the runtime's default, the first listed).
func For(runtime, protocol string) (Template, error) {
	var protocols []string
	for _, t := range all {
		if t.Runtime != runtime || t.Project {
			continue
		}
		if protocol == "" || t.Protocol == protocol {
			return t, nil
		}
		protocols = append(protocols, t.Protocol)
	}
	if len(protocols) == 0 {
		return Template{}, lambda.Errorf(lambda.EINVALID, "no template for runtime %q: use one of %s", runtime, strings.Join(Runtimes(), ", "))
	}
	if runtime == lambda.RuntimePython || runtime == lambda.RuntimeNode {
		return Template{}, lambda.Errorf(lambda.EINVALID, "protocol %q does not apply to the %s runtime, which calls your handler: leave --protocol out, or use --runtime dockerfile or go for %s", protocol, runtime, protocol)
	}
	return Template{}, lambda.Errorf(lambda.EINVALID, "no %s template of protocol %q: use --protocol %s", runtime, protocol, strings.Join(protocols, ", --protocol "))
}

func names(ts []Template) []string {
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = t.Name
	}
	return out
}

// Files returns the paths (slash-separated, relative) t writes, sorted.
func (t Template) Files() ([]string, error) {
	var out []string
	root := path.Join("_files", t.Name)
	err := fs.WalkDir(files, root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		out = append(out, outName(strings.TrimPrefix(p, root+"/")))
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("template %s: %w", t.Name, err)
	}
	sort.Strings(out)
	return out, nil
}

// outName is the name a stored file is written under.
func outName(p string) string { return strings.TrimSuffix(p, ".tmpl") }

// ErrNotEmpty is returned by Write for a directory that holds files.
var ErrNotEmpty = errors.New("directory is not empty")

// Write writes t into dir, which must not exist or be empty, with name in
// place of the placeholder, and returns the paths written (relative to
// dir). It never overwrites: a non-empty dir is refused before anything is
// written.
func (t Template) Write(dir, name string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	switch {
	case err == nil && len(entries) > 0:
		return nil, fmt.Errorf("%s: %w", dir, ErrNotEmpty)
	case err != nil && !errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("read %s: %w", dir, err)
	}
	paths, err := t.Files()
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("create %s: %w", dir, err)
	}
	root := path.Join("_files", t.Name)
	err = fs.WalkDir(files, root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := files.ReadFile(p)
		if err != nil {
			return err
		}
		rel := outName(strings.TrimPrefix(p, root+"/"))
		dst := filepath.Join(dir, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return err
		}
		mode := os.FileMode(0o644)
		if executable(rel) {
			mode = 0o755
		}
		// O_EXCL: a file that appeared since the check is not overwritten.
		f, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
		if err != nil {
			return err
		}
		_, err = f.Write([]byte(strings.ReplaceAll(string(b), Placeholder, name)))
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("write template %s into %s: %w", t.Name, dir, err)
	}
	return paths, nil
}

// executable reports whether a template file is a script to be run.
func executable(p string) bool {
	return strings.HasSuffix(p, ".sh") || strings.HasSuffix(p, ".cgi") || path.Base(p) == "bootstrap"
}
