package docker

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"io"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/distribution/reference"
	"github.com/lambdahq/lambda"
	"github.com/moby/moby/api/types/image"
	"github.com/moby/moby/client"
)

var _ lambda.ImageDriver = (*Driver)(nil)

// functionImagePrefix starts the repository names of the platform's own
// function images (func-NAME:vN). Uploaded archives may not use it.
const functionImagePrefix = "func-"

// InspectImage describes ref; ENOTFOUND when it is not on the host.
func (d *Driver) InspectImage(ctx context.Context, ref string) (*lambda.Image, error) {
	if ref == "" {
		return nil, lambda.Errorf(lambda.EINVALID, "image reference is empty")
	}
	res, err := d.cli.ImageInspect(ctx, ref)
	if err != nil {
		if cerrdefs.IsNotFound(err) {
			return nil, lambda.Errorf(lambda.ENOTFOUND, "image %q is not on the host", ref)
		}
		return nil, d.wrap(err, "inspect image %s", ref)
	}
	return imageFromInspect(res.InspectResponse), nil
}

func imageFromInspect(r image.InspectResponse) *lambda.Image {
	img := &lambda.Image{ID: r.ID, Tags: slices.Clone(r.RepoTags), Size: r.Size}
	if t, err := time.Parse(time.RFC3339Nano, r.Created); err == nil {
		img.CreatedAt = t
	}
	if c := r.Config; c != nil {
		img.Entrypoint = c.Entrypoint
		img.Cmd = c.Cmd
		img.Env = c.Env
		img.WorkingDir = c.WorkingDir
		img.User = c.User
		img.Labels = c.Labels
		img.OnBuild = c.OnBuild
		for p := range c.ExposedPorts {
			num, proto, _ := strings.Cut(p, "/")
			if n, err := strconv.Atoi(num); err == nil && (proto == "" || proto == "tcp") {
				img.Ports = append(img.Ports, n)
			}
		}
		slices.Sort(img.Ports)
	}
	return img
}

// ListImages lists the tagged images a function could be deployed from:
// not the platform's own (func-* or labelled lambda.managed=true).
func (d *Driver) ListImages(ctx context.Context) ([]*lambda.Image, error) {
	res, err := d.cli.ImageList(ctx, client.ImageListOptions{})
	if err != nil {
		return nil, d.wrap(err, "list images")
	}
	out := []*lambda.Image{}
	for _, s := range res.Items {
		if s.Labels[lambda.LabelManaged] == "true" {
			continue
		}
		var tags []string
		for _, t := range s.RepoTags {
			if t != "<none>:<none>" && !isFunctionImage(t) {
				tags = append(tags, t)
			}
		}
		if len(tags) == 0 {
			continue
		}
		slices.Sort(tags)
		out = append(out, &lambda.Image{ID: s.ID, Tags: tags, Labels: s.Labels, Size: s.Size, CreatedAt: time.Unix(s.Created, 0).UTC()})
	}
	slices.SortFunc(out, func(a, b *lambda.Image) int { return strings.Compare(a.Tags[0], b.Tags[0]) })
	return out, nil
}

// ListImagesByLabel lists the top-level images, dangling ones included,
// that carry labels and the driver's namespace, oldest first.
func (d *Driver) ListImagesByLabel(ctx context.Context, labels map[string]string) ([]*lambda.Image, error) {
	f := make(client.Filters)
	for k, v := range labels {
		f.Add("label", k+"="+v)
	}
	if d.Namespace != "" {
		f.Add("label", lambda.LabelServer+"="+d.Namespace)
	}
	res, err := d.cli.ImageList(ctx, client.ImageListOptions{Filters: f})
	if err != nil {
		return nil, d.wrap(err, "list images")
	}
	out := make([]*lambda.Image, 0, len(res.Items))
	for _, s := range res.Items {
		tags := slices.DeleteFunc(slices.Clone(s.RepoTags), func(t string) bool { return t == "<none>:<none>" })
		slices.Sort(tags)
		out = append(out, &lambda.Image{ID: s.ID, Tags: tags, Labels: s.Labels, Size: s.Size, CreatedAt: time.Unix(s.Created, 0).UTC()})
	}
	slices.SortFunc(out, func(a, b *lambda.Image) int {
		return cmp.Or(a.CreatedAt.Compare(b.CreatedAt), strings.Compare(a.ID, b.ID))
	})
	return out, nil
}

// isFunctionImage reports whether tag names one of the platform's function
// images, whose repository is func-NAME.
func isFunctionImage(tag string) bool {
	named, err := reference.ParseNormalizedNamed(tag)
	if err != nil {
		return false
	}
	return strings.HasPrefix(path.Base(reference.FamiliarName(named)), functionImagePrefix)
}

// importDirRE matches the daemon's temporary directory in load errors,
// which says nothing to the user.
var importDirRE = regexp.MustCompile(`/\S*/docker-import-\d+/`)

