package sdk

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"
)

// envelope is what the shim started with --protocol handler passes to
// GET /runtime/invocation/next (docs/runtime-contract.md).
type envelope struct {
	Event   json.RawMessage `json:"event"`
	Context struct {
		FunctionName    string   `json:"function_name"`
		FunctionVersion string   `json:"function_version"`
		InvocationID    string   `json:"invocation_id"`
		DeadlineMS      int64    `json:"deadline_ms"`
		MemoryLimitMB   int      `json:"memory_limit_mb"`
		Request         *Request `json:"request"`
	} `json:"context"`
}

// errNotEnvelope explains the usual cause: the function was deployed with
// the aws protocol, which passes bare events.
var errNotEnvelope = errors.New(`the Runtime API sent an event that is not a handler envelope ({"event": …, "context": …}): ` +
	"Go SDK functions run with the handler protocol; do not deploy them with --protocol aws")

// decodeEnvelope parses the body of an invocation. The event defaults to
// {} so that handlers always get a JSON value.
func decodeEnvelope(body []byte) (*envelope, error) {
	var probe map[string]json.RawMessage
	if err := json.Unmarshal(body, &probe); err != nil {
		return nil, errNotEnvelope
	}
	if _, ok := probe["context"]; !ok {
		return nil, errNotEnvelope
	}
	if _, ok := probe["event"]; !ok {
		return nil, errNotEnvelope
	}
	var env envelope
	if err := json.Unmarshal(body, &env); err != nil {
		return nil, fmt.Errorf("the handler envelope is malformed: %w", err)
	}
	if ev := bytes.TrimSpace(env.Event); len(ev) == 0 || bytes.Equal(ev, []byte("null")) {
		env.Event = json.RawMessage("{}")
	}
	return &env, nil
}

// invocationContext merges the envelope with what the Runtime API headers
// and the environment say, preferring the envelope.
func invocationContext(env *envelope, inv *invocation, getenv func(string) string) *Context {
	ec := env.Context
	c := &Context{
		FunctionName:    ec.FunctionName,
		FunctionVersion: ec.FunctionVersion,
		InvocationID:    ec.InvocationID,
		MemoryLimitMB:   ec.MemoryLimitMB,
		Request:         ec.Request,
	}
	if c.FunctionName == "" {
		c.FunctionName = getenv("AWS_LAMBDA_FUNCTION_NAME")
	}
	if c.FunctionVersion == "" {
		c.FunctionVersion = getenv("AWS_LAMBDA_FUNCTION_VERSION")
	}
	if c.InvocationID == "" {
		c.InvocationID = inv.id
	}
	if c.MemoryLimitMB == 0 {
		c.MemoryLimitMB, _ = strconv.Atoi(getenv("AWS_LAMBDA_FUNCTION_MEMORY_SIZE"))
	}
	if inv.clientContext != "" && json.Valid([]byte(inv.clientContext)) {
		c.ClientContext = json.RawMessage(inv.clientContext)
	}
	ms := ec.DeadlineMS
	if ms == 0 {
		ms = inv.deadlineMS
	}
	if ms > 0 {
		c.Deadline = time.UnixMilli(ms)
	}
	return c
}
