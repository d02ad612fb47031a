package runtimes

import (
	"context"
	"encoding/json"
	"io"
	"path/filepath"
	"strings"

	"github.com/lambdahq/lambda"
)

// node is the Node runtime's image recipe. Debian's npm installs
// package.json dependencies; the npm registry is the user's business
// (file: dependencies work without it). Packages npm needs only to build
// native addons or to lint and bundle are left out of an assembled image.
var node = &language{
	name:      lambda.RuntimeNode,
	image:     func(r *Registry) string { return r.NodeImage },
	setting:   "--node-image (LAMBDA_NODE_IMAGE)",
	bootstrap: "bootstrap/bootstrap.js",
	command:   []string{"node", "/lambda/bootstrap.js"},
	env: []string{
		"NPM_CONFIG_UPDATE_NOTIFIER=false", "NPM_CONFIG_FUND=false", "NPM_CONFIG_AUDIT=false",
		"NPM_CONFIG_CACHE=/tmp/.npm",
	},
	check: []string{"node", "-e", "if (+process.versions.node.split('.')[0] < 18) { " +
		"console.error('the Node base image has Node ' + process.version + ': the bootstrap needs 18 or newer'); process.exit(1) }"},
	debian: debianImage{
		// dash is /bin/sh, for npm scripts; env runs npm's #!/usr/bin/env node.
		packages:  []string{"nodejs", "npm", "dash"},
		files:     map[string][]string{"coreutils": {"usr/bin/env"}},
		exclude:   []string{"python3*", "libpython3*", "gyp", "eslint", "webpack", "terser", "handlebars", "node-typescript"},
		binary:    "usr/bin/node",
		cmd:       []string{"node"},
		versionOf: "nodejs",
	},
	versionParts: 1,
}

// nodeRuntime runs exports.handler of index.js or handler.js (or the file
// the handler names) with package.json dependencies installed.
type nodeRuntime struct{ reg *Registry }

func (*nodeRuntime) Name() string    { return lambda.RuntimeNode }
func (*nodeRuntime) Files() []string { return []string{"index.js", "handler.js"} }
func (*nodeRuntime) Detect(dir string) bool {
	return hasFile(dir, "index.js") || hasFile(dir, "handler.js")
}

func (*nodeRuntime) hasHandler(dir, handler string) bool {
	_, ok := nodeHandlerFile(dir, handler)
	return ok
}

// nodeHandlerFile returns the file of dir that handler names.
func nodeHandlerFile(dir, handler string) (string, bool) {
	files, err := nodeHandlerFiles(handler)
	if err != nil {
		return "", false
	}
	for _, f := range files {
		if hasFile(dir, filepath.FromSlash(f)) {
			return f, true
		}
	}
	return "", false
}

func (*nodeRuntime) Resolve(dir string, cfg lambda.Config) (lambda.Config, error) {
	cfg, err := checkHandlerProtocol(lambda.RuntimeNode, cfg)
	if err != nil {
		return cfg, err
	}
	if cfg.Handler == "" {
		cfg.Handler = "index.handler"
		if _, ok := nodeHandlerFile(dir, cfg.Handler); !ok && hasFile(dir, "handler.js") {
			cfg.Handler = "handler.handler"
		}
	}
	files, err := nodeHandlerFiles(cfg.Handler)
	if err != nil {
		return cfg, err
	}
	if _, ok := nodeHandlerFile(dir, cfg.Handler); !ok {
		return cfg, lambda.Errorf(lambda.EINVALID, "the node runtime looked for %s (handler %q) and it is missing from the function directory",
			orList(files), cfg.Handler)
	}
	return cfg, nil
}

func (n *nodeRuntime) Context(ctx context.Context, dir string, cfg lambda.Config, out io.Writer) (io.ReadCloser, error) {
	if out == nil {
		out = io.Discard
	}
	cfg, err := n.Resolve(dir, cfg)
	if err != nil {
		return nil, err
	}
	deps, err := nodeDeps(dir)
	if err != nil {
		return nil, err
	}
	image, err := n.reg.ensureRuntime(ctx, node, out)
	if err != nil {
		return nil, err
	}
	return handlerContext(dir, image, cfg.Handler, deps), nil
}

// packageJSON is the part of package.json that decides the install.
type packageJSON struct {
	Dependencies         map[string]string `json:"dependencies"`
	OptionalDependencies map[string]string `json:"optionalDependencies"`
}

// nodeDeps installs package.json's dependencies, when it has any.
func nodeDeps(dir string) (*handlerDeps, error) {
	data, err := readSmall(dir, "package.json")
	if err != nil || data == nil {
		return nil, err
	}
	var pj packageJSON
	if err := json.Unmarshal(data, &pj); err != nil {
		return nil, lambda.Errorf(lambda.EINVALID, "package.json is invalid: %v", err)
	}
	if len(pj.Dependencies)+len(pj.OptionalDependencies) == 0 {
		return nil, nil
	}
	deps := &handlerDeps{
		files: []string{"package.json"},
		run:   []string{"npm", "install", "--omit=dev", "--no-audit", "--no-fund"},
	}
	for _, lock := range []string{"package-lock.json", "npm-shrinkwrap.json"} {
		if hasFile(dir, lock) {
			deps.files = append(deps.files, lock)
		}
	}
	for _, m := range []map[string]string{pj.Dependencies, pj.OptionalDependencies} {
		for _, spec := range m {
			if localSpec(spec) {
				deps.local = true
			}
		}
	}
	return deps, nil
}

// localSpec reports whether a dependency refers to the function's files.
func localSpec(spec string) bool {
	for _, prefix := range []string{"file:", "link:", ".", "/", "~"} {
		if strings.HasPrefix(strings.TrimSpace(spec), prefix) {
			return true
		}
	}
	return false
}
