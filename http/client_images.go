package http

import (
	"context"
	"net/http"

	"github.com/lambdahq/lambda"
)

// ListImages lists the images on the server's host that functions can be
// deployed from with DeployImage.
func (c *Client) ListImages(ctx context.Context) ([]*lambda.Image, error) {
	var out ImageList
	if err := c.doJSON(ctx, http.MethodGet, apiPath("v1", "images"), nil, &out); err != nil {
		return nil, err
	}
	return out.Images, nil
}
