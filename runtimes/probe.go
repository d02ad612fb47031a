package runtimes

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"
)

// imageProbe serialises the work that makes one image available, so that
// concurrent deploys wait for one pull or build instead of each starting
// their own, and remembers a failed pull.
type imageProbe struct {
	sem      chan struct{}
	failedAt time.Time
	failErr  error
	source   string // how this process made the image available
}

// probe returns the probe of image ref, creating it on first use.
func (r *Registry) probe(ref string) *imageProbe {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.probes == nil {
		r.probes = make(map[string]*imageProbe)
	}
	p, ok := r.probes[ref]
	if !ok {
		p = &imageProbe{sem: make(chan struct{}, 1)}
		r.probes[ref] = p
	}
	return p
}

// lock takes p for the caller until unlock, or fails when ctx ends first.
func (p *imageProbe) lock(ctx context.Context) error {
	select {
	case p.sem <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (p *imageProbe) unlock() { <-p.sem }

// pullLocked pulls ref unless a pull failed within PullRetryAfter; the
// caller holds p. The error says why the image is not available.
func (r *Registry) pullLocked(ctx context.Context, p *imageProbe, ref, what string, out io.Writer) error {
	now := r.now()
	if !p.failedAt.IsZero() && now.Sub(p.failedAt) < r.PullRetryAfter {
		return fmt.Errorf("not present, and pulling it failed %s ago: %w", now.Sub(p.failedAt).Round(time.Second), p.failErr)
	}
	fmt.Fprintf(out, "%s: pulling %s\n", what, ref)
	if err := r.Driver.PullImage(ctx, ref, out); err != nil {
		if ctx.Err() == nil { // a cancelled deploy says nothing about the registry
			p.failedAt, p.failErr = r.now(), err
		}
		return fmt.Errorf("not present, and pulling it failed: %w", err)
	}
	p.failedAt, p.failErr = time.Time{}, nil
	p.source = sourcePulled
	return nil
}

// Sources of base images, as lambda.BaseImage.Source reports them.
const (
	sourcePulled   = "pulled"
	sourceDebian   = "assembled from Debian packages"
	sourceBuilt    = "built"
	labelSource    = "lambda.source"
	labelSourceDeb = "debian"
	labelRole      = "lambda.role"
	labelBaseImage = "lambda.base-image"
	labelBaseID    = "lambda.base-id"
)

// errNoDriver is returned when the registry has no container engine.
var errNoDriver = errors.New("no container engine is configured")

// ensureBase makes the base image ref available: present, else pulled,
// else made by assemble (when not nil). what names it in progress lines.
func (r *Registry) ensureBase(ctx context.Context, ref, what string, assemble func(context.Context, io.Writer) error, out io.Writer) error {
	if r.Driver == nil {
		return errNoDriver
	}
	p := r.probe(ref)
	if err := p.lock(ctx); err != nil {
		return err
	}
	defer p.unlock()
	ok, err := r.Driver.ImageExists(ctx, ref)
	if err != nil {
		return fmt.Errorf("cannot look up %s: %w", ref, err)
	}
	if ok {
		return nil
	}
	pullErr := r.pullLocked(ctx, p, ref, what, out)
	if pullErr == nil {
		return nil
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if assemble == nil {
		return pullErr
	}
	fmt.Fprintf(out, "%s: %s is %v; assembling it from the host's Debian packages\n", what, ref, pullErr)
	if err := assemble(ctx, out); err != nil {
		return err
	}
	p.source = sourceDebian
	return nil
}

// sourceOf says how this process made ref available, "" when it did not.
func (r *Registry) sourceOf(ref string) string {
	p := r.probe(ref)
	select {
	case p.sem <- struct{}{}:
		defer p.unlock()
		return p.source
	default:
		return "" // being made right now
	}
}
