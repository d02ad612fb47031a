package drivertest

import (
	"archive/tar"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"maps"
	"path"
	"slices"
	"strings"

	"github.com/lambdahq/lambda"
)

// BuildImage records an image from a tar build context after checking the
// Dockerfile as far as a fake can: known instructions, a FROM that exists,
// COPY and ADD sources present in the context. It logs the steps as the
// classic builder does.
func (f *Fake) BuildImage(ctx context.Context, req lambda.BuildRequest) (string, error) {
	if err := f.check(ctx); err != nil {
		return "", err
	}
	if req.Context == nil {
		return "", lambda.Errorf(lambda.EINVALID, "build context is missing")
	}
	out := &lenientWriter{w: req.Output}
	hash := sha256.New()
	entries, dockerfile, err := readContext(io.TeeReader(req.Context, hash))
	if err != nil {
		return "", lambda.Errorf(lambda.EINVALID, "build failed: %v", err)
	}
	steps, err := parseDockerfile(dockerfile)
	if err != nil {
		return "", lambda.Errorf(lambda.EINVALID, "build failed: %v", err)
	}
	labels := req.Labels
	if f.Namespace != "" && labels[lambda.LabelFunction] != "" {
		// As the Docker driver: a function's image is its server's.
		labels = maps.Clone(labels)
		labels[lambda.LabelServer] = f.Namespace
	}
	for _, k := range slices.Sorted(maps.Keys(labels)) {
		fmt.Fprintf(hash, "\x00%s=%s", k, labels[k])
	}
	id := "sha256:" + hex.EncodeToString(hash.Sum(nil))

	stages := map[string]bool{}
	for i, step := range steps {
		fmt.Fprintf(out, "Step %d/%d : %s\n", i+1, len(steps), step)
		if err := f.checkStep(step, entries, stages); err != nil {
			return "", lambda.Errorf(lambda.EINVALID, "build failed: %v\n%s", err, out.tail(20))
		}
		fmt.Fprintf(out, " ---> %s\n", id[7:19])
	}
	fmt.Fprintf(out, "Successfully built %s\n", id[7:19])

	f.mu.Lock()
	img := f.images[id]
	if img == nil {
		img = &FakeImage{ID: id, Labels: maps.Clone(labels)}
		f.images[id] = img
	}
	f.recordBuildLocked(id, steps, labels)
	for _, tag := range req.Tags {
		tag = normalizeTag(tag)
		if old := f.images[f.tags[tag]]; old != nil {
			f.untagLocked(old, tag)
		}
		f.tags[tag] = id
		img.Tags = append(img.Tags, tag)
	}
	f.mu.Unlock()
	for _, tag := range req.Tags {
		fmt.Fprintf(out, "Successfully tagged %s\n", normalizeTag(tag))
	}
	return id, nil
}

func (f *Fake) checkStep(step instruction, entries map[string]bool, stages map[string]bool) error {
	switch step.Cmd {
	case "FROM":
		words := strings.Fields(step.Args)
		for len(words) > 0 && strings.HasPrefix(words[0], "--") {
			words = words[1:]
		}
		if len(words) == 3 && strings.EqualFold(words[1], "AS") {
			stages[words[2]] = true
		}
		base := words[0]
		f.mu.Lock()
		known := base == "scratch" || stages[base] || f.resolveLocked(base) != nil
		f.mu.Unlock()
		if !known {
			return fmt.Errorf("pull access denied for %s: the base image is not present locally and the fake engine reaches no registry", base)
		}
	case "COPY", "ADD":
		srcs, fromStage, err := copySources(step)
		if err != nil || fromStage {
			return err
		}
		for _, src := range srcs {
			remote := step.Cmd == "ADD" && (strings.HasPrefix(src, "http://") || strings.HasPrefix(src, "https://"))
			if !remote && !contextHas(entries, src) {
				return fmt.Errorf("%s failed: file not found in build context or excluded by .dockerignore: stat %s: file does not exist", step.Cmd, src)
			}
		}
	}
	return nil
}

