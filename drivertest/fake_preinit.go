package drivertest

import (
	"archive/tar"
	"bytes"
	"context"
	"io"

	"github.com/lambdahq/lambda"
)

var _ lambda.PreinitDriver = (*Fake)(nil)

// StartPreinit starts an instance of image as StartInstance does, listed
// with no function. The fake has no init port: it stands for the
// container's life cycle, not for the shim.
func (f *Fake) StartPreinit(ctx context.Context, ps lambda.PreinitSpec) (*lambda.Instance, error) {
	if err := lambda.ValidateName(ps.Runtime); err != nil {
		return nil, err
	}
	inst, err := f.StartInstance(ctx, lambda.InstanceSpec{Function: ps.Runtime, Image: ps.Image, Port: lambda.PreinitPort, Env: ps.Env})
	if err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if fi := f.instances[inst.ID]; fi != nil {
		fi.inst.Function = ""
	}
	inst.Function = ""
	return inst, nil
}

// UpdateInstance records limits; Limits reads them back.
func (f *Fake) UpdateInstance(ctx context.Context, id string, limits lambda.InstanceLimits) error {
	if err := f.check(ctx); err != nil {
		return err
	}
	if limits.MemoryBytes < 0 || limits.CPUShares < 0 || limits.PidsLimit < 0 {
		return lambda.Errorf(lambda.EINVALID, "instance limits must not be negative")
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	fi := f.instances[id]
	if fi == nil || !f.sees(fi.namespace) || !fi.inst.Running {
		return lambda.Errorf(lambda.ENOTFOUND, "instance %s not found", id)
	}
	if f.limits == nil {
		f.limits = map[string]lambda.InstanceLimits{}
	}
	f.limits[id] = limits
	return nil
}

// Limits returns the limits UpdateInstance last gave id.
func (f *Fake) Limits(id string) (lambda.InstanceLimits, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	l, ok := f.limits[id]
	return l, ok
}

// ImageFiles returns a tar of one file, "image", holding the image's ID:
// fake images have no files.
func (f *Fake) ImageFiles(ctx context.Context, image, dir string) (io.ReadCloser, error) {
	if err := f.check(ctx); err != nil {
		return nil, err
	}
	f.mu.Lock()
	img := f.resolveLocked(image)
	f.mu.Unlock()
	if img == nil {
		return nil, lambda.Errorf(lambda.ENOTFOUND, "image %q not found", image)
	}
	var b bytes.Buffer
	tw := tar.NewWriter(&b)
	_ = tw.WriteHeader(&tar.Header{Name: "image", Mode: 0o644, Size: int64(len(img.ID)), Typeflag: tar.TypeReg})
	_, _ = tw.Write([]byte(img.ID))
	_ = tw.Close()
	return io.NopCloser(&b), nil
}
