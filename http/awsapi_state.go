package http

import (
	"context"
	"sync"
	"time"

	"github.com/lambdahq/lambda"
)

// Lambda's function states and update statuses.
const (
	awsPending    = "Pending"
	awsActive     = "Active"
	awsFailed     = "Failed"
	awsInProgress = "InProgress"
	awsSuccessful = "Successful"
)

// awsDeployTimeout bounds one deploy the Lambda API started: a build and
// warm-up that take longer are abandoned, and the function's state says
// so.
const awsDeployTimeout = 15 * time.Minute

// awsState runs the deploys the Lambda API starts and remembers how the
// last one of each function went. Lambda answers CreateFunction and the
// updates at once and builds in the background (State Pending,
// LastUpdateStatus InProgress), which `aws lambda wait function-active-v2`
// and `function-updated-v2` poll for. What it holds is in memory: after a
// restart every stored function is Active and Successful, and a creation
// that failed is forgotten (the platform records nothing of it).
type awsState struct {
	mu      sync.Mutex
	updates map[string]*awsUpdate
	ctx     context.Context
	cancel  context.CancelFunc
	wg      sync.WaitGroup
}

// awsUpdate is the last deploy of one function started by the Lambda API.
type awsUpdate struct {
	running bool
	// creating: the function did not exist when it started; pending is
	// then what GetFunction shows until it exists (State Pending, or
	// Failed with the reason).
	creating bool
	pending  *awsFunctionConfiguration
	err      error // how it failed; nil while running or once done well
}

func newAWSState() *awsState {
	ctx, cancel := context.WithCancel(context.Background())
	return &awsState{updates: map[string]*awsUpdate{}, ctx: ctx, cancel: cancel}
}

// start runs deploy in the background unless a deploy of name is already
// running (ResourceConflictException, as Lambda answers an update during
// an update). pending, for a creation, is what the function looks like
// until it exists.
func (a *awsState) start(name string, pending *awsFunctionConfiguration, deploy func(ctx context.Context) error) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if u := a.updates[name]; u != nil && u.running {
		return awsErrorf(lambdaOutcomes[lambda.ECONFLICT], "The operation cannot be performed at this time. An update is in progress for resource: %s", pending.FunctionArn)
	}
	if a.ctx.Err() != nil {
		return lambda.Errorf(lambda.EUNAVAILABLE, "the server is shutting down")
	}
	u := &awsUpdate{running: true, creating: pending.State == awsPending, pending: pending}
	a.updates[name] = u
	a.wg.Add(1)
	go func() {
		defer a.wg.Done()
		ctx, cancel := context.WithTimeout(a.ctx, awsDeployTimeout)
		err := deploy(ctx)
		cancel()
		a.mu.Lock()
		u.running, u.err = false, err
		if err == nil {
			u.creating, u.pending = false, nil
		}
		a.mu.Unlock()
	}()
	return nil
}

// status returns the last deploy of name (nil: none since the server
// started), as a copy.
func (a *awsState) status(name string) *awsUpdate {
	a.mu.Lock()
	defer a.mu.Unlock()
	u := a.updates[name]
	if u == nil {
		return nil
	}
	c := *u
	return &c
}

// creating lists the functions being created, or whose creation failed,
// for ListFunctions.
func (a *awsState) creating() []awsFunctionConfiguration {
	a.mu.Lock()
	defer a.mu.Unlock()
	var out []awsFunctionConfiguration
	for _, u := range a.updates {
		if u.creating && u.pending != nil {
			out = append(out, *u.pending)
		}
	}
	return out
}

// forget drops what is known of name, once deleted; a running deploy
// refuses the deletion instead (ResourceConflictException).
func (a *awsState) forget(name string) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if u := a.updates[name]; u != nil && u.running {
		return awsErrorf(lambdaOutcomes[lambda.ECONFLICT], "The operation cannot be performed at this time. An update is in progress for function %s: wait for it (aws lambda wait function-updated-v2)", name)
	}
	delete(a.updates, name)
	return nil
}

// close cancels the running deploys and waits for them until ctx ends.
func (a *awsState) close(ctx context.Context) error {
	a.cancel()
	done := make(chan struct{})
	go func() { a.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// apply sets State and LastUpdateStatus of c from the last deploy of its
// function.
func (u *awsUpdate) apply(c *awsFunctionConfiguration) {
	c.State, c.LastUpdateStatus = awsActive, awsSuccessful
	if u == nil {
		return
	}
	switch {
	case u.running:
		c.LastUpdateStatus = awsInProgress
		if u.creating {
			c.State, c.StateReason, c.StateReasonCode = awsPending, "The function is being created.", "Creating"
		}
	case u.err != nil:
		reason, code := lambda.ErrorMessage(u.err), reasonCode(u.err)
		c.LastUpdateStatus, c.LastUpdateStatusReason, c.LastUpdateStatusReasonCode = awsFailed, reason, code
		if u.creating {
			c.State, c.StateReason, c.StateReasonCode = awsFailed, reason, code
		}
	}
}

// reasonCode is Lambda's StateReasonCode for a failed deploy: the code's
// fault or the platform's.
func reasonCode(err error) string {
	switch lambda.ErrorCode(err) {
	case lambda.EINVALID, lambda.ETOOLARGE, lambda.EFUNCTION, lambda.ETIMEOUT:
		return "InvalidCode"
	}
	return "InternalError"
}
