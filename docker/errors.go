package docker

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"syscall"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/lambdahq/lambda"
	"github.com/moby/moby/client"
)

// isUnreachable reports whether err means the daemon could not be reached
// (or went away mid-call), as opposed to the daemon refusing the request.
func isUnreachable(err error) bool {
	if err == nil {
		return false
	}
	return client.IsErrConnectionFailed(err) ||
		errors.Is(err, syscall.ECONNREFUSED) ||
		errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, syscall.EPIPE) ||
		errors.Is(err, io.ErrUnexpectedEOF)
}

// unreachable is the error every method returns while the daemon is down.
func (d *Driver) unreachable(err error) error {
	return lambda.Errorf(lambda.EUNAVAILABLE, "Docker is unreachable at %s: %s; start Docker or set DOCKER_HOST", d.Host(), connectCause(err))
}

// connectCause extracts the part of a connection error a user can act on;
// the client's own messages repeat the host and hide the syscall error.
func connectCause(err error) string {
	var op *net.OpError
	switch {
	case errors.As(err, &op) && op.Err != nil:
		return op.Err.Error()
	case errors.Is(err, os.ErrPermission):
		return "permission denied (is your user in the docker group?)"
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE):
		return "the connection broke (did the daemon stop?)"
	case strings.Contains(err.Error(), "Cannot connect to the Docker daemon"):
		return "no daemon answered"
	}
	return err.Error()
}

// daemonMessage strips the client's "Error response from daemon: " prefix.
func daemonMessage(err error) string {
	return strings.TrimPrefix(err.Error(), "Error response from daemon: ")
}

// wrap maps an SDK error to the domain: unreachable daemon → EUNAVAILABLE,
// and the daemon's not-found, conflict and bad-request answers to the
// matching codes. Anything else stays an internal error with its cause.
func (d *Driver) wrap(err error, format string, args ...any) error {
	if err == nil {
		return nil
	}
	what := fmt.Sprintf(format, args...)
	switch {
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return fmt.Errorf("docker: %s: %w", what, err)
	case isUnreachable(err):
		return d.unreachable(err)
	case strings.Contains(err.Error(), "is too new. Maximum supported API version"):
		// The daemon came up between a failed negotiation and this call;
		// the next call negotiates.
		return lambda.Errorf(lambda.EUNAVAILABLE, "Docker at %s was starting up during %s; retry", d.Host(), what)
	case cerrdefs.IsNotFound(err):
		return lambda.Errorf(lambda.ENOTFOUND, "%s: %s", what, daemonMessage(err))
	case cerrdefs.IsConflict(err):
		return lambda.Errorf(lambda.ECONFLICT, "%s: %s", what, daemonMessage(err))
	case cerrdefs.IsInvalidArgument(err):
		return lambda.Errorf(lambda.EINVALID, "%s: %s", what, daemonMessage(err))
	}
	return fmt.Errorf("docker: %s: %w", what, err)
}
