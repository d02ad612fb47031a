package async

import (
	"context"
	"encoding/json"
	"strconv"
	"time"

	"github.com/lambdahq/lambda"
)

// destination sends j's record to the function target ("" is none) as a
// new asynchronous invocation. It is sent before j's final state is
// written, so that a crash in between repeats it rather than loses it (at
// least once, as every delivery here). A destination that is missing or
// refuses the record is logged: the job's own outcome stands.
func (q *Queue) destination(ctx context.Context, target string, j *lambda.Job, condition string, now time.Time) {
	if target == "" {
		return
	}
	payload, err := json.Marshal(destinationRecord(j, condition, now))
	if err != nil {
		q.Logger.Error("async: encode destination record", "function", j.Function, "id", j.ID, "err", err)
		return
	}
	wctx, cancel := writeContext(ctx)
	defer cancel()
	dest, _, err := q.submit(wctx, &lambda.InvokeRequest{Function: target, Payload: payload, Trigger: lambda.TriggerAsync})
	if err != nil {
		q.Logger.Warn("async: destination did not take the record", "function", j.Function, "id", j.ID, "destination", target, "condition", condition, "err", err)
		return
	}
	q.Logger.Debug("async: record sent to destination", "function", j.Function, "id", j.ID, "destination", target, "destination_id", dest.ID)
}

// destinationRecord is the event a destination receives about j, shaped
// as Lambda's.
func destinationRecord(j *lambda.Job, condition string, now time.Time) *lambda.DestinationRecord {
	r := &lambda.DestinationRecord{
		Version:   "1.0",
		Timestamp: now.UTC(),
		RequestContext: lambda.DestinationRequest{
			RequestID:              j.ID,
			FunctionArn:            lambda.FunctionARN(j.Function),
			Condition:              condition,
			ApproximateInvokeCount: j.Attempts,
		},
		RequestPayload: asJSON(j.Payload),
		ResponseContext: lambda.DestinationResponse{
			StatusCode:    j.HTTPStatus,
			FunctionError: j.FunctionError,
		},
	}
	if j.Version > 0 {
		r.ResponseContext.ExecutedVersion = strconv.Itoa(j.Version)
	}
	if len(j.Response) > 0 {
		r.ResponsePayload = asJSON(j.Response)
	}
	return r
}

// asJSON returns b when it is one JSON value, else b as a JSON string (a
// plain-text answer, or one cut at MaxStoredResponseBytes).
func asJSON(b []byte) json.RawMessage {
	if len(b) == 0 {
		return json.RawMessage("{}")
	}
	if json.Valid(b) {
		return b
	}
	s, _ := json.Marshal(string(b))
	return s
}
