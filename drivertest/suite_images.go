package drivertest

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lambdahq/lambda"
)

// ImageEngine is a driver that can also deploy prebuilt images.
type ImageEngine interface {
	lambda.Driver
	lambda.ImageDriver
}

// RunImages checks that the driver honours lambda.ImageDriver: archives
// made by ImageArchive load, inspect, list and run; anything else is
// refused with EINVALID and leaves nothing behind; the platform's images
// cannot be replaced by an upload.
func RunImages(t *testing.T, newDriver func(t *testing.T) ImageEngine) {
	d := newDriver(t)
	s := &imageSuite{suite: suite{b: d, d: d, pausable: true, prefix: "drivertest-" + randHex(4)}, img: d}
	if err := d.Ping(testContext(t)); err != nil {
		t.Fatalf("Ping: %v", err)
	}
	s.imageID, s.tag, s.buildLog = s.build(t, "base")
	t.Run("group", func(t *testing.T) {
		tests := []struct {
			name string
			fn   func(t *testing.T)
		}{
			{"LoadInspectListStart", s.testLoad},
			{"LoadGzip", s.testLoadGzip},
			{"LoadAgainAndRetag", s.testReload},
			{"LoadUntagged", s.testLoadUntagged},
			{"LoadRejectsBadArchives", s.testLoadRejects},
			{"LoadPassesSourceErrors", s.testSourceError},
			{"LoadReservedTags", s.testReservedTags},
			{"InspectBuilt", s.testInspectBuilt},
			{"InspectMissing", s.testInspectMissing},
			{"ListByLabel", s.testListByLabel},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				t.Parallel()
				tt.fn(t)
			})
		}
	})
}

type imageSuite struct {
	suite
	img lambda.ImageDriver
}

// load loads archive and removes what it loaded when the test ends.
func (s *imageSuite) load(t *testing.T, archive []byte, cleanup ...string) ([]string, string) {
	t.Helper()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		for _, ref := range cleanup {
			_ = s.b.RemoveImage(ctx, ref)
		}
	})
	var out bytes.Buffer
	refs, err := s.img.LoadImage(testContext(t), bytes.NewReader(archive), &out)
	if err != nil {
		t.Fatalf("LoadImage: %v\noutput:\n%s", err, out.String())
	}
	return refs, out.String()
}

func (s *imageSuite) testLoad(t *testing.T) {
	tag := s.prefix + "-loaded:v1"
	archive, id := TestArchive(t, s.prefix+"-loaded", tag)
	refs, out := s.load(t, archive, tag, id)
	if !slices.Equal(refs, []string{tag}) {
		t.Errorf("LoadImage returned %q, want [%s]", refs, tag)
	}
	if !strings.Contains(out, "Loaded image: "+tag) {
		t.Errorf("LoadImage output %q does not report the loaded tag", out)
	}
	img, err := s.img.InspectImage(testContext(t), tag)
	if err != nil {
		t.Fatalf("InspectImage: %v", err)
	}
	checks := []struct {
		what string
		ok   bool
	}{
		{"ID", img.ID == id},
		{"Tags", slices.Contains(img.Tags, tag)},
		{"Entrypoint", slices.Equal(img.Entrypoint, []string{"/server"})},
		{"Cmd", len(img.Cmd) == 0},
		{"Env", slices.Contains(img.Env, "DRIVERTEST_LOADED=yes")},
		{"WorkingDir", img.WorkingDir == "/"},
		{"User", img.User == "1000:1000"},
		{"Ports", slices.Equal(img.Ports, []int{8080})},
		{"Labels", img.Labels["drivertest.image"] == s.prefix+"-loaded"},
		{"Size", img.Size > 1000},
		{"CreatedAt", img.CreatedAt.Equal(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))},
	}
	for _, c := range checks {
		if !c.ok {
			t.Errorf("InspectImage(%s).%s is wrong: %+v", tag, c.what, img)
		}
	}
	if listed := s.listed(t, id); listed == nil || !slices.Contains(listed.Tags, tag) || listed.Size <= 0 {
		t.Errorf("ListImages lists the loaded image as %+v, want it with tag %s", listed, tag)
	}
	inst := s.start(t, tag, "loaded", map[string]string{"GREETING": "from an archive"})
	if got := s.get(t, inst.Addr, "/env/GREETING"); got != "from an archive" {
		t.Errorf("GREETING in an instance of the loaded image = %q", got)
	}
}

