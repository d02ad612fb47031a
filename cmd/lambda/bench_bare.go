package main

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/lambdahq/lambda"
)

// bareDocker is the bench's baseline: the Docker API used directly on the
// images the platform built for the bench functions.
type bareDocker struct {
	p *benchPlatform

	once    sync.Once
	command []string
	err     error
}

func (b *bareDocker) ColdStart(ctx context.Context) (time.Duration, error) {
	return b.p.driver.ColdStart(ctx, b.p.images[b.p.httpFn], lambda.DefaultPort)
}

// StartMany starts n containers of the http function's image at once, as
// the scale phase's baseline.
func (b *bareDocker) StartMany(ctx context.Context, n int) (time.Duration, error) {
	return b.p.driver.ScaleStart(ctx, b.p.images[b.p.httpFn], lambda.DefaultPort, n)
}

// RunOnce runs the stdio function's own command, the one its shim runs
// per request, without the shim.
func (b *bareDocker) RunOnce(ctx context.Context, stdin []byte) ([]byte, error) {
	b.once.Do(func() { b.command, b.err = b.stdioCommand(ctx) })
	if b.err != nil {
		return nil, b.err
	}
	return b.p.driver.RunOnce(ctx, b.p.images[b.p.stdioFn], b.command, stdin)
}

// stdioCommand reads the command after "--" in the shim's entrypoint.
func (b *bareDocker) stdioCommand(ctx context.Context) ([]string, error) {
	img, err := b.p.driver.InspectImage(ctx, b.p.images[b.p.stdioFn])
	if err != nil {
		return nil, err
	}
	args := append(slices.Clone(img.Entrypoint), img.Cmd...)
	if i := slices.Index(args, "--"); i >= 0 && i+1 < len(args) {
		return args[i+1:], nil
	}
	return nil, fmt.Errorf("the image of %s does not run a command behind the shim (entrypoint %q)", b.p.stdioFn, args)
}
