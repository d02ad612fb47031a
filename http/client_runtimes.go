package http

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/lambdahq/lambda"
)

// ListRuntimes returns the server's runtimes and whether the images each
// builds on are present.
func (c *Client) ListRuntimes(ctx context.Context) ([]lambda.RuntimeInfo, error) {
	var out RuntimeList
	if err := c.doJSON(ctx, http.MethodGet, apiPath("v1", "runtimes"), nil, &out); err != nil {
		return nil, err
	}
	return out.Runtimes, nil
}

// PrepareRuntimes asks the server to make every runtime's images
// available. onEvent (may be nil) sees the step and log events as they
// arrive; a failure comes back as a *lambda.Error.
func (c *Client) PrepareRuntimes(ctx context.Context, onEvent func(DeployEvent)) error {
	req, err := c.newRequest(ctx, http.MethodPost, apiPath("v1", "runtimes", "prepare"), nil)
	if err != nil {
		return err
	}
	req.Header.Set("Accept", "application/x-ndjson")
	resp, err := c.send(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return responseError(resp)
	}
	return streamError(readPrepareEvents(resp.Body, onEvent), resp.Header)
}

// readPrepareEvents follows the NDJSON event stream to its done or error
// event.
func readPrepareEvents(r io.Reader, onEvent func(DeployEvent)) error {
	dec := json.NewDecoder(r)
	for {
		var ev DeployEvent
		if err := dec.Decode(&ev); err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
				return lambda.Errorf(lambda.EINTERNAL, "the server ended the prepare stream without a result; check the server's log")
			}
			return fmt.Errorf("read prepare events: %w", err)
		}
		switch ev.Type {
		case EventDone:
			return nil
		case EventError:
			if ev.Error == nil {
				return &lambda.Error{Code: lambda.EINTERNAL, Message: "preparing runtimes failed (the server gave no reason)"}
			}
			code := ev.Error.Code
			if code == "" {
				code = lambda.EINTERNAL
			}
			return &lambda.Error{Code: code, Message: ev.Error.Message}
		default:
			if onEvent != nil {
				onEvent(ev)
			}
		}
	}
}
