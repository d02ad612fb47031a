package async

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/lambdahq/lambda"
)

// destination sends j's record to the function target ("" is none) as a
// new asynchronous invocation, and notes in j what became of it. It is
// sent before j's final state is written, so that a crash in between
// repeats it rather than loses it (at least once, as every delivery
// here). A destination that is missing or refuses the record is logged
// and noted: the job's own outcome stands.
func (q *Queue) destination(ctx context.Context, target string, j *lambda.Job, condition string, now time.Time) {
	if target == "" {
		j.Destination = nil
		return
	}
	d := &lambda.DestinationDelivery{Setting: "on_failure", Function: target, Condition: condition}
	if condition == conditionSuccess {
		d.Setting = "on_success"
	}
	j.Destination = d
	if j.Depth >= lambda.MaxDestinationDepth {
		d.Error = fmt.Sprintf("not delivered: this invocation is the %d-th of a chain of destination records (functions sending their records on to each other), and chains stop after %d; check the on_success and on_failure settings of the functions in the chain with `lambda describe`",
			j.Depth, lambda.MaxDestinationDepth)
		q.Logger.Warn("async: destination chain stopped", "function", j.Function, "id", j.ID, "destination", target, "depth", j.Depth)
		return
	}
	payload, truncated, err := encodeRecord(destinationRecord(j, condition, now), lambda.MaxAsyncPayloadBytes)
	if err != nil {
		d.Error = "not delivered: " + err.Error()
		q.Logger.Error("async: encode destination record", "function", j.Function, "id", j.ID, "err", err)
		return
	}
	d.Truncated = truncated
	wctx, cancel := writeContext(ctx)
	defer cancel()
	dest, _, err := q.submit(wctx, &lambda.InvokeRequest{Function: target, Payload: payload, Trigger: lambda.TriggerAsync, Trace: attemptTrace(j)}, j.Depth+1)
	if err != nil {
		d.Error = "not delivered: " + lambda.ErrorMessage(err)
		q.Logger.Warn("async: destination did not take the record", "function", j.Function, "id", j.ID, "destination", target, "condition", condition, "err", err)
		return
	}
	d.ID = dest.ID
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

// encodeRecord encodes r within limit bytes, the size of an asynchronous
// event: an event near the limit, with the record around it, would not
// fit. The larger payload is cut first (to half the limit at most), then
// the other if need be, each into a JSON string of its first bytes and
// flagged in the record.
func encodeRecord(r *lambda.DestinationRecord, limit int) ([]byte, bool, error) {
	b, err := json.Marshal(r)
	if err != nil || len(b) <= limit {
		return b, false, err
	}
	type field struct {
		payload *json.RawMessage
		flag    *bool
	}
	fields := []field{{&r.RequestPayload, &r.RequestPayloadTruncated}, {&r.ResponsePayload, &r.ResponsePayloadTruncated}}
	if len(r.ResponsePayload) > len(r.RequestPayload) {
		fields[0], fields[1] = fields[1], fields[0]
	}
	for i, f := range fields {
		if len(*f.payload) == 0 {
			continue
		}
		*f.flag = true
		budget := len(*f.payload) - (len(b) - limit) - len(`,"responsePayloadTruncated":true`)
		if i == 0 {
			budget = max(budget, limit/2) // both large: each keeps about half
		}
		*f.payload = cutJSON(*f.payload, budget)
		if b, err = json.Marshal(r); err != nil || len(b) <= limit {
			return b, true, err
		}
	}
	return nil, true, fmt.Errorf("the destination record is %d bytes without its payloads, over the %d-byte limit", len(b), limit)
}

// cutJSON returns the longest prefix of p, encoded as a JSON string, that
// takes at most budget bytes. A JSON string of the prefix is used because
// a cut JSON value is not one; escapes make its length hard to predict, so
// the prefix is searched for.
func cutJSON(p []byte, budget int) json.RawMessage {
	enc := func(n int) []byte {
		for n > 0 && n < len(p) && !utf8.RuneStart(p[n]) {
			n--
		}
		b, _ := json.Marshal(string(p[:n]))
		return b
	}
	lo, hi := 0, min(len(p), max(budget, 0))
	for lo < hi {
		mid := (lo + hi + 1) / 2
		if len(enc(mid)) <= budget {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	return enc(lo)
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