func (s *imageSuite) testLoadGzip(t *testing.T) {
	tag := s.prefix + "-gzip:v1"
	archive, id := TestArchive(t, s.prefix+"-gzip", tag)
	var zipped bytes.Buffer
	zw := gzip.NewWriter(&zipped)
	_, _ = zw.Write(archive)
	_ = zw.Close()
	if refs, _ := s.load(t, zipped.Bytes(), tag, id); !slices.Equal(refs, []string{tag}) {
		t.Errorf("LoadImage of a gzip archive returned %q, want [%s]", refs, tag)
	}
}

func (s *imageSuite) testReload(t *testing.T) {
	tag := s.prefix + "-reload:v1"
	first, firstID := TestArchive(t, s.prefix+"-reload-1", tag)
	second, secondID := TestArchive(t, s.prefix+"-reload-2", tag)
	s.load(t, first, tag, firstID)
	if refs, _ := s.load(t, first, tag); !slices.Equal(refs, []string{tag}) {
		t.Errorf("loading the same archive again returned %q", refs)
	}
	// A user's own tag moves to the new image, as docker load does.
	s.load(t, second, tag, secondID)
	img, err := s.img.InspectImage(testContext(t), tag)
	if err != nil || img.ID != secondID {
		t.Fatalf("after loading a second image tagged %s, it names %+v (%v), want %s", tag, img, err, secondID)
	}
	if _, err := s.img.InspectImage(testContext(t), firstID); err != nil {
		t.Errorf("the first image should stay, untagged: %v", err)
	}
}

func (s *imageSuite) testLoadUntagged(t *testing.T) {
	archive, id := TestArchive(t, s.prefix+"-untagged")
	refs, _ := s.load(t, archive, id)
	if !slices.Equal(refs, []string{id}) {
		t.Errorf("LoadImage of an untagged image returned %q, want its ID [%s]", refs, id)
	}
	if _, err := s.img.InspectImage(testContext(t), id); err != nil {
		t.Errorf("InspectImage by ID: %v", err)
	}
	if listed := s.listed(t, id); listed != nil {
		t.Errorf("ListImages lists an untagged image: %+v", listed)
	}
}

func (s *imageSuite) testLoadRejects(t *testing.T) {
	tag := s.prefix + "-rejected:v1"
	// A layer of its own: Docker skips reading layers it already has, so
	// a shared one would load even when missing from the archive.
	good, _ := ImageArchive(t, ArchiveImage{Tags: []string{tag}, Files: []File{{Name: "unique", Data: []byte(s.prefix + randHex(8))}}})
	t.Cleanup(func() { _ = s.b.RemoveImage(context.Background(), tag) })
	tests := []struct {
		name    string
		archive []byte
	}{
		{"empty", nil},
		{"not a tar", []byte("this is not an image\n")},
		{"tar of something else", Tar(t, File{Name: "hello.txt", Data: []byte("hi")})},
		{"truncated", good[:len(good)/2]},
		{"manifest not JSON", rewriteTar(t, good, func(name string, data []byte) ([]byte, bool) {
			if name == "manifest.json" {
				return []byte("{nope"), true
			}
			return data, true
		})},
		{"layer missing", rewriteTar(t, good, func(name string, data []byte) ([]byte, bool) {
			return data, !strings.HasSuffix(name, "layer.tar")
		})},
		{"layer altered", rewriteTar(t, good, func(name string, data []byte) ([]byte, bool) {
			if strings.HasSuffix(name, "layer.tar") {
				return Tar(t, File{Name: "server", Data: []byte("not the server")}), true
			}
			return data, true
		})},
	}
	for _, tt := range tests {
		refs, err := s.img.LoadImage(testContext(t), bytes.NewReader(tt.archive), io.Discard)
		t.Logf("LoadImage of %s: %v", tt.name, err)
		wantCode(t, "LoadImage of "+tt.name, err, lambda.EINVALID)
		if msg := lambda.ErrorMessage(err); !strings.HasPrefix(msg, "not a docker save archive: ") {
			t.Errorf("LoadImage of %s: message %q does not say what is wrong", tt.name, msg)
		}
		if refs != nil {
			t.Errorf("LoadImage of %s returned refs %q with its error", tt.name, refs)
		}
		if ok, _ := s.b.ImageExists(testContext(t), tag); ok {
			_ = s.b.RemoveImage(context.Background(), tag)
			t.Errorf("LoadImage of %s failed but left %s behind", tt.name, tag)
		}
	}
}