// readContext lists a tar stream's entries (files and their parent
// directories, as cleaned relative paths) and returns its Dockerfile.
func readContext(r io.Reader) (map[string]bool, string, error) {
	entries := map[string]bool{}
	var dockerfile *string
	tr := tar.NewReader(r)
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, "", fmt.Errorf("the build context is not a valid tar stream: %w", err)
		}
		name := path.Clean(strings.TrimPrefix(hdr.Name, "/"))
		for p := name; p != "." && p != "/"; p = path.Dir(p) {
			entries[p] = true
		}
		if name == "Dockerfile" && hdr.Typeflag == tar.TypeReg {
			b, err := io.ReadAll(io.LimitReader(tr, 1<<20))
			if err != nil {
				return nil, "", fmt.Errorf("read Dockerfile: %w", err)
			}
			s := string(b)
			dockerfile = &s
		}
	}
	_, _ = io.Copy(io.Discard, r) // the hash covers the whole stream
	if dockerfile == nil {
		return nil, "", fmt.Errorf("Cannot locate specified Dockerfile: Dockerfile")
	}
	return entries, *dockerfile, nil
}

// ImageExists reports whether ref is a tag or ID the Fake knows.
func (f *Fake) ImageExists(ctx context.Context, ref string) (bool, error) {
	if err := f.check(ctx); err != nil {
		return false, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.resolveLocked(ref) != nil, nil
}

// PullImage succeeds for images already present; the fake reaches no
// registry, so any other pull fails with EUNAVAILABLE.
func (f *Fake) PullImage(ctx context.Context, ref string, out io.Writer) error {
	if err := f.check(ctx); err != nil {
		return err
	}
	if ref == "" {
		return lambda.Errorf(lambda.EINVALID, "image reference is empty")
	}
	if ok, _ := f.ImageExists(ctx, ref); ok {
		fmt.Fprintf(&lenientWriter{w: out}, "Status: Image is up to date for %s\n", ref)
		return nil
	}
	return lambda.Errorf(lambda.EUNAVAILABLE, "pull %s failed: the fake engine reaches no registry", ref)
}

// RemoveImage behaves as Docker's without force: removing the last tag of
// an image an instance uses, or an ID with several tags, is a conflict.
func (f *Fake) RemoveImage(ctx context.Context, ref string) error {
	if err := f.check(ctx); err != nil {
		return err
	}
	if ref == "" {
		return lambda.Errorf(lambda.EINVALID, "image reference is empty")
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	img := f.resolveLocked(ref)
	if img == nil {
		return nil
	}
	tag := normalizeTag(ref)
	byTag := f.tags[tag] == img.ID
	switch {
	case byTag && len(img.Tags) > 1:
		f.untagLocked(img, tag)
		return nil
	case f.inUseLocked(img.ID):
		return lambda.Errorf(lambda.ECONFLICT, "image %s is in use: conflict: unable to remove %s (must force) - an instance is using it", ref, img.ID[7:19])
	case !byTag && len(img.Tags) > 1:
		return lambda.Errorf(lambda.ECONFLICT, "image %s is in use: conflict: unable to delete %s (must be forced) - image is referenced in multiple repositories", ref, img.ID[7:19])
	}
	for _, t := range img.Tags {
		delete(f.tags, t)
	}
	delete(f.images, img.ID)
	return nil
}

func (f *Fake) untagLocked(img *FakeImage, tag string) {
	delete(f.tags, tag)
	img.Tags = slices.DeleteFunc(img.Tags, func(t string) bool { return t == tag })
}

func (f *Fake) inUseLocked(imageID string) bool {
	for _, fi := range f.instances {
		if fi.imageID == imageID {
			return true
		}
	}
	return false
}

// resolveLocked finds an image by tag, full ID (with or without sha256:)
// or an ID prefix of at least 12 hex digits.
func (f *Fake) resolveLocked(ref string) *FakeImage {
	if ref == "" {
		return nil
	}
	if id, ok := f.tags[normalizeTag(ref)]; ok {
		return f.images[id]
	}
	hexID := strings.TrimPrefix(ref, "sha256:")
	if len(hexID) < 12 {
		return nil
	}
	var found *FakeImage
	for id, img := range f.images {
		if strings.HasPrefix(id[7:], hexID) {
			if found != nil {
				return nil // ambiguous
			}
			found = img
		}
	}
	return found
}

// normalizeTag adds the implicit :latest to a tag without one.
func normalizeTag(ref string) string {
	if strings.Contains(ref, "@") || strings.Contains(ref[strings.LastIndex(ref, "/")+1:], ":") {
		return ref
	}
	return ref + ":latest"
}
