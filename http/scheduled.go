package http

import (
	"context"
	"strings"

	"github.com/lambdahq/lambda"
)

// InvokeScheduled runs function with payload for the cron scheduler, as a
// direct invocation (trigger cron) through the Invoker. A status of 400 or
// more is an error carrying the start of the function's answer. It goes
// when ticks go through the async queue.
func (s *Server) InvokeScheduled(ctx context.Context, function string, payload []byte) error {
	s.Handler() // builds the invoker when no listener was opened
	res, err := s.Invoker.Invoke(ctx, &lambda.InvokeRequest{Function: function, Payload: payload, Trigger: lambda.TriggerCron})
	if err != nil {
		return err
	}
	if res.StatusCode >= 400 {
		head := res.Payload[:min(len(res.Payload), 1024)]
		return lambda.Errorf(lambda.EFUNCTION, "function %q answered %d: %s", function, res.StatusCode, strings.TrimSpace(string(head)))
	}
	return nil
}
