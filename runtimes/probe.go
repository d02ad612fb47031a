package runtimes

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/lambdahq/lambda"
)

// imageProbe serialises the work that makes one image available, so that
// concurrent deploys wait for one pull or build instead of each starting
// their own, and remembers a failed pull.
type imageProbe struct {
	sem      chan struct{}
	failedAt time.Time
	failErr  error
	source   string // how this process made the image available
	local    string // the base image assembled in its stead, once known; guarded by Registry.mu
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

// ensureBase makes l's base image available and returns the image to
// build on: the configured one when present or pulled, else one assembled
// from the host's Debian packages under a name of our own that says what
// it holds (lambda-base/python:3.11-debian12), reused once made.
func (r *Registry) ensureBase(ctx context.Context, l *language, out io.Writer) (string, error) {
	if r.Driver == nil {
		return "", errNoDriver
	}
	ref := l.image(r)
	what := "runtime " + l.name + ": base image"
	p := r.probe(ref)
	if err := p.lock(ctx); err != nil {
		return "", err
	}
	defer p.unlock()
	if ok, err := r.officialPresent(ctx, ref); err != nil || ok {
		return ref, err
	}
	if local := r.localOf(ref); local != "" {
		ok, err := r.Driver.ImageExists(ctx, local)
		if err != nil {
			return "", fmt.Errorf("cannot look up %s: %w", local, err)
		}
		if ok {
			return local, nil
		}
	}
	pullErr := r.pullLocked(ctx, p, ref, what, out)
	if pullErr == nil {
		return ref, nil
	}
	if err := ctx.Err(); err != nil {
		return "", err
	}
	if err := r.canAssemble(ref); err != nil {
		fmt.Fprintf(out, "%s: %s is %v\n", what, ref, pullErr)
		return "", err
	}
	local, version, err := r.localBase(ctx, l, out)
	if err != nil {
		return "", err
	}
	ok, err := r.Driver.ImageExists(ctx, local)
	if err != nil {
		return "", fmt.Errorf("cannot look up %s: %w", local, err)
	}
	// What is used comes first: progress lines are cut at the terminal.
	if ok {
		fmt.Fprintf(out, "%s: using %s (%s %s from the host's Debian packages): %s is %v\n",
			what, local, l.name, upstreamVersion(version), ref, pullErr)
	} else {
		fmt.Fprintf(out, "%s: assembling %s (%s %s from the host's Debian packages): %s is %v\n",
			what, local, l.name, upstreamVersion(version), ref, pullErr)
		if err := r.assembleBase(ctx, local, l.debian, version, out); err != nil {
			return "", err
		}
	}
	r.mu.Lock()
	p.local = local
	r.mu.Unlock()
	return local, nil
}

// localOf is the base image assembled in ref's stead, "" when this
// process has not made or found one.
func (r *Registry) localOf(ref string) string {
	p := r.probe(ref)
	r.mu.Lock()
	defer r.mu.Unlock()
	return p.local
}

// officialPresent reports whether ref is on the host and is not an image
// an older server assembled under that official name, which held another
// version than the name says: such an image is left alone, not used.
func (r *Registry) officialPresent(ctx context.Context, ref string) (bool, error) {
	ok, err := r.Driver.ImageExists(ctx, ref)
	if err != nil {
		return false, fmt.Errorf("cannot look up %s: %w", ref, err)
	}
	if !ok || r.Images == nil {
		return ok, nil
	}
	img, err := r.Images.InspectImage(ctx, ref)
	if err != nil {
		return false, fmt.Errorf("inspect %s: %w", ref, err)
	}
	return img.Labels[labelSource] != labelSourceDeb, nil
}

// canAssemble says why base images cannot be assembled here, nil when they
// can.
func (r *Registry) canAssemble(ref string) error {
	switch {
	case r.Importer == nil:
		return lambda.Errorf(lambda.EUNAVAILABLE, "cannot assemble %s: this server's container driver cannot import images", ref)
	case r.Debian == nil:
		return lambda.Errorf(lambda.EUNAVAILABLE, "cannot assemble %s: assembling from Debian packages is turned off", ref)
	}
	if err := r.Debian.Available(); err != nil {
		return lambda.Errorf(lambda.EUNAVAILABLE, "%s is not on this host and cannot be pulled; %s: "+
			"load it from a machine with registry access (docker save | docker load) or point the server at an image present here", ref, lambda.ErrorMessage(err))
	}
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
