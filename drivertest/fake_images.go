package drivertest

import (
	"context"
	"io"
	"maps"
	"path"
	"slices"
	"strings"

	"github.com/lambdahq/lambda"
)

var _ lambda.ImageDriver = (*Fake)(nil)

// InspectImage describes ref from what the Fake recorded when it built or
// loaded it; ENOTFOUND when it has no such image.
func (f *Fake) InspectImage(ctx context.Context, ref string) (*lambda.Image, error) {
	if err := f.check(ctx); err != nil {
		return nil, err
	}
	if ref == "" {
		return nil, lambda.Errorf(lambda.EINVALID, "image reference is empty")
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	img := f.resolveLocked(ref)
	if img == nil {
		return nil, lambda.Errorf(lambda.ENOTFOUND, "image %q is not on the host", ref)
	}
	return f.describeLocked(img), nil
}

// ListImages lists the tagged images that are not the platform's own, as
// the Docker driver does.
func (f *Fake) ListImages(ctx context.Context) ([]*lambda.Image, error) {
	if err := f.check(ctx); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	out := []*lambda.Image{}
	for _, img := range f.images {
		d := f.describeLocked(img)
		if d.Labels[lambda.LabelManaged] == "true" {
			continue
		}
		d.Tags = slices.DeleteFunc(d.Tags, isFunctionImage)
		if len(d.Tags) == 0 {
			continue
		}
		slices.Sort(d.Tags)
		// A listing carries no run configuration, as Docker's does not.
		out = append(out, &lambda.Image{ID: d.ID, Tags: d.Tags, Labels: d.Labels, Size: d.Size, CreatedAt: d.CreatedAt})
	}
	slices.SortFunc(out, func(a, b *lambda.Image) int { return strings.Compare(a.Tags[0], b.Tags[0]) })
	return out, nil
}

// ListImagesByLabel lists the images, tagged or not, that carry labels
// and the Fake's namespace, as the Docker driver does.
func (f *Fake) ListImagesByLabel(ctx context.Context, labels map[string]string) ([]*lambda.Image, error) {
	if err := f.check(ctx); err != nil {
		return nil, err
	}
	if f.Namespace != "" {
		labels = maps.Clone(labels)
		labels[lambda.LabelServer] = f.Namespace
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	out := []*lambda.Image{}
	for _, img := range f.images {
		d := f.describeLocked(img)
		if !hasLabels(d.Labels, labels) {
			continue
		}
		slices.Sort(d.Tags)
		out = append(out, &lambda.Image{ID: d.ID, Tags: d.Tags, Labels: d.Labels, Size: d.Size, CreatedAt: d.CreatedAt})
	}
	slices.SortFunc(out, func(a, b *lambda.Image) int { return strings.Compare(a.ID, b.ID) })
	return out, nil
}

func hasLabels(have, want map[string]string) bool {
	for k, v := range want {
		if got, ok := have[k]; !ok || got != v {
			return false
		}
	}
	return true
}

// LoadImage loads a `docker save` archive (plain or gzip, manifest.json
// format) after checking it as Docker would: a tar stream, a manifest
// naming configs and layers that exist, layers matching the config's diff
// IDs. Tags follow the Docker driver's rules: func-* names are refused, as
// is replacing an image labelled lambda.managed=true.
func (f *Fake) LoadImage(ctx context.Context, archive io.Reader, out io.Writer) ([]string, error) {
	if err := f.check(ctx); err != nil {
		return nil, err
	}
	if archive == nil {
		return nil, lambda.Errorf(lambda.EINVALID, "image archive is missing")
	}
	imgs, err := readSaveArchive(archive)
	if err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, li := range imgs {
		for _, tag := range li.tags {
			if isFunctionImage(tag) {
				return nil, lambda.Errorf(lambda.EINVALID, "the archive's image is tagged %q, but names starting with %q are reserved for the platform's function images: retag it (docker tag) and save it again", tag, "func-")
			}
			if old := f.resolveLocked(tag); old != nil && old.ID != li.meta.ID && f.describeLocked(old).Labels[lambda.LabelManaged] == "true" {
				return nil, lambda.Errorf(lambda.ECONFLICT, "the archive's tag %q would replace an image the platform uses: retag it (docker tag) and save it again", tag)
			}
		}
	}
	w := &lenientWriter{w: out}
	var refs []string
	for _, li := range imgs {
		id := li.meta.ID
		img := f.images[id]
		if img == nil {
			img = &FakeImage{ID: id, Labels: maps.Clone(li.meta.Labels)}
			f.images[id] = img
		}
		f.setMetaLocked(id, li.meta)
		if len(li.tags) == 0 {
			refs = append(refs, id)
			io.WriteString(w, "Loaded image ID: "+id+"\n")
		}
		for _, tag := range li.tags {
			tag = normalizeTag(tag)
			if old := f.images[f.tags[tag]]; old != nil && old != img {
				f.untagLocked(old, tag)
			}
			if !slices.Contains(img.Tags, tag) {
				img.Tags = append(img.Tags, tag)
			}
			f.tags[tag] = id
			refs = append(refs, tag)
			io.WriteString(w, "Loaded image: "+tag+"\n")
		}
	}
	return refs, nil
}

// describeLocked returns what InspectImage reports about img.
func (f *Fake) describeLocked(img *FakeImage) *lambda.Image {
	d := &lambda.Image{}
	if m := f.meta[img.ID]; m != nil {
		*d = *m
		d.Entrypoint = slices.Clone(m.Entrypoint)
		d.Cmd = slices.Clone(m.Cmd)
		d.Env = slices.Clone(m.Env)
		d.Ports = slices.Clone(m.Ports)
	}
	d.ID = img.ID
	d.Tags = slices.Clone(img.Tags)
	if d.Labels == nil {
		d.Labels = maps.Clone(img.Labels)
	} else {
		d.Labels = maps.Clone(d.Labels)
	}
	return d
}

func (f *Fake) setMetaLocked(id string, m *lambda.Image) {
	if f.meta == nil {
		f.meta = map[string]*lambda.Image{}
	}
	f.meta[id] = m
}

// isFunctionImage reports whether tag's repository is func-NAME, the
// platform's naming of function images.
func isFunctionImage(tag string) bool {
	repo := tag
	if i := strings.LastIndex(repo, ":"); i > strings.LastIndex(repo, "/") {
		repo = repo[:i]
	}
	return strings.HasPrefix(path.Base(repo), "func-")
}
