package docker

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/lambdahq/lambda"
	"github.com/moby/moby/api/pkg/stdcopy"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"
)

// Bare Docker operations: what a client of the Docker API does without the
// platform. `lambda bench` measures the platform against them, so they use
// the instances' hardening and do no more work than they must.

// bareFunction labels the containers of bare operations, so that they are
// the platform's (and its namespace's) for clean-up, yet belong to no
// function.
const bareFunction = "bare"

// Bounds of bare operations.
const (
	bareReadyTimeout = 30 * time.Second
	bareMaxOutput    = lambda.MaxPayloadBytes
)

// ServerVersion returns the Docker engine's version, e.g. "20.10.24".
func (d *Driver) ServerVersion(ctx context.Context) (string, error) {
	v, err := d.cli.ServerVersion(ctx, client.ServerVersionOptions{})
	if err != nil {
		return "", d.wrap(err, "ask Docker for its version")
	}
	return v.Version, nil
}

// ColdStart creates and starts a hardened container of image on the
// platform's network, polls it over HTTP until it first answers 200 on
// port, and removes it. It returns the time from the create call to the
// first 200 — a cold start with nothing but the Docker API.
func (d *Driver) ColdStart(ctx context.Context, image string, port int) (time.Duration, error) {
	spec := lambda.InstanceSpec{Function: bareFunction, Image: image, Port: port}
	if err := spec.Validate(); err != nil {
		return 0, err
	}
	netID, err := d.ensureNetwork(ctx)
	if err != nil {
		return 0, err
	}
	start := time.Now()
	id, err := d.bareServe(ctx, spec, netID)
	if id != "" {
		defer d.removeQuietly(ctx, id)
	}
	if err != nil {
		return 0, err
	}
	return time.Since(start), nil
}

// bareServe creates and starts a container for spec with the instances'
// hardening and polls it until it first answers 200. It returns the
// container's ID whenever one was created, for the caller to remove.
func (d *Driver) bareServe(ctx context.Context, spec lambda.InstanceSpec, netID string) (string, error) {
	image, port := spec.Image, spec.Port
	created, err := d.createContainer(ctx, d.bareOptions(spec, netID))
	if err != nil {
		return "", d.wrap(err, "create a container of %s", image)
	}
	if _, err := d.cli.ContainerStart(ctx, created.ID, client.ContainerStartOptions{}); err != nil {
		return created.ID, d.wrap(err, "start a container of %s", image)
	}
	res, err := d.cli.ContainerInspect(ctx, created.ID, client.ContainerInspectOptions{})
	if err != nil {
		return created.ID, d.wrap(err, "inspect container %s", created.ID)
	}
	ip := endpointIP(res.Container.NetworkSettings, d.network(), netID)
	if st := res.Container.State; st != nil && !st.Running {
		// It may exit before the inspect: Docker then reports no address.
		return created.ID, lambda.Errorf(lambda.EFUNCTION, "the container of %s exited with status %d before it served", image, st.ExitCode)
	}
	if ip == "" {
		return created.ID, lambda.Errorf(lambda.EFUNCTION, "the container of %s has no address on network %s", image, d.network())
	}
	running := func() bool {
		res, err := d.cli.ContainerInspect(ctx, created.ID, client.ContainerInspectOptions{})
		return err == nil && res.Container.State != nil && res.Container.State.Running
	}
	if err := pollOK(ctx, "http://"+net.JoinHostPort(ip, strconv.Itoa(port))+"/", running); err != nil {
		if ctx.Err() != nil {
			return created.ID, ctx.Err()
		}
		logs, _ := d.InstanceLogs(context.WithoutCancel(ctx), created.ID, 20)
		return created.ID, lambda.Errorf(lambda.EFUNCTION, "the container of %s never answered 200: %v; last output:\n%s", image, err, logs)
	}
	return created.ID, nil
}

// pollOK requests url until it answers 200, as fast as the refused
// connections come back, within bareReadyTimeout. Every 100 ms it checks
// that the container still runs: the address of an exited container does
// not refuse connections, it leaves them hanging.
func pollOK(ctx context.Context, url string, running func() bool) error {
	ctx, cancel := context.WithTimeout(ctx, bareReadyTimeout)
	defer cancel()
	tr := &http.Transport{
		DialContext:       (&net.Dialer{Timeout: 100 * time.Millisecond}).DialContext,
		DisableKeepAlives: true,
	}
	defer tr.CloseIdleConnections()
	hc := &http.Client{Transport: tr}
	var last error
	checked := time.Now()
	for {
		if time.Since(checked) > 100*time.Millisecond {
			if !running() {
				return fmt.Errorf("the container exited (last attempt: %v)", last)
			}
			checked = time.Now()
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return err
		}
		resp, err := hc.Do(req)
		if err == nil {
			_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			err = fmt.Errorf("status %s", resp.Status)
		}
		last = err
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w (last attempt: %v)", ctx.Err(), last)
		case <-time.After(time.Millisecond):
		}
	}
}

