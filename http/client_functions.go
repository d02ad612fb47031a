package http

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"

	"github.com/lambdahq/lambda"
)

// Health asks the server how it and its dependencies are. A degraded
// server (503 with a health document) is an answer, not an error: the
// caller reads Status.
func (c *Client) Health(ctx context.Context) (*Health, error) {
	req, err := c.newRequest(ctx, http.MethodGet, "/healthz", nil)
	if err != nil {
		return nil, err
	}
	resp, err := c.send(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusServiceUnavailable {
		return nil, responseError(resp)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	if err != nil {
		return nil, fmt.Errorf("read health answer: %w", err)
	}
	var h Health
	if err := json.Unmarshal(body, &h); err != nil || h.Status == "" {
		if e := parseErrorBody(body); e != nil {
			return nil, e
		}
		return nil, lambda.Errorf(codeFromStatus(resp.StatusCode), "server answered %s without a health document", resp.Status)
	}
	return &h, nil
}

// ListFunctions lists every function.
func (c *Client) ListFunctions(ctx context.Context) ([]FunctionSummary, error) {
	var out FunctionList
	if err := c.doJSON(ctx, http.MethodGet, apiPath("v1", "functions"), nil, &out); err != nil {
		return nil, err
	}
	return out.Functions, nil
}

// GetFunction describes one function.
func (c *Client) GetFunction(ctx context.Context, name string) (*FunctionDetail, error) {
	var out FunctionDetail
	if err := c.doJSON(ctx, http.MethodGet, apiPath("v1", "functions", name), nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// DeleteFunction removes a function with its versions and schedules.
func (c *Client) DeleteFunction(ctx context.Context, name string) error {
	return c.doJSON(ctx, http.MethodDelete, apiPath("v1", "functions", name), nil, nil)
}

// ListVersions lists a function's versions, oldest first.
func (c *Client) ListVersions(ctx context.Context, name string) ([]VersionInfo, error) {
	var out VersionList
	if err := c.doJSON(ctx, http.MethodGet, apiPath("v1", "functions", name, "versions"), nil, &out); err != nil {
		return nil, err
	}
	return out.Versions, nil
}

// Rollback makes version active again; 0 means the one before the active one.
func (c *Client) Rollback(ctx context.Context, name string, version int) (*FunctionDetail, error) {
	var out FunctionDetail
	var in RollbackRequest // {}: the version before the active one
	if version != 0 {
		in.Version = &version
	}
	if err := c.doJSON(ctx, http.MethodPost, apiPath("v1", "functions", name, "rollback"), in, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// UpdateScaling changes name's scaling settings; nil fields stay as they are.
func (c *Client) UpdateScaling(ctx context.Context, name string, patch lambda.ScalingPatch) (*FunctionDetail, error) {
	var out FunctionDetail
	if err := c.doJSON(ctx, http.MethodPatch, apiPath("v1", "functions", name, "scaling"), patch, &out); err != nil {
		return nil, err
	}
	return &out, nil
}