// errLoadFinished ends the archive scan once the daemon has answered.
var errLoadFinished = errors.New("image load finished")

// LoadImage loads a `docker save` archive (plain or gzip) and returns the
// tags, or for untagged images the IDs, it loaded. The archive is checked
// on its way to the daemon: anything that is no such archive, and tags
// that would replace the platform's images, are refused before the daemon
// can load anything.
func (d *Driver) LoadImage(ctx context.Context, archive io.Reader, out io.Writer) ([]string, error) {
	if archive == nil {
		return nil, lambda.Errorf(lambda.EINVALID, "image archive is missing")
	}
	pr, pw := io.Pipe()
	scanned := make(chan error, 1)
	go func() {
		err := scanArchive(archive, pw, func(imgs []archiveImage) error { return d.checkArchiveTags(ctx, imgs) })
		scanned <- err // before closing, so the caller sees why the load broke
		pw.CloseWithError(err)
	}()
	res, err := d.cli.ImageLoad(ctx, pr, client.ImageLoadWithQuiet(true))
	if err != nil {
		pr.CloseWithError(errLoadFinished)
		if serr := scanError(scanned); serr != nil {
			return nil, serr
		}
		if isUnreachable(err) || ctx.Err() != nil {
			return nil, d.wrap(err, "load image archive")
		}
		return nil, notArchive("%s", daemonMessage(err))
	}
	defer res.Close()
	refs, loadErr, err := readLoadStream(res, &lenientWriter{w: out})
	pr.CloseWithError(errLoadFinished)
	if serr := scanError(scanned); serr != nil {
		return nil, serr
	}
	switch {
	case err != nil:
		if ctx.Err() != nil {
			err = ctx.Err()
		}
		return nil, d.wrap(err, "read image load output")
	case loadErr != "":
		if strings.Contains(loadErr, "no space left on device") {
			return nil, lambda.Errorf(lambda.EUNAVAILABLE, "Docker cannot load the image: %s", loadErr)
		}
		return nil, notArchive("%s", importDirRE.ReplaceAllString(loadErr, ""))
	case len(refs) == 0:
		return nil, notArchive("Docker loaded no image from it")
	}
	return refs, nil
}

// scanError returns the scan's error if it has ended with one the user
// must see; a scan still running or stopped by the load's end is not.
func scanError(scanned <-chan error) error {
	select {
	case err := <-scanned:
		var le *lambda.Error
		if errors.As(err, &le) {
			return err
		}
	default:
	}
	return nil
}

// readLoadStream collects the "Loaded image: X" and "Loaded image ID: X"
// lines of the daemon's answer, copying its text to out.
func readLoadStream(r io.Reader, out io.Writer) (refs []string, loadErr string, err error) {
	dec := json.NewDecoder(r)
	for {
		var m streamMessage
		if err := dec.Decode(&m); errors.Is(err, io.EOF) {
			return refs, "", nil
		} else if err != nil {
			return nil, "", err
		}
		if m.Error != nil || m.ErrorText != "" {
			loadErr = m.ErrorText
			if m.Error != nil && m.Error.Message != "" {
				loadErr = m.Error.Message
			}
			return nil, loadErr, nil
		}
		for _, line := range strings.Split(m.Stream, "\n") {
			if ref, ok := strings.CutPrefix(line, "Loaded image ID: "); ok {
				refs = append(refs, strings.TrimSpace(ref))
			} else if ref, ok := strings.CutPrefix(line, "Loaded image: "); ok {
				refs = append(refs, strings.TrimSpace(ref))
			}
		}
		if line := renderMessage(m.Message); line != "" {
			_, _ = io.WriteString(out, line)
		}
	}
}

// checkArchiveTags refuses tags that would take over the platform's
// images: any func-* name, and any tag now naming a different image that
// the platform manages.
func (d *Driver) checkArchiveTags(ctx context.Context, imgs []archiveImage) error {
	for _, img := range imgs {
		for _, tag := range img.Tags {
			named, err := reference.ParseNormalizedNamed(tag)
			if err != nil {
				return notArchive("its tag %q is invalid: %v", tag, err)
			}
			if isFunctionImage(tag) {
				return lambda.Errorf(lambda.EINVALID, "the archive's image is tagged %q, but names starting with %q are reserved for the platform's function images: retag it (docker tag) and save it again", tag, functionImagePrefix)
			}
			res, err := d.cli.ImageInspect(ctx, reference.TagNameOnly(named).String())
			switch {
			case cerrdefs.IsNotFound(err):
				continue
			case err != nil:
				return d.wrap(err, "inspect image %s", tag)
			}
			if res.ID != img.ID && res.Config != nil && res.Config.Labels[lambda.LabelManaged] == "true" {
				return lambda.Errorf(lambda.ECONFLICT, "the archive's tag %q would replace an image the platform uses: retag it (docker tag) and save it again", tag)
			}
		}
	}
	return nil
}
