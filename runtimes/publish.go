package runtimes

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
)

// Tagger gives an image a further name and finds untagged images. The
// docker driver implements it.
type Tagger interface {
	TagImage(ctx context.Context, source, target string) error
	// DanglingImages lists the IDs of the untagged top-level images that
	// carry every label of labels, whichever server made them.
	DanglingImages(ctx context.Context, labels map[string]string) ([]string, error)
}

// labelImage on an image the runtimes make is the name it is made for, so
// that copies a race left untagged can be found and removed.
const labelImage = "lambda.image"

// publish makes image ref with makeImage, safely when other servers (or
// test runs) on the same engine make the same ref at the same time: the
// image (labelled labelImage=ref) is made under a name of its own, then
// ref is checked with current and tagged, and the private name removed. A
// loser of the race reuses the winner's image, and removing the private
// name deletes its own copy. Tagging is no compare-and-swap, though: two
// servers may both find ref missing and tag it in turn, after the first
// removed its private name, leaving the first's copy untagged; so the
// untagged copies of ref are removed at the end, by whoever tags last. An
// older image that ref named (not current) is removed unless something
// still uses it. Without a Tagger (fake drivers) ref is made directly.
func (r *Registry) publish(ctx context.Context, ref string, out io.Writer, current func(context.Context) (bool, error), makeImage func(tmp string) error) error {
	if r.Tagger == nil {
		return makeImage(ref)
	}
	tmp := privateRef(ref)
	defer r.sweep(ctx, ref)
	defer r.removeQuietly(ctx, tmp) // untags it; deletes our copy when we lost
	if err := makeImage(tmp); err != nil {
		return err
	}
	ok, err := current(ctx)
	if err != nil {
		return err
	}
	if ok {
		fmt.Fprintf(out, "image %s: made meanwhile by another server on this Docker engine; using that one\n", ref)
		return nil
	}
	old := ""
	if r.Images != nil {
		// A cached build makes the same image again: that one stays.
		prev, err1 := r.Images.InspectImage(ctx, ref)
		made, err2 := r.Images.InspectImage(ctx, tmp)
		if err1 == nil && err2 == nil && prev.ID != made.ID {
			old = prev.ID
		}
	}
	if err := r.Tagger.TagImage(ctx, tmp, ref); err != nil {
		return fmt.Errorf("tag %s: %w", ref, err)
	}
	if old != "" {
		r.removeQuietly(ctx, old) // refused while containers or images build on it
	}
	return nil
}

// sweep removes the untagged copies of ref that races left (see publish).
// A third server's build of ref is untagged too, between its last step and
// its tagging within the same daemon call: so only the copies still
// untagged after sweepGrace are removed, a build being far quicker than
// that to tag what it made. (Removing such a build's image made it fail
// with "failed to get digest", seen under load.)
func (r *Registry) sweep(ctx context.Context, ref string) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
	defer cancel()
	labels := map[string]string{labelImage: ref}
	first, err := r.Tagger.DanglingImages(ctx, labels)
	if err != nil || len(first) == 0 {
		return
	}
	select {
	case <-ctx.Done():
		return
	case <-time.After(r.sweepGrace()):
	}
	still, err := r.Tagger.DanglingImages(ctx, labels)
	if err != nil {
		return
	}
	for _, id := range still {
		if slices.Contains(first, id) {
			_ = r.Driver.RemoveImage(ctx, id)
		}
	}
}

// sweepGrace is how long an untagged copy must stay untagged before sweep
// takes it for a leftover.
func (r *Registry) sweepGrace() time.Duration {
	if r.SweepGrace > 0 {
		return r.SweepGrace
	}
	return 3 * time.Second
}

// removeQuietly removes ref, bounded, even when ctx ended: it cleans up.
func (r *Registry) removeQuietly(ctx context.Context, ref string) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
	defer cancel()
	_ = r.Driver.RemoveImage(ctx, ref)
}

// privateRef is ref with a random suffix on its tag.
func privateRef(ref string) string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	suffix := "-making-" + hex.EncodeToString(b[:])
	name, tag := ref, "latest"
	if i := strings.LastIndex(ref, ":"); i > strings.LastIndex(ref, "/") {
		name, tag = ref[:i], ref[i+1:]
	}
	if max := 128 - len(suffix); len(tag) > max {
		tag = tag[:max]
	}
	return name + ":" + tag + suffix
}
