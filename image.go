package lambda

import (
	"context"
	"io"
	"time"
)

// Image describes an image on the container engine's host.
type Image struct {
	ID         string            `json:"id"`
	Tags       []string          `json:"tags"`
	Entrypoint []string          `json:"entrypoint,omitempty"`
	Cmd        []string          `json:"cmd,omitempty"`
	Env        []string          `json:"env,omitempty"`
	WorkingDir string            `json:"working_dir,omitempty"`
	User       string            `json:"user,omitempty"`
	Ports      []int             `json:"ports,omitempty"` // exposed TCP ports
	Labels     map[string]string `json:"labels,omitempty"`
	// OnBuild holds the image's ONBUILD triggers, run by the build of an
	// image FROM it.
	OnBuild   []string  `json:"on_build,omitempty"`
	Size      int64     `json:"size"`
	CreatedAt time.Time `json:"created_at"`
}

// ImageDriver is what deploying prebuilt images needs from the container
// engine, beside Driver. The docker package implements both.
type ImageDriver interface {
	// InspectImage describes ref; ENOTFOUND when it is not on the host.
	InspectImage(ctx context.Context, ref string) (*Image, error)
	// LoadImage loads a `docker save` tarball (untrusted) and returns the
	// tags or IDs of the images it held. A corrupt archive or one holding
	// no image is EINVALID.
	LoadImage(ctx context.Context, archive io.Reader, out io.Writer) ([]string, error)
	// ListImages lists the images on the host that could be deployed
	// (tagged, not the platform's own function images).
	ListImages(ctx context.Context) ([]*Image, error)
	// ListImagesByLabel lists the images, tagged or dangling, that carry
	// every label of labels and, when the driver has a namespace, that
	// namespace's LabelServer: the server's own images, to clean up. It
	// lists top-level images only, not the layers below them.
	ListImagesByLabel(ctx context.Context, labels map[string]string) ([]*Image, error)
}
