package runtimes

import "github.com/lambdahq/lambda"

// ResolveConfig returns cfg with Runtime, Protocol and Handler decided for
// the code in dir, exactly as BuildContext decides them, without building:
// the engine compares it with the active version's to skip a deploy that
// changes nothing. It implements engine.ConfigResolver.
func (r *Registry) ResolveConfig(dir string, cfg lambda.Config) (lambda.Config, error) {
	_, cfg, err := r.Resolve(dir, cfg)
	return cfg, err
}
