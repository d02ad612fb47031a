package http

import (
	"context"
	"net/http"
	"net/url"

	"github.com/lambdahq/lambda"
)

// Stats returns a function's history over window (1h, 24h or 7d; "" is
// the server's default, 1h).
func (c *Client) Stats(ctx context.Context, name, window string) (*lambda.FunctionStats, error) {
	p := apiPath("v1", "functions", name, "stats")
	if window != "" {
		p += "?" + url.Values{"window": {window}}.Encode()
	}
	var out lambda.FunctionStats
	if err := c.doJSON(ctx, http.MethodGet, p, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}
