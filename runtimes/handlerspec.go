package runtimes

import (
	"regexp"
	"strings"

	"github.com/lambdahq/lambda"
)

// Handler names: FILE.FUNCTION, FILE possibly in a subdirectory (dir/file)
// and, for Python, a dotted module path (pkg.module.function).
var (
	pathPart   = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_-]*$`)
	pyIdent    = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	jsIdent    = regexp.MustCompile(`^[A-Za-z_$][A-Za-z0-9_$]*$`)
	maxHandler = 256
)

func badHandler(handler, example string) error {
	return lambda.Errorf(lambda.EINVALID, "handler %q is invalid: use FILE.FUNCTION, e.g. %s", handler, example)
}

// pythonHandlerFile returns the file (slash-separated, relative to the
// function directory) that handler names, e.g. "app/main.py" for
// app/main.handler or app.main.handler.
func pythonHandlerFile(handler string) (string, error) {
	const example = "handler.handler for def handler(event, context) in handler.py"
	i := strings.LastIndex(handler, ".")
	if len(handler) > maxHandler || i <= 0 || !pyIdent.MatchString(handler[i+1:]) {
		return "", badHandler(handler, example)
	}
	module := strings.ReplaceAll(handler[:i], ".", "/")
	for _, part := range strings.Split(module, "/") {
		if !pyIdent.MatchString(part) {
			return "", badHandler(handler, example)
		}
	}
	return module + ".py", nil
}

// nodeHandlerFiles returns the files one of which handler names, e.g.
// index.js, index.cjs and index.mjs for index.handler. The part after the
// file may name a nested export (index.handlers.main).
func nodeHandlerFiles(handler string) ([]string, error) {
	const example = "index.handler for exports.handler in index.js"
	slash := strings.LastIndex(handler, "/")
	dot := strings.Index(handler[slash+1:], ".")
	if len(handler) > maxHandler || dot <= 0 {
		return nil, badHandler(handler, example)
	}
	dot += slash + 1
	module, names := handler[:dot], handler[dot+1:]
	for _, part := range strings.Split(module, "/") {
		if !pathPart.MatchString(part) {
			return nil, badHandler(handler, example)
		}
	}
	for _, n := range strings.Split(names, ".") {
		if !jsIdent.MatchString(n) {
			return nil, badHandler(handler, example)
		}
	}
	return []string{module + ".js", module + ".cjs", module + ".mjs"}, nil
}

// handlerRuntime is a runtime whose functions are named by a handler.
type handlerRuntime interface {
	Runtime
	// hasHandler reports whether dir holds the file handler names.
	hasHandler(dir, handler string) bool
}

// checkHandlerProtocol accepts only the handler protocol, the one the
// bootstraps speak.
func checkHandlerProtocol(runtime string, cfg lambda.Config) (lambda.Config, error) {
	switch cfg.Protocol {
	case "", lambda.ProtocolHandler:
		cfg.Protocol = lambda.ProtocolHandler
		return cfg, nil
	case lambda.ProtocolHTTP, lambda.ProtocolAWS, lambda.ProtocolStdio:
		return cfg, lambda.Errorf(lambda.EINVALID, "protocol %q does not apply to the %s runtime, which calls your handler: "+
			"remove the protocol setting, or write a Dockerfile to run your own server or command", cfg.Protocol, runtime)
	}
	return cfg, badProtocol(cfg.Protocol)
}
