package http

import (
	"context"

	"github.com/lambdahq/lambda"
)

// findFunction is Store.FindFunction that also finds the functions
// external containers serve (runtime external, no version), so that
// describe, logs and invocations treat them as functions. A deployed
// function of the name wins.
func (s *Server) findFunction(ctx context.Context, name string) (*lambda.Function, error) {
	fn, err := s.Store.FindFunction(ctx, name)
	if lambda.ErrorCode(err) != lambda.ENOTFOUND || s.External == nil {
		return fn, err
	}
	ext, xerr := s.External.ExternalFunction(ctx, name)
	if xerr != nil || ext.Shadowed {
		return nil, err
	}
	return ext.AsFunction(), nil
}

// externalSummaries are the list entries of the functions external
// containers serve, but for those a deployed function shadows.
func (s *Server) externalSummaries(ctx context.Context, deployed map[string]bool) []FunctionSummary {
	if s.External == nil {
		return nil
	}
	fns, err := s.External.ExternalFunctions(ctx)
	if err != nil {
		s.Logger.Warn("cannot list the functions of external containers", "err", err)
		return nil
	}
	var out []FunctionSummary
	for _, f := range fns {
		if deployed[f.Name] || !allowed(ctx, lambda.ScopeRead, f.Name) {
			continue
		}
		out = append(out, FunctionSummary{Name: f.Name, Version: lambda.ExternalVersion, Runtime: lambda.RuntimeExternal, Status: StatusReady, URL: s.FunctionURL(f.Name)})
	}
	return out
}

// externalInstances are the replicas of an external function.
func (s *Server) externalInstances(ctx context.Context, name string) []*lambda.Instance {
	if s.External == nil {
		return []*lambda.Instance{}
	}
	f, err := s.External.ExternalFunction(ctx, name)
	if err != nil {
		return []*lambda.Instance{}
	}
	return f.Replicas
}
