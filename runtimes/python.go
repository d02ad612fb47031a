package runtimes

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/lambdahq/lambda"
)

const defaultPythonHandler = "handler.handler"

// python is the Python runtime's image recipe. Debian's python3-pip is
// enough to install requirements; PyPI access is the user's business
// (local wheels and directories work without it).
var python = &language{
	name:      lambda.RuntimePython,
	image:     func(r *Registry) string { return r.PythonImage },
	setting:   "--python-image (LAMBDA_PYTHON_IMAGE)",
	bootstrap: "bootstrap/bootstrap.py",
	command:   []string{"python3", "/lambda/bootstrap.py"},
	env: []string{
		"PYTHONUNBUFFERED=1", "PYTHONDONTWRITEBYTECODE=1",
		"PIP_DISABLE_PIP_VERSION_CHECK=1", "PIP_NO_WARN_SCRIPT_LOCATION=1", "PIP_ROOT_USER_ACTION=ignore",
	},
	// The check also compiles the standard library where the base image
	// does not ship it compiled (Debian's python3 compiles it when
	// installed, which an assembled image never is): a cold start then
	// saves the ~130 ms of compiling what the bootstrap imports.
	check: []string{"python3", "-c", "import sys; sys.version_info >= (3, 9) or sys.exit(" +
		"'the Python base image has Python ' + sys.version.split()[0] + ': the bootstrap needs 3.9 or newer'); " +
		"import compileall, re, sysconfig; compileall.compile_dir(sysconfig.get_path('stdlib'), quiet=1, workers=0, " +
		"rx=re.compile(r'/(test|tests|idlelib|lib2to3|tkinter|turtledemo|ensurepip)/'))"},
	debian: debianImage{
		packages:  []string{"python3", "python3-pip"},
		binary:    "usr/bin/python3",
		cmd:       []string{"python3"},
		versionOf: "python3",
	},
	versionParts: 2,
}

// pythonRuntime runs handler(event, context) from handler.py (or the file
// the handler names) with requirements.txt installed into /var/task.
type pythonRuntime struct{ reg *Registry }

func (*pythonRuntime) Name() string           { return lambda.RuntimePython }
func (*pythonRuntime) Files() []string        { return []string{"handler.py"} }
func (*pythonRuntime) Detect(dir string) bool { return hasFile(dir, "handler.py") }

func (*pythonRuntime) hasHandler(dir, handler string) bool {
	file, err := pythonHandlerFile(handler)
	return err == nil && hasFile(dir, filepath.FromSlash(file))
}

func (*pythonRuntime) Resolve(dir string, cfg lambda.Config) (lambda.Config, error) {
	cfg, err := checkHandlerProtocol(lambda.RuntimePython, cfg)
	if err != nil {
		return cfg, err
	}
	if cfg.Handler == "" {
		cfg.Handler = defaultPythonHandler
	}
	file, err := pythonHandlerFile(cfg.Handler)
	if err != nil {
		return cfg, err
	}
	if !hasFile(dir, filepath.FromSlash(file)) {
		_, fn, _ := cutLast(cfg.Handler, ".")
		return cfg, lambda.Errorf(lambda.EINVALID, "the python runtime looked for %s (handler %q: def %s(event, context) in %s) and it is missing from the function directory",
			file, cfg.Handler, fn, file)
	}
	return cfg, nil
}

func (p *pythonRuntime) Context(ctx context.Context, dir string, cfg lambda.Config, out io.Writer) (io.ReadCloser, error) {
	if out == nil {
		out = io.Discard
	}
	cfg, err := p.Resolve(dir, cfg)
	if err != nil {
		return nil, err
	}
	deps, err := pythonDeps(dir)
	if err != nil {
		return nil, err
	}
	image, err := p.reg.ensureRuntime(ctx, python, out)
	if err != nil {
		return nil, err
	}
	return handlerContext(dir, image, cfg.Handler, deps), nil
}

// pythonDeps installs requirements.txt, when there is one, into /var/task.
func pythonDeps(dir string) (*handlerDeps, error) {
	data, err := readSmall(dir, "requirements.txt")
	if err != nil || data == nil {
		return nil, err
	}
	return &handlerDeps{
		files: []string{"requirements.txt"},
		run: []string{"python3", "-m", "pip", "install", "--no-cache-dir", "--disable-pip-version-check",
			"-r", taskRoot + "/requirements.txt", "-t", taskRoot},
		local: requirementsLocal(data),
	}, nil
}

// requirementsLocal reports whether requirements.txt refers to files of
// the function (directories, wheels, archives, other requirement files),
// which must then be in the image before pip runs.
func requirementsLocal(data []byte) bool {
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if i := strings.Index(line, " #"); i >= 0 {
			line = strings.TrimSpace(line[:i])
		}
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		for _, prefix := range []string{"-r", "--requirement", "-c", "--constraint", "-e", "--editable", "-f", "--find-links", ".", "/", "~", "file:"} {
			if strings.HasPrefix(line, prefix) {
				return true
			}
		}
		if strings.Contains(line, "@ file:") {
			return true
		}
		if !strings.Contains(line, "://") {
			for _, ext := range []string{".whl", ".tar.gz", ".zip", ".tar.bz2"} {
				if strings.Contains(line, ext) {
					return true
				}
			}
		}
	}
	return false
}

// readSmall reads dir/name, nil when it does not exist; a file too large
// to be a manifest is an error.
func readSmall(dir, name string) ([]byte, error) {
	f, err := os.Open(filepath.Join(dir, name))
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, lambda.Errorf(lambda.EINVALID, "cannot read %s: %w", name, err)
	}
	defer f.Close()
	const limit = 1 << 20
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, lambda.Errorf(lambda.EINVALID, "cannot read %s: %w", name, err)
	}
	if len(data) > limit {
		return nil, lambda.Errorf(lambda.EINVALID, "%s is over 1 MB: is it the right file?", name)
	}
	return data, nil
}

// cutLast splits s around the last sep.
func cutLast(s, sep string) (before, after string, found bool) {
	i := strings.LastIndex(s, sep)
	if i < 0 {
		return s, "", false
	}
	return s[:i], s[i+len(sep):], true
}
