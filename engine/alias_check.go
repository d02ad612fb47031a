package engine

import (
	"context"

	"github.com/lambdahq/lambda"
)

// CheckQualifier implements lambda.QualifierChecker with what Acquire
// would route to, without creating a pool or starting anything: live,
// an alias in the routing table, the version of a pool, or a stored
// version whose image is kept.
func (e *Engine) CheckQualifier(ctx context.Context, function, qualifier string) error {
	st, err := e.state(ctx, function)
	if err != nil {
		return err
	}
	q, err := lambda.ParseQualifier(qualifier)
	if err != nil || q == (lambda.Qualifier{}) {
		return err
	}
	if q.Alias != "" {
		_, err := st.aliasPool(q.Alias)
		return err
	}
	st.mu.Lock()
	p := st.poolLocked(q.Version)
	st.mu.Unlock()
	if p != nil {
		return nil
	}
	v, err := e.Store.FindVersion(ctx, function, q.Version)
	if lambda.ErrorCode(err) == lambda.ENOTFOUND {
		return lambda.Errorf(lambda.ENOTFOUND, "function %q has no version %d: see \"lambda versions %s\"", function, q.Version, function)
	}
	if err != nil {
		return err
	}
	return checkNotPruned(v)
}
