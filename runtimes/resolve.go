package runtimes

import (
	"context"
	"io"

	"github.com/lambdahq/lambda"
)

// BuildContext detects the runtime of dir (cfg.Runtime "" = auto),
// resolves cfg's Runtime, Protocol and Handler, and returns a tar stream
// with a Dockerfile at its root. It implements engine.Builder.
func (r *Registry) BuildContext(ctx context.Context, dir string, cfg lambda.Config, out io.Writer) (lambda.Config, io.ReadCloser, error) {
	if out == nil {
		out = io.Discard
	}
	rt, cfg, err := r.Resolve(dir, cfg)
	if err != nil {
		return cfg, nil, err
	}
	rc, err := rt.Context(ctx, dir, cfg, out)
	if err != nil {
		return cfg, nil, err
	}
	return cfg, rc, nil
}

// Resolve picks the runtime of dir for cfg and returns cfg with Runtime,
// Protocol and Handler decided:
//   - cfg.Runtime set: that runtime, whose files must be there;
//   - else cfg.Handler set: the handler runtime with the file it names;
//   - else the first runtime whose files are there (see Detect).
//
// Protocol and Handler keep the user's values when the runtime supports
// them, and get the runtime's defaults when empty.
func (r *Registry) Resolve(dir string, cfg lambda.Config) (Runtime, lambda.Config, error) {
	var rt Runtime
	var err error
	switch {
	case cfg.Runtime != "":
		if rt, err = r.byName(cfg.Runtime); err != nil {
			return nil, cfg, err
		}
		// A handler runtime checks the file its handler names itself, with
		// a message naming it.
		if _, ok := rt.(handlerRuntime); !ok {
			rt, err = r.Detect(dir, cfg.Runtime)
		}
	case cfg.Handler != "":
		for _, cand := range r.runtimes {
			if h, ok := cand.(handlerRuntime); ok && h.hasHandler(dir, cfg.Handler) {
				rt = cand
				break
			}
		}
		if rt == nil {
			if rt, err = r.Detect(dir, ""); err != nil {
				return nil, cfg, handlerMissing(cfg.Handler)
			}
		}
	default:
		rt, err = r.Detect(dir, "")
	}
	if err != nil {
		return nil, cfg, err
	}
	cfg.Runtime = rt.Name()
	cfg, err = rt.Resolve(dir, cfg)
	if err != nil {
		return nil, cfg, err
	}
	return rt, cfg, nil
}

// handlerMissing says which files a handler could name.
func handlerMissing(handler string) error {
	var looked []string
	if f, err := pythonHandlerFile(handler); err == nil {
		looked = append(looked, f+" (python)")
	}
	if fs, err := nodeHandlerFiles(handler); err == nil {
		looked = append(looked, orList(fs)+" (node)")
	}
	if len(looked) == 0 {
		return badHandler(handler, "handler.handler (Python) or index.handler (Node)")
	}
	return lambda.Errorf(lambda.EINVALID, "no file for the handler %q in the function directory: looked for %s", handler, orList(looked))
}
