package http

import (
	"context"
	"net/http"
	"net/url"
	"time"

	"github.com/lambdahq/lambda"
)

// CreateKey asks the server for a new API key; the answer holds its secret,
// which the server never shows again.
func (c *Client) CreateKey(ctx context.Context, req KeyRequest) (*CreatedKey, error) {
	var out CreatedKey
	if err := c.doJSON(ctx, http.MethodPost, apiPath("v1", "keys"), req, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// ListKeys lists the server's API keys, without secrets.
func (c *Client) ListKeys(ctx context.Context) ([]*lambda.Key, error) {
	var out KeyList
	if err := c.doJSON(ctx, http.MethodGet, apiPath("v1", "keys"), nil, &out); err != nil {
		return nil, err
	}
	return out.Keys, nil
}

// RevokeKey revokes the key id and returns it as revoked.
func (c *Client) RevokeKey(ctx context.Context, id string) (*lambda.Key, error) {
	var out lambda.Key
	if err := c.doJSON(ctx, http.MethodDelete, apiPath("v1", "keys", id), nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Whoami returns the key the client authenticates with.
func (c *Client) Whoami(ctx context.Context) (*lambda.Key, error) {
	var out lambda.Key
	if err := c.doJSON(ctx, http.MethodGet, apiPath("v1", "whoami"), nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// ListAudit returns the audit log from since on (all of it when zero),
// oldest first.
func (c *Client) ListAudit(ctx context.Context, since time.Time) ([]*lambda.AuditEntry, error) {
	p := apiPath("v1", "audit")
	if !since.IsZero() {
		p += "?" + url.Values{"since": {since.UTC().Format(time.RFC3339Nano)}}.Encode()
	}
	var out AuditList
	if err := c.doJSON(ctx, http.MethodGet, p, nil, &out); err != nil {
		return nil, err
	}
	return out.Entries, nil
}
