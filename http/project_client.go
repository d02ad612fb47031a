package http

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"

	"github.com/lambdahq/lambda"
)

// DeployProject uploads code (a tar.gz of a project's tree) and deploys
// the project its lambda.yaml declares: all its functions (req.Only: some)
// switch, or none. onEvent (may be nil) sees the step and log events.
func (c *Client) DeployProject(ctx context.Context, project string, req ProjectDeployRequest, code io.Reader, onEvent func(DeployEvent)) (*ProjectDeployResult, error) {
	resp, err := c.postDeploy(ctx, apiPath("v1", "projects", project, "deploy"), req, PartCode, code)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	res, err := readProjectEvents(resp.Body, onEvent)
	return res, streamError(err, resp.Header)
}

// readProjectEvents follows a project deploy's NDJSON stream to its done
// or error event.
func readProjectEvents(r io.Reader, onEvent func(DeployEvent)) (*ProjectDeployResult, error) {
	dec := json.NewDecoder(r)
	for {
		var ev DeployEvent
		if err := dec.Decode(&ev); err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
				return nil, lambda.Errorf(lambda.EINTERNAL, "the server ended the deploy stream without a result; check the server's log, then run \"lambda list --project\" to see which versions serve")
			}
			return nil, fmt.Errorf("read deploy events: %w", err)
		}
		switch ev.Type {
		case EventDone:
			if ev.Project == nil {
				return nil, lambda.Errorf(lambda.EINTERNAL, "the server reported a finished project deploy without its functions")
			}
			return ev.Project, nil
		case EventError:
			if ev.Error == nil {
				return nil, &lambda.Error{Code: lambda.EINTERNAL, Message: "deploy failed (the server gave no reason)"}
			}
			code := ev.Error.Code
			if code == "" {
				code = lambda.EINTERNAL
			}
			return nil, &lambda.Error{Code: code, Message: ev.Error.Message}
		default:
			if onEvent != nil {
				onEvent(ev)
			}
		}
	}
}

// ListProjectFunctions lists the functions of project.
func (c *Client) ListProjectFunctions(ctx context.Context, project string) ([]FunctionSummary, error) {
	var out FunctionList
	path := apiPath("v1", "functions") + "?" + url.Values{"project": {project}}.Encode()
	if err := c.doJSON(ctx, http.MethodGet, path, nil, &out); err != nil {
		return nil, err
	}
	return out.Functions, nil
}