func (s *imageSuite) testSourceError(t *testing.T) {
	tag := s.prefix + "-limited:v1"
	archive, _ := TestArchive(t, s.prefix+"-limited", tag)
	limit := lambda.Errorf(lambda.ETOOLARGE, "image archive is over the limit")
	src := io.MultiReader(bytes.NewReader(archive[:len(archive)/2]), &failingReader{err: limit})
	_, err := s.img.LoadImage(testContext(t), src, io.Discard)
	if !errors.Is(err, limit) && lambda.ErrorMessage(err) != limit.Message {
		t.Errorf("LoadImage with a failing source returned %v, want the source's error %v", err, limit)
	}
	wantCode(t, "LoadImage with a failing source", err, lambda.ETOOLARGE)
	if ok, _ := s.b.ImageExists(testContext(t), tag); ok {
		t.Errorf("a failed load left %s behind", tag)
	}
}

func (s *imageSuite) testReservedTags(t *testing.T) {
	reserved := "func-" + s.prefix + ":v1"
	archive, _ := TestArchive(t, s.prefix+"-reserved", reserved)
	_, err := s.img.LoadImage(testContext(t), bytes.NewReader(archive), io.Discard)
	wantCode(t, "LoadImage of an image tagged "+reserved, err, lambda.EINVALID)
	if !strings.Contains(lambda.ErrorMessage(err), "reserved") {
		t.Errorf("message %q does not say the name is reserved", lambda.ErrorMessage(err))
	}
	if ok, _ := s.b.ImageExists(testContext(t), reserved); ok {
		_ = s.b.RemoveImage(context.Background(), reserved)
		t.Errorf("the refused load left %s behind", reserved)
	}

	// s.tag names an image the platform built (lambda.managed=true).
	archive, _ = TestArchive(t, s.prefix+"-takeover", s.tag)
	_, err = s.img.LoadImage(testContext(t), bytes.NewReader(archive), io.Discard)
	wantCode(t, "LoadImage replacing a platform image", err, lambda.ECONFLICT)
	if img, err := s.img.InspectImage(testContext(t), s.tag); err != nil || img.ID != s.imageID {
		t.Errorf("after a refused takeover %s names %+v (%v), want %s", s.tag, img, err, s.imageID)
	}
}

func (s *imageSuite) testInspectBuilt(t *testing.T) {
	img, err := s.img.InspectImage(testContext(t), s.tag)
	if err != nil {
		t.Fatalf("InspectImage of a built image: %v", err)
	}
	if img.ID != s.imageID || !slices.Equal(img.Entrypoint, []string{"/server"}) ||
		img.Labels[lambda.LabelManaged] != "true" || img.Labels["drivertest.image"] != s.prefix+"-base" {
		t.Errorf("InspectImage(%s) = %+v, want ID %s, entrypoint /server and the build's labels", s.tag, img, s.imageID)
	}
	if listed := s.listed(t, s.imageID); listed != nil {
		t.Errorf("ListImages lists an image of the platform: %+v", listed)
	}
}

