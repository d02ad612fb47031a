package drivertest

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"runtime"
	"slices"
	"testing"
	"time"
)

// ArchiveImage describes one image of an archive made by ImageArchive.
type ArchiveImage struct {
	Tags       []string
	Entrypoint []string
	Cmd        []string
	Env        []string
	WorkingDir string
	User       string
	Ports      []int // exposed TCP ports
	Labels     map[string]string
	Created    time.Time
	Files      []File // the content of its single layer
}

// ImageArchive returns a `docker save` archive (the manifest.json format
// Docker 1.10 and later write and load) holding imgs, and the image ID
// Docker assigns to each: the digest of its config. Docker and the Fake
// both load it, so the suite can check LoadImage without the docker CLI.
func ImageArchive(t testing.TB, imgs ...ArchiveImage) (archive []byte, ids []string) {
	t.Helper()
	type manifestEntry struct {
		Config   string
		RepoTags []string
		Layers   []string
	}
	var files []File
	var manifest []manifestEntry
	for _, img := range imgs {
		layer := Tar(t, img.Files...)
		diffID := digest(layer)
		config, err := json.Marshal(imageConfig(img, diffID))
		if err != nil {
			t.Fatalf("encode image config: %v", err)
		}
		id := digest(config)
		layerPath := id[7:] + "/layer.tar" // one layer per image: no clash
		files = append(files, File{Name: id[7:] + ".json", Data: config}, File{Name: layerPath, Data: layer})
		manifest = append(manifest, manifestEntry{Config: id[7:] + ".json", RepoTags: img.Tags, Layers: []string{layerPath}})
		ids = append(ids, id)
	}
	m, err := json.Marshal(manifest)
	if err != nil {
		t.Fatalf("encode manifest: %v", err)
	}
	files = append(files, File{Name: "manifest.json", Data: m})
	return Tar(t, files...), ids
}

// imageConfig is the image's config document as Docker writes it.
func imageConfig(img ArchiveImage, diffID string) map[string]any {
	cfg := map[string]any{}
	set := func(k string, v any, ok bool) {
		if ok {
			cfg[k] = v
		}
	}
	set("Entrypoint", img.Entrypoint, img.Entrypoint != nil)
	set("Cmd", img.Cmd, img.Cmd != nil)
	set("Env", img.Env, img.Env != nil)
	set("WorkingDir", img.WorkingDir, img.WorkingDir != "")
	set("User", img.User, img.User != "")
	set("Labels", img.Labels, img.Labels != nil)
	if len(img.Ports) > 0 {
		ports := map[string]struct{}{}
		for _, p := range slices.Sorted(slices.Values(img.Ports)) {
			ports[fmt.Sprintf("%d/tcp", p)] = struct{}{}
		}
		cfg["ExposedPorts"] = ports
	}
	created := img.Created
	if created.IsZero() {
		created = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	}
	return map[string]any{
		"architecture": runtime.GOARCH,
		"os":           "linux",
		"created":      created.UTC().Format(time.RFC3339Nano),
		"config":       cfg,
		"rootfs":       map[string]any{"type": "layers", "diff_ids": []string{diffID}},
		"history":      []map[string]any{{"created": created.UTC().Format(time.RFC3339Nano), "created_by": "drivertest.ImageArchive"}},
	}
}

// TestArchive returns an archive of the test server (see TestImage) tagged
// tags, with label drivertest.image=unique so that no other test shares
// its image ID, and that ID.
func TestArchive(t testing.TB, unique string, tags ...string) (archive []byte, id string) {
	t.Helper()
	bin, err := compileServer()
	if err != nil {
		t.Fatalf("compile the test server: %v", err)
	}
	a, ids := ImageArchive(t, ArchiveImage{
		Tags:       tags,
		Entrypoint: []string{"/server"},
		Env:        []string{"PATH=/", "DRIVERTEST_LOADED=yes"},
		WorkingDir: "/",
		User:       "1000:1000",
		Ports:      []int{8080},
		Labels:     map[string]string{"drivertest.image": unique},
		Files:      []File{{Name: "server", Data: bin, Mode: 0o755}},
	})
	return a, ids[0]
}

func digest(b []byte) string {
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:])
}
