package docker

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"strings"
	"time"

	"github.com/lambdahq/lambda"
	"github.com/moby/moby/api/types/image"
	"github.com/moby/moby/client"
)

// maxCodeContext bounds the build context read into memory to write the
// code's layer; a larger one goes to the builder as it streams.
const maxCodeContext = 64 << 20

// buildWithCodeLayer builds req's image when its Dockerfile, the context's
// first entry, ends with the code's COPY (lambda.CodeLayerMarker): the
// builder builds, from its cache, the image before that COPY, with the
// labels that do not change between versions, and the driver loads (docker
// load) an image made of that one's layers, which the daemon has, and the
// code's layer it writes, with the image's labels in its configuration.
// The builder's COPY, and the LABEL step after it, each cost 0.3-0.8 s on
// fuse-overlayfs at low load; the load of a layer of a few files costs a
// fraction. It returns the image's ID, or else the context for the
// builder (what it read of req.Context, then the rest).
func (d *Driver) buildWithCodeLayer(ctx context.Context, req lambda.BuildRequest, labels map[string]string) (io.Reader, string, error) {
	var head bytes.Buffer
	tr := tar.NewReader(io.TeeReader(req.Context, &head))
	unread := func() io.Reader { return io.MultiReader(&head, req.Context) }
	h, err := tr.Next()
	if err != nil || !isDockerfile(h.Name) {
		return unread(), "", nil // the builder says what is wrong
	}
	df, err := readDockerfile(tr)
	if err != nil {
		return unread(), "", nil
	}
	before, c, ok := splitCodeCopy(df)
	if !ok {
		return unread(), "", nil
	}
	rest, err := io.ReadAll(io.LimitReader(req.Context, int64(maxCodeContext+1-head.Len())))
	if err != nil {
		return nil, "", fmt.Errorf("read build context: %w", err)
	}
	buf := append(head.Bytes(), rest...)
	if len(buf) > maxCodeContext {
		return io.MultiReader(bytes.NewReader(buf), req.Context), "", nil
	}
	now := time.Now().UTC()
	layer, err := writeCodeLayer(buf, c, now)
	if err != nil {
		return bytes.NewReader(buf), "", nil
	}
	baseLabels := maps.Clone(labels)
	delete(baseLabels, lambda.LabelVersion)
	base := withDockerfile(bytes.NewReader(buf), func([]byte) []byte {
		if len(baseLabels) == 0 {
			return before
		}
		return append(before, labelLine(baseLabels)...)
	})
	baseID, err := d.build(ctx, base, nil, req.Output)
	if err != nil {
		return nil, "", err
	}
	res, err := d.cli.ImageInspect(ctx, baseID)
	if err != nil {
		return nil, "", d.wrap(err, "inspect built image %s", baseID)
	}
	config, err := codeImageConfig(res.InspectResponse, layer.diffID, labels, now)
	if err != nil {
		return nil, "", err
	}
	archive, id, err := codeImageArchive(config, res.RootFS.Layers, layer, req.Tags)
	if err != nil {
		return nil, "", err
	}
	if err := d.loadCodeImage(ctx, archive); err != nil {
		return nil, "", err
	}
	fmt.Fprintf(&lenientWriter{w: req.Output}, "%s: the code's layer (%d entries) written by the server\nLoaded image %s\n", c.line, layer.files, strings.TrimPrefix(id, "sha256:")[:12])
	return nil, id, nil
}

// imageConfig is an image's configuration as docker load reads it.
type imageConfig struct {
	Architecture string    `json:"architecture"`
	Variant      string    `json:"variant,omitempty"`
	OS           string    `json:"os"`
	OSVersion    string    `json:"os.version,omitempty"`
	Created      time.Time `json:"created"`
	Author       string    `json:"author,omitempty"`
	Config       any       `json:"config"`
	RootFS       struct {
		Type    string   `json:"type"`
		DiffIDs []string `json:"diff_ids"`
	} `json:"rootfs"`
}

// codeImageConfig is base's configuration with layer on top and labels
// added, as the builder's COPY and LABEL steps would leave it. The
// builder's history is not kept (Docker has no API that gives it whole).
func codeImageConfig(base image.InspectResponse, diffID string, labels map[string]string, now time.Time) ([]byte, error) {
	if base.Config == nil {
		return nil, fmt.Errorf("docker: built image %s has no configuration", base.ID)
	}
	cfg := *base.Config
	cfg.Labels = maps.Clone(cfg.Labels)
	if cfg.Labels == nil && len(labels) > 0 {
		cfg.Labels = map[string]string{}
	}
	maps.Copy(cfg.Labels, labels)
	out := imageConfig{Architecture: base.Architecture, Variant: base.Variant, OS: base.Os, OSVersion: base.OsVersion, Created: now, Author: base.Author, Config: cfg}
	out.RootFS.Type = "layers"
	out.RootFS.DiffIDs = append(append([]string{}, base.RootFS.Layers...), diffID)
	return json.Marshal(out)
}

// codeImageArchive is a `docker save` archive of the image config with
// tags, holding only its last layer: docker load takes the others, by
// their chain IDs, from the layers it has. It returns the image's ID.
func codeImageArchive(config []byte, baseLayers []string, layer *codeLayer, tags []string) ([]byte, string, error) {
	hex := fmt.Sprintf("%x", sha256.Sum256(config))
	var layers []string
	for _, id := range append(append([]string{}, baseLayers...), layer.diffID) {
		layers = append(layers, strings.TrimPrefix(id, "sha256:")+"/layer.tar")
	}
	manifest, err := json.Marshal([]struct {
		Config   string
		RepoTags []string
		Layers   []string
	}{{Config: hex + ".json", RepoTags: tags, Layers: layers}})
	if err != nil {
		return nil, "", err
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, f := range []struct {
		name string
		data []byte
	}{{"manifest.json", manifest}, {hex + ".json", config}, {layers[len(layers)-1], layer.tar}} {
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: f.name, Mode: 0o644, Size: int64(len(f.data))}); err != nil {
			return nil, "", err
		}
		if _, err := tw.Write(f.data); err != nil {
			return nil, "", err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, "", err
	}
	return buf.Bytes(), "sha256:" + hex, nil
}

// loadCodeImage loads archive. A base layer missing (an image removal
// elsewhere took it since the build) is a conflict: building again
// rebuilds it.
func (d *Driver) loadCodeImage(ctx context.Context, archive []byte) error {
	res, err := d.cli.ImageLoad(ctx, bytes.NewReader(archive), client.ImageLoadWithQuiet(true))
	if err != nil {
		return d.wrap(err, "load the image")
	}
	defer res.Close()
	_, loadErr, err := readLoadStream(res, io.Discard)
	switch {
	case err != nil:
		if ctx.Err() != nil {
			err = ctx.Err()
		}
		return d.wrap(err, "read image load output")
	case strings.Contains(loadErr, "no space left on device"):
		return lambda.Errorf(lambda.EUNAVAILABLE, "Docker cannot load the image: %s", loadErr)
	case strings.Contains(loadErr, "no such file or directory"):
		return lambda.Errorf(lambda.ECONFLICT, "image load raced with an image removal on the container engine: %s", importDirRE.ReplaceAllString(loadErr, ""))
	case loadErr != "":
		return errors.New("docker: load the image: " + loadErr)
	}
	return nil
}
