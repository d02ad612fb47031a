package http

import (
	"context"
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
	ev, err := followDeployEvents(r, onEvent, `"lambda list --project" to see which versions serve`)
	if err != nil {
		return nil, err
	}
	if ev.Project == nil {
		return nil, lambda.Errorf(lambda.EINTERNAL, "the server reported a finished project deploy without its functions")
	}
	return ev.Project, nil
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
