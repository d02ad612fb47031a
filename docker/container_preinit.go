package docker

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/lambdahq/lambda"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"
)

var _ lambda.PreinitDriver = (*Driver)(nil)

// taskTmpfs is a pre-initialized instance's task root: writable, since
// its code arrives after the start (the root file system stays
// read-only), and exec, since a Go function's code is a binary. Owned by
// the instances' user: Docker copies the image's directory (root's, 0755)
// up into the tmpfs, mode included, so a mode option is overridden.
const taskTmpfs = "size=256m,uid=1000,gid=1000,exec,nosuid,nodev"

// maxImageFiles bounds what ImageFiles reads: a function's code and
// dependencies; past it the function starts the regular way.
const maxImageFiles = 256 << 20

// StartPreinit starts a generic container of spec.Image: the instances'
// hardening, no function label, LabelPreinit, spec.Env for the shim
// (LAMBDA_PREINIT), an empty tmpfs task root.
func (d *Driver) StartPreinit(ctx context.Context, ps lambda.PreinitSpec) (*lambda.Instance, error) {
	if err := lambda.ValidateName(ps.Runtime); err != nil {
		return nil, err
	}
	spec := lambda.InstanceSpec{Function: ps.Runtime, Image: ps.Image, Port: lambda.PreinitPort, Env: ps.Env}
	if err := spec.Validate(); err != nil {
		return nil, err
	}
	b := make([]byte, 3)
	_, _ = rand.Read(b)
	inst, err := d.startRetrying(ctx, spec, func(o *client.ContainerCreateOptions) {
		o.Name = "lambda-preinit-" + ps.Runtime + "-" + hex.EncodeToString(b)
		delete(o.Config.Labels, lambda.LabelFunction)
		delete(o.Config.Labels, lambda.LabelVersion)
		o.Config.Labels[lambda.LabelPreinit] = ps.Runtime
		o.HostConfig.Tmpfs["/var/task"] = taskTmpfs
		if len(ps.Entrypoint) > 0 {
			o.Config.Entrypoint, o.Config.Cmd = ps.Entrypoint, nil
		}
	})
	if err != nil {
		return nil, err
	}
	inst.Function, inst.Version = "", 0
	return inst, nil
}

// UpdateInstance applies limits to a running container.
func (d *Driver) UpdateInstance(ctx context.Context, id string, limits lambda.InstanceLimits) error {
	if id == "" {
		return lambda.Errorf(lambda.EINVALID, "instance ID is empty")
	}
	if limits.MemoryBytes < 0 || limits.CPUShares < 0 || limits.PidsLimit < 0 {
		return lambda.Errorf(lambda.EINVALID, "instance limits must not be negative (memory %d, cpu shares %d, pids %d)", limits.MemoryBytes, limits.CPUShares, limits.PidsLimit)
	}
	memory, shares, pids := limits.MemoryBytes, limits.CPUShares, limits.PidsLimit
	if memory == 0 {
		memory = lambda.DefaultMemoryBytes
	}
	if shares == 0 {
		shares = DefaultCPUShares
	}
	if pids == 0 {
		pids = DefaultPidsLimit
	}
	_, err := d.cli.ContainerUpdate(ctx, id, client.ContainerUpdateOptions{Resources: &container.Resources{
		Memory: memory, MemorySwap: memory, CPUShares: shares, PidsLimit: &pids,
	}})
	switch {
	case cerrdefs.IsNotFound(err):
		return lambda.Errorf(lambda.ENOTFOUND, "instance %s not found", id)
	case err != nil:
		return d.wrap(err, "update the limits of instance %s", id)
	}
	return nil
}

// ImageFiles copies dir out of a created (never started) container of
// image, with names relative to dir; dir may be a file, which the tar
// then holds under its base name.
func (d *Driver) ImageFiles(ctx context.Context, image, dir string) (io.ReadCloser, error) {
	if !path.IsAbs(dir) {
		return nil, lambda.Errorf(lambda.EINVALID, "directory %q is not absolute", dir)
	}
	labels := map[string]string{lambda.LabelManaged: "true"}
	if d.Namespace != "" {
		labels[lambda.LabelServer] = d.Namespace
	}
	b := make([]byte, 3)
	_, _ = rand.Read(b)
	created, err := d.createContainer(ctx, client.ContainerCreateOptions{
		Name:       "lambda-files-" + hex.EncodeToString(b), // createContainer's clean-up finds it by name
		Config:     &container.Config{Image: image, Labels: labels},
		HostConfig: &container.HostConfig{NetworkMode: "none"},
	})
	switch {
	case cerrdefs.IsNotFound(err):
		return nil, lambda.Errorf(lambda.ENOTFOUND, "image %q not found", image)
	case err != nil:
		return nil, d.wrap(err, "create a container to read %s of %s", dir, image)
	}
	defer d.removeQuietly(ctx, created.ID)
	res, err := d.cli.CopyFromContainer(ctx, created.ID, client.CopyFromContainerOptions{SourcePath: dir})
	switch {
	case cerrdefs.IsNotFound(err):
		return nil, lambda.Errorf(lambda.ENOTFOUND, "image %s has no %s", image, dir)
	case err != nil:
		return nil, d.wrap(err, "copy %s out of %s", dir, image)
	}
	defer res.Content.Close()
	var out bytes.Buffer
	if err := rebase(&out, res.Content, path.Base(dir)); err != nil {
		return nil, fmt.Errorf("copy %s out of %s: %w", dir, image, err)
	}
	return io.NopCloser(&out), nil
}

// rebase rewrites Docker's archive of a directory (names start with the
// directory's base name) into one whose names are relative to it.
func rebase(w io.Writer, r io.Reader, base string) error {
	tr, tw := tar.NewReader(r), tar.NewWriter(w)
	var total int64
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return tw.Close()
		}
		if err != nil {
			return err
		}
		name := strings.TrimPrefix(strings.TrimPrefix(h.Name, base), "/")
		if name == "" && h.Typeflag != tar.TypeReg {
			continue
		}
		if name == "" { // a file was asked for
			name = base
		}
		total += h.Size
		if total > maxImageFiles {
			return errors.New("over 256 MB")
		}
		h.Name = name
		if err := tw.WriteHeader(h); err != nil {
			return err
		}
		if _, err := io.Copy(tw, tr); err != nil {
			return err
		}
	}
}
