package drivertest

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/lambdahq/lambda"
)

// Bounds on what the Fake keeps of an archive: only small files (configs
// and the manifest) are held in memory; layers are hashed as they pass.
const (
	maxKeptFile    = 1 << 20
	maxFakeEntries = 100_000
)

// loadedImage is one image read from an archive.
type loadedImage struct {
	meta *lambda.Image
	tags []string
}

type archiveEntry struct {
	digest string // sha256:<hex> of the content
	size   int64
	data   []byte // kept when small
	link   string // a symlink's target, resolved against the entry's dir
}

// readSaveArchive reads and checks a whole `docker save` archive.
func readSaveArchive(r io.Reader) ([]loadedImage, error) {
	entries, err := readEntries(r)
	if err != nil {
		return nil, err
	}
	manifest := entries["manifest.json"]
	if manifest == nil {
		return nil, notSaveArchive("it has no manifest.json; create one with \"docker save IMAGE -o FILE.tar\"")
	}
	var list []struct {
		Config   string
		RepoTags []string
		Layers   []string
	}
	if err := json.Unmarshal(manifest.data, &list); err != nil {
		return nil, notSaveArchive("its manifest.json is invalid: %v", err)
	}
	if len(list) == 0 {
		return nil, notSaveArchive("its manifest.json lists no image")
	}
	var out []loadedImage
	for _, m := range list {
		img, err := loadConfig(entries, m.Config, m.Layers)
		if err != nil {
			return nil, err
		}
		for _, tag := range m.RepoTags {
			if !validTag(tag) {
				return nil, notSaveArchive("its tag %q is invalid", tag)
			}
		}
		out = append(out, loadedImage{meta: img, tags: m.RepoTags})
	}
	return out, nil
}

func readEntries(r io.Reader) (map[string]*archiveEntry, error) {
	br := bufio.NewReader(r)
	if magic, _ := br.Peek(2); bytes.Equal(magic, []byte{0x1f, 0x8b}) {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, sourceError(err)
		}
		r = zr
	} else {
		r = br
	}
	entries := map[string]*archiveEntry{}
	tr := tar.NewReader(r)
	for n := 0; ; n++ {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return entries, nil
		}
		if err != nil {
			if n == 0 && !isDomainError(err) {
				return nil, notSaveArchive("it is not a tar file (%v)", err)
			}
			return nil, sourceError(err)
		}
		if n >= maxFakeEntries {
			return nil, notSaveArchive("it has more than %d entries", maxFakeEntries)
		}
		name := path.Clean(strings.TrimPrefix(hdr.Name, "/"))
		switch hdr.Typeflag {
		case tar.TypeSymlink:
			entries[name] = &archiveEntry{link: path.Join(path.Dir(name), hdr.Linkname)}
		case tar.TypeReg:
			h := sha256.New()
			var kept bytes.Buffer
			w := io.Writer(h)
			if hdr.Size <= maxKeptFile {
				w = io.MultiWriter(h, &kept)
			}
			size, err := io.Copy(w, tr)
			if err != nil {
				return nil, sourceError(err)
			}
			e := &archiveEntry{digest: "sha256:" + hex.EncodeToString(h.Sum(nil)), size: size}
			if hdr.Size <= maxKeptFile {
				e.data = kept.Bytes()
			}
			entries[name] = e
		}
	}
}

// loadConfig checks an image's config and layers as docker load does.
func loadConfig(entries map[string]*archiveEntry, configPath string, layers []string) (*lambda.Image, error) {
	ce := lookup(entries, configPath)
	if ce == nil || ce.data == nil {
		return nil, notSaveArchive("its manifest names config %q, which is missing", configPath)
	}
	var cfg struct {
		Created time.Time `json:"created"`
		Config  struct {
			Entrypoint   []string
			Cmd          []string
			Env          []string
			WorkingDir   string
			User         string
			ExposedPorts map[string]struct{}
			Labels       map[string]string
		} `json:"config"`
		RootFS struct {
			DiffIDs []string `json:"diff_ids"`
		} `json:"rootfs"`
	}
	if err := json.Unmarshal(ce.data, &cfg); err != nil {
		return nil, notSaveArchive("its config %s is invalid: %v", configPath, err)
	}
	if len(cfg.RootFS.DiffIDs) != len(layers) {
		return nil, notSaveArchive("invalid manifest, layers length mismatch: expected %d, got %d", len(cfg.RootFS.DiffIDs), len(layers))
	}
	img := &lambda.Image{
		ID: ce.digest, Entrypoint: cfg.Config.Entrypoint, Cmd: cfg.Config.Cmd, Env: cfg.Config.Env,
		WorkingDir: cfg.Config.WorkingDir, User: cfg.Config.User, Labels: cfg.Config.Labels, CreatedAt: cfg.Created,
	}
	for i, l := range layers {
		le := lookup(entries, l)
		if le == nil {
			return nil, notSaveArchive("its manifest names layer %q, which is missing", l)
		}
		if le.digest != cfg.RootFS.DiffIDs[i] {
			return nil, notSaveArchive("invalid diffID for layer %d: expected %q, got %q", i, cfg.RootFS.DiffIDs[i], le.digest)
		}
		img.Size += le.size
	}
	for p := range cfg.Config.ExposedPorts {
		num, proto, _ := strings.Cut(p, "/")
		if n, err := strconv.Atoi(num); err == nil && (proto == "" || proto == "tcp") {
			img.Ports = append(img.Ports, n)
		}
	}
	slices.Sort(img.Ports)
	return img, nil
}

// lookup finds a regular file, following up to a few symlinks (docker
// save links layers shared between images).
func lookup(entries map[string]*archiveEntry, name string) *archiveEntry {
	e := entries[path.Clean(name)]
	for i := 0; e != nil && e.link != "" && i < 8; i++ {
		e = entries[e.link]
	}
	if e == nil || e.link != "" {
		return nil
	}
	return e
}

// validTag is a loose check of a repository:tag reference.
func validTag(tag string) bool {
	repo, t := tag, ""
	if i := strings.LastIndex(tag, ":"); i > strings.LastIndex(tag, "/") {
		repo, t = tag[:i], tag[i+1:]
		if !tagRE.MatchString(t) {
			return false
		}
	}
	return repoRE.MatchString(repo)
}

var (
	repoRE = regexp.MustCompile(`^[a-z0-9][a-z0-9._/:-]*$`)
	tagRE  = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$`)
)

func notSaveArchive(format string, args ...any) error {
	return lambda.Errorf(lambda.EINVALID, "not a docker save archive: "+format, args...)
}

func isDomainError(err error) bool {
	var le *lambda.Error
	return errors.As(err, &le)
}

// sourceError passes the source's own domain errors (a size limit) through
// and reports anything else as a broken archive.
func sourceError(err error) error {
	if isDomainError(err) {
		return err
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return notSaveArchive("it ends in the middle of an entry (truncated upload?)")
	}
	return notSaveArchive("%v", fmt.Sprint(err))
}
