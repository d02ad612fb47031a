// Package registry implements lambda.ImageRegistry with the HTTP API of
// the distribution registry (the OCI distribution specification), which
// any registry the nodes pull from speaks.
package registry

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/distribution/reference"
	"github.com/lambdahq/lambda"
)

var _ lambda.ImageRegistry = (*Client)(nil)

// Client deletes images from registries. It sends no credentials: a
// registry that wants some refuses (EUNAUTHORIZED) and its images are
// deleted there by hand.
type Client struct {
	// HTTP sends the requests; nil: a client with a 30 s timeout.
	HTTP *http.Client
}

// New returns a Client.
func New() *Client { return &Client{HTTP: defaultClient} }

var defaultClient = &http.Client{Timeout: 30 * time.Second}

// DeleteImage sends DELETE /v2/NAME/manifests/DIGEST to ref's registry,
// over HTTPS, or over plain HTTP when the registry answers HTTPS with
// HTTP: the registries nodes trust as insecure-registries do, and the
// Docker engine that pushed to them spoke HTTP as well.
func (c *Client) DeleteImage(ctx context.Context, ref string) error {
	named, err := reference.ParseNormalizedNamed(ref)
	if err != nil {
		return lambda.Errorf(lambda.EINVALID, "image reference %q is invalid: %v", ref, err)
	}
	canonical, ok := named.(reference.Canonical)
	if !ok {
		return lambda.Errorf(lambda.EINVALID, "image reference %q has no digest: the registry deletes manifests by digest", ref)
	}
	host := reference.Domain(named)
	path := fmt.Sprintf("/v2/%s/manifests/%s", reference.Path(named), canonical.Digest())
	resp, err := c.send(ctx, "https://"+host+path)
	if errors.Is(err, http.ErrSchemeMismatch) {
		resp, err = c.send(ctx, "http://"+host+path)
	}
	if err != nil {
		return lambda.Errorf(lambda.EUNAVAILABLE, "delete %s from registry %s: %v", ref, host, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1024))
	switch resp.StatusCode {
	case http.StatusAccepted, http.StatusOK, http.StatusNoContent, http.StatusNotFound:
		return nil // 404: gone already, which is what was asked
	case http.StatusMethodNotAllowed:
		return lambda.Errorf(lambda.ENOTIMPLEMENTED, "registry %s allows no deletes, so %s stays there: run it with deletes enabled (distribution: storage.delete.enabled: true, or REGISTRY_STORAGE_DELETE_ENABLED=true)", host, ref)
	case http.StatusUnauthorized, http.StatusForbidden:
		return lambda.Errorf(lambda.EUNAUTHORIZED, "registry %s wants credentials to delete %s, and the server sends none: delete it there", host, ref)
	}
	return lambda.Errorf(lambda.EUNAVAILABLE, "delete %s from registry %s: %s %s", ref, host, resp.Status, body)
}

func (c *Client) send(ctx context.Context, url string) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodDelete, url, nil)
	if err != nil {
		return nil, err
	}
	h := c.HTTP
	if h == nil {
		h = defaultClient
	}
	return h.Do(req)
}