// RunOnce runs cmd in a new hardened container of image, the classic
// container-per-call model: create with stdin open, attach, start, write
// stdin and close it, read stdout until the command exits, wait, remove.
// It returns stdout; a non-zero exit is EFUNCTION with the end of stderr.
// The container has no network: a command fed by stdin needs none.
func (d *Driver) RunOnce(ctx context.Context, image string, cmd []string, stdin []byte) ([]byte, error) {
	spec := lambda.InstanceSpec{Function: bareFunction, Image: image, Port: lambda.DefaultPort}
	if err := spec.Validate(); err != nil {
		return nil, err
	}
	if len(cmd) == 0 {
		return nil, lambda.Errorf(lambda.EINVALID, "no command to run in %s", image)
	}
	opts := d.bareOptions(spec, "")
	opts.Config.Entrypoint, opts.Config.Cmd = cmd, nil
	opts.Config.OpenStdin, opts.Config.StdinOnce = true, true
	opts.Config.AttachStdin, opts.Config.AttachStdout, opts.Config.AttachStderr = true, true, true
	opts.HostConfig.NetworkMode = container.NetworkMode("none")
	opts.NetworkingConfig = nil

	created, err := d.createContainer(ctx, opts)
	if err != nil {
		return nil, d.wrap(err, "create a container of %s", image)
	}
	defer d.removeQuietly(ctx, created.ID)
	att, err := d.cli.ContainerAttach(ctx, created.ID, client.ContainerAttachOptions{Stream: true, Stdin: true, Stdout: true, Stderr: true})
	if err != nil {
		return nil, d.wrap(err, "attach to container %s", created.ID)
	}
	defer att.Close()
	// The hijacked connection ignores ctx once established.
	stop := context.AfterFunc(ctx, att.Close)
	defer stop()
	wait := d.cli.ContainerWait(ctx, created.ID, client.ContainerWaitOptions{Condition: container.WaitConditionNextExit})
	if _, err := d.cli.ContainerStart(ctx, created.ID, client.ContainerStartOptions{}); err != nil {
		return nil, d.wrap(err, "start a container of %s", image)
	}
	go func() {
		_, _ = att.Conn.Write(stdin)
		_ = att.CloseWrite()
	}()
	var stdout, stderr bytes.Buffer
	if _, err := stdcopy.StdCopy(&stdout, &headBuffer{b: &stderr, max: 4 << 10}, io.LimitReader(att.Reader, bareMaxOutput)); err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, d.wrap(err, "read the output of container %s", created.ID)
	}
	select {
	case res := <-wait.Result:
		if res.StatusCode != 0 {
			return nil, lambda.Errorf(lambda.EFUNCTION, "%s exited with status %d: %s", strings.Join(cmd, " "), res.StatusCode, strings.TrimSpace(stderr.String()))
		}
	case err := <-wait.Error:
		return nil, d.wrap(err, "wait for container %s", created.ID)
	}
	return stdout.Bytes(), nil
}

// bareOptions are the instances' create options for a bare container:
// same hardening, labelled for clean-up. netID "" leaves the network to
// the caller.
func (d *Driver) bareOptions(spec lambda.InstanceSpec, netID string) client.ContainerCreateOptions {
	name := strings.Replace(containerName(spec), "lambda-", "lambda-bench-", 1)
	opts := createOptions(spec, name, netID)
	if d.Namespace != "" {
		opts.Config.Labels[lambda.LabelServer] = d.Namespace
	}
	return opts
}

// headBuffer keeps the first max bytes written to it and drops the rest,
// so an error can quote stderr without holding all of it.
type headBuffer struct {
	b   *bytes.Buffer
	max int
}

func (t *headBuffer) Write(p []byte) (int, error) {
	if room := t.max - t.b.Len(); room > 0 {
		t.b.Write(p[:min(room, len(p))])
	}
	return len(p), nil
}
