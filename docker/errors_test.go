package docker

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"syscall"
	"testing"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/lambdahq/lambda"
	"github.com/moby/moby/client"
)

func TestWrap(t *testing.T) {
	d := &Driver{}
	var err error
	d.cli, err = newClientFor("unix:///run/test.sock")
	if err != nil {
		t.Fatal(err)
	}
	dial := &net.OpError{Op: "dial", Net: "unix", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}
	tests := []struct {
		name string
		err  error
		code string
		msg  string
	}{
		{"refused", fmt.Errorf("wrapped: %w", dial), lambda.EUNAVAILABLE, "Docker is unreachable at unix:///run/test.sock: connect: connection refused; start Docker or set DOCKER_HOST"},
		{"broken stream", io.ErrUnexpectedEOF, lambda.EUNAVAILABLE, "Docker is unreachable at unix:///run/test.sock: the connection broke (did the daemon stop?); start Docker or set DOCKER_HOST"},
		{"not found", cerrdefs.ErrNotFound.WithMessage("No such container: x"), lambda.ENOTFOUND, "op: No such container: x"},
		{"conflict", cerrdefs.ErrConflict.WithMessage("in use"), lambda.ECONFLICT, "op: in use"},
		{"invalid", cerrdefs.ErrInvalidArgument.WithMessage("bad"), lambda.EINVALID, "op: bad"},
		{"negotiation race", cerrdefs.ErrInvalidArgument.WithMessage("client version 1.56 is too new. Maximum supported API version is 1.41"), lambda.EUNAVAILABLE, "Docker at unix:///run/test.sock was starting up during op; retry"},
		{"other", errors.New("disk full"), lambda.EINTERNAL, "internal error"},
		{"canceled", context.Canceled, lambda.EINTERNAL, "internal error"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := d.wrap(tt.err, "op")
			if lambda.ErrorCode(got) != tt.code || lambda.ErrorMessage(got) != tt.msg {
				t.Errorf("got %s %q, want %s %q", lambda.ErrorCode(got), lambda.ErrorMessage(got), tt.code, tt.msg)
			}
			if !errors.Is(got, tt.err) && tt.code == lambda.EINTERNAL {
				t.Errorf("internal error %v lost its cause", got)
			}
		})
	}
	if d.wrap(nil, "op") != nil {
		t.Error("wrap(nil) != nil")
	}
}

// newClientFor returns a client for host without contacting it.
func newClientFor(host string) (*client.Client, error) {
	return client.New(client.WithHost(host))
}
