package http

import (
	"context"
	"net/http"

	"github.com/lambdahq/lambda"
)

// CreateHook registers a push-to-deploy webhook.
func (c *Client) CreateHook(ctx context.Context, req HookRequest) (*HookCreated, error) {
	var out HookCreated
	if err := c.doJSON(ctx, http.MethodPost, apiPath("v1", "hooks"), req, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// ListHooks lists the webhooks with their last deliveries.
func (c *Client) ListHooks(ctx context.Context) ([]*lambda.Hook, error) {
	var out HookList
	if err := c.doJSON(ctx, http.MethodGet, apiPath("v1", "hooks"), nil, &out); err != nil {
		return nil, err
	}
	return out.Hooks, nil
}

// DeleteHook removes a webhook by ID.
func (c *Client) DeleteHook(ctx context.Context, id string) error {
	return c.doJSON(ctx, http.MethodDelete, apiPath("v1", "hooks", id), nil, nil)
}
