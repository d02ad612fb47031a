package runtimes

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/lambdahq/lambda"
)

// cliDriver drives the local Docker engine with the docker CLI, for the
// tests that build real images: adapters do not import each other, so
// these tests cannot use the docker package. Builds use the classic
// builder, as the platform does.
type cliDriver struct {
	lambda.Driver
	t *testing.T
}

func (c cliDriver) run(ctx context.Context, stdin io.Reader, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, "docker", args...)
	cmd.Stdin = stdin
	cmd.Env = append(os.Environ(), "DOCKER_BUILDKIT=0")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("docker %s: %v: %s%s", args[0], err, stdout.String(), stderr.String())
	}
	return strings.TrimSpace(stdout.String()), nil
}

func (c cliDriver) Ping(ctx context.Context) error {
	_, err := c.run(ctx, nil, "version")
	return err
}

func (c cliDriver) ImageExists(ctx context.Context, ref string) (bool, error) {
	_, err := c.run(ctx, nil, "image", "inspect", ref)
	return err == nil, nil
}

// PullImage fails: tests never depend on a registry, so base images are
// assembled from Debian packages as on a machine without one.
func (c cliDriver) PullImage(ctx context.Context, ref string, out io.Writer) error {
	return lambda.Errorf(lambda.EUNAVAILABLE, "pulling %s: the tests never pull", ref)
}

func (c cliDriver) BuildImage(ctx context.Context, req lambda.BuildRequest) (string, error) {
	args := []string{"build", "-q", "--rm", "--force-rm"}
	for _, tag := range req.Tags {
		args = append(args, "-t", tag)
	}
	for k, v := range req.Labels {
		args = append(args, "--label", k+"="+v)
	}
	id, err := c.run(ctx, req.Context, append(args, "-")...)
	switch {
	case err == nil:
		return id, nil
	case strings.Contains(err.Error(), "unknown parent image ID"), strings.Contains(err.Error(), "failed to get digest"):
		// A cached layer was pruned under the build (another package's
		// tests remove images meanwhile), as the docker driver reports it.
		return "", lambda.Errorf(lambda.ECONFLICT, "build raced with an image removal: %v", err)
	}
	return "", lambda.Errorf(lambda.EINVALID, "build failed: %v", err)
}

func (c cliDriver) RemoveImage(ctx context.Context, ref string) error {
	c.run(ctx, nil, "rmi", ref)
	return nil
}

func (c cliDriver) InspectImage(ctx context.Context, ref string) (*lambda.Image, error) {
	out, err := c.run(ctx, nil, "image", "inspect", ref)
	if err != nil {
		return nil, lambda.Errorf(lambda.ENOTFOUND, "%v", err)
	}
	var imgs []struct {
		ID       string `json:"Id"`
		RepoTags []string
		Size     int64
		Config   struct {
			Entrypoint, Cmd, Env []string
			Labels               map[string]string
		}
		RootFS struct{ Layers []string }
	}
	if err := json.Unmarshal([]byte(out), &imgs); err != nil || len(imgs) != 1 {
		return nil, fmt.Errorf("inspect %s: %v", ref, err)
	}
	i := imgs[0]
	return &lambda.Image{ID: i.ID, Tags: i.RepoTags, Entrypoint: i.Config.Entrypoint, Cmd: i.Config.Cmd, Env: i.Config.Env, Labels: i.Config.Labels, Size: i.Size}, nil
}

func (c cliDriver) LoadImage(context.Context, io.Reader, io.Writer) ([]string, error) {
	return nil, lambda.Errorf(lambda.ENOTIMPLEMENTED, "not in tests")
}

func (c cliDriver) ListImages(context.Context) ([]*lambda.Image, error) { return nil, nil }

func (c cliDriver) ListImagesByLabel(context.Context, map[string]string) ([]*lambda.Image, error) {
	return nil, nil
}

func (c cliDriver) TagImage(ctx context.Context, source, target string) error {
	_, err := c.run(ctx, nil, "tag", source, target)
	return err
}

func (c cliDriver) DanglingImages(ctx context.Context, labels map[string]string) ([]string, error) {
	args := []string{"images", "-q", "--no-trunc", "--filter", "dangling=true"}
	for k, v := range labels {
		args = append(args, "--filter", "label="+k+"="+v)
	}
	out, err := c.run(ctx, nil, args...)
	return strings.Fields(out), err
}

func (c cliDriver) ImportImage(ctx context.Context, rootfs io.Reader, ref string, changes []string) error {
	args := []string{"import"}
	for _, ch := range changes {
		args = append(args, "--change", ch)
	}
	_, err := c.run(ctx, rootfs, append(args, "-", ref)...)
	return err
}

// layers returns the RootFS layer digests of ref.
func (c cliDriver) layers(ref string) []string {
	c.t.Helper()
	out, err := c.run(context.Background(), nil, "image", "inspect", "--format", "{{json .RootFS.Layers}}", ref)
	if err != nil {
		c.t.Fatal(err)
	}
	var layers []string
	if err := json.Unmarshal([]byte(out), &layers); err != nil {
		c.t.Fatal(err)
	}
	return layers
}

// dockerRegistry is a registry over the local engine, set to assemble the
// base images (no test pulls from a registry: pulls are made to fail).
func dockerRegistry(t *testing.T) (*Registry, cliDriver) {
	t.Helper()
	requireDocker(t)
	d := cliDriver{t: t}
	r := NewRegistry(d)
	r.Images, r.Importer, r.Tagger = d, d, d
	return r, d
}

// testProgress logs prepare's steps and output with their time.
type testProgress struct {
	t     *testing.T
	start time.Time
}

func (p testProgress) Step(n, total int, msg string) {
	p.t.Logf("%6.1fs [%d/%d] %s", time.Since(p.start).Seconds(), n, total, msg)
}

func (p testProgress) Log(text string) {
	for _, line := range strings.Split(strings.TrimRight(text, "\n"), "\n") {
		if len(line) > 300 {
			line = line[:300] + "..."
		}
		p.t.Logf("%6.1fs %s", time.Since(p.start).Seconds(), line)
	}
}
