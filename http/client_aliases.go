package http

import (
	"context"
	"net/http"

	"github.com/lambdahq/lambda"
)

// ListAliases returns function's aliases, live first.
func (c *Client) ListAliases(ctx context.Context, function string) ([]*lambda.Alias, error) {
	var out []*lambda.Alias
	if err := c.doJSON(ctx, http.MethodGet, apiPath("v1", "functions", function, "aliases"), nil, &out); err != nil {
		return nil, err
	}
	return out, nil
}

// GetAlias returns one alias of function.
func (c *Client) GetAlias(ctx context.Context, function, name string) (*lambda.Alias, error) {
	var out lambda.Alias
	if err := c.doJSON(ctx, http.MethodGet, apiPath("v1", "functions", function, "aliases", name), nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// SetAlias creates or replaces a (a.Function and a.Name name it) and
// returns it as stored.
func (c *Client) SetAlias(ctx context.Context, a *lambda.Alias) (*lambda.Alias, error) {
	in := AliasRequest{Version: a.Version, AdditionalVersion: a.AdditionalVersion, Weight: a.Weight, Description: a.Description}
	var out lambda.Alias
	if err := c.doJSON(ctx, http.MethodPut, apiPath("v1", "functions", a.Function, "aliases", a.Name), in, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// DeleteAlias removes an alias of function.
func (c *Client) DeleteAlias(ctx context.Context, function, name string) error {
	return c.doJSON(ctx, http.MethodDelete, apiPath("v1", "functions", function, "aliases", name), nil, nil)
}

// Promote sends all of live's traffic to its canary version.
func (c *Client) Promote(ctx context.Context, function string) (*FunctionDetail, error) {
	var out FunctionDetail
	if err := c.doJSON(ctx, http.MethodPost, apiPath("v1", "functions", function, "promote"), struct{}{}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}