func (s *imageSuite) testInspectMissing(t *testing.T) {
	_, err := s.img.InspectImage(testContext(t), s.prefix+"-nothing:v1")
	wantCode(t, "InspectImage of a missing image", err, lambda.ENOTFOUND)
	_, err = s.img.InspectImage(testContext(t), "")
	wantCode(t, "InspectImage of an empty reference", err, lambda.EINVALID)
}

func (s *imageSuite) testListByLabel(t *testing.T) {
	fn := s.prefix + "-labelled"
	tag := s.prefix + "-labelled:v1"
	first := buildFunctionImage(t, s.d.(ImageEngine), fn, tag)
	// Building the tag again with other content leaves the first image
	// dangling, as a version rebuilt after a crash does.
	var out bytes.Buffer
	second, err := s.b.BuildImage(testContext(t), lambda.BuildRequest{
		Context: bytes.NewReader(TestImage(t)),
		Tags:    []string{tag},
		Labels:  map[string]string{lambda.LabelManaged: "true", lambda.LabelFunction: fn, lambda.LabelVersion: "2"},
		Output:  &out,
	})
	if err != nil {
		t.Fatalf("BuildImage: %v\n%s", err, out.String())
	}
	t.Cleanup(func() { _ = s.b.RemoveImage(context.Background(), second) })
	list, err := s.img.ListImagesByLabel(testContext(t), map[string]string{lambda.LabelManaged: "true", lambda.LabelFunction: fn})
	if err != nil {
		t.Fatalf("ListImagesByLabel: %v", err)
	}
	got := map[string][]string{}
	for _, img := range list {
		got[img.ID] = img.Tags
	}
	if tags, ok := got[first.ID]; !ok || len(tags) != 0 {
		t.Errorf("ListImagesByLabel lists the dangling image %s as %q (listed: %v), want it without tags", first.ID, tags, ok)
	}
	if tags := got[second]; !slices.Equal(tags, []string{tag}) {
		t.Errorf("ListImagesByLabel lists %s with tags %q, want [%s]", second, tags, tag)
	}
	if len(got) != 2 {
		t.Errorf("ListImagesByLabel lists %d images, want the 2 of function %s: %v", len(got), fn, got)
	}
	if _, ok := got[s.imageID]; ok {
		t.Errorf("ListImagesByLabel of function %s lists an image without that label", fn)
	}
	none, err := s.img.ListImagesByLabel(testContext(t), map[string]string{lambda.LabelFunction: fn + "-nothing"})
	if err != nil || len(none) != 0 {
		t.Errorf("ListImagesByLabel of a function without images = %v, %v; want none", none, err)
	}
}

// listed returns the listed image with id, or nil.
func (s *imageSuite) listed(t *testing.T, id string) *lambda.Image {
	t.Helper()
	list, err := s.img.ListImages(testContext(t))
	if err != nil {
		t.Fatalf("ListImages: %v", err)
	}
	for _, img := range list {
		if img.ID == id {
			return img
		}
	}
	return nil
}

// rewriteTar rewrites each entry of a tar stream with fn, which returns
// the new content and whether to keep the entry.
func rewriteTar(t *testing.T, archive []byte, fn func(name string, data []byte) ([]byte, bool)) []byte {
	t.Helper()
	var files []File
	tr := tar.NewReader(bytes.NewReader(archive))
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("read tar: %v", err)
		}
		data, err := io.ReadAll(tr)
		if err != nil {
			t.Fatalf("read tar: %v", err)
		}
		if data, keep := fn(hdr.Name, data); keep {
			files = append(files, File{Name: hdr.Name, Data: data, Mode: hdr.Mode})
		}
	}
	return Tar(t, files...)
}

// failingReader fails every read with err.
type failingReader struct{ err error }

func (r *failingReader) Read([]byte) (int, error) { return 0, r.err }
