package runtimes

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lambdahq/lambda"
	"github.com/lambdahq/lambda/drivertest"
)

func TestBaseImageNames(t *testing.T) {
	for _, tc := range []struct {
		deb, upstream string
		parts         int
		short         string
	}{
		{"3.11.2-1+b1", "3.11.2", 2, "3.11"},
		{"18.19.0+dfsg-6~deb12u2", "18.19.0", 1, "18"},
		{"1:2.38-3", "2.38", 2, "2.38"},
		{"20.20.2-1nodesource1+repack1", "20.20.2", 1, "20"},
		{"3.12.3-0ubuntu2", "3.12.3", 2, "3.12"},
		{"5", "5", 2, "5"},
	} {
		if got := upstreamVersion(tc.deb); got != tc.upstream {
			t.Errorf("upstreamVersion(%q) = %q, want %q", tc.deb, got, tc.upstream)
		}
		if got := shortVersion(tc.upstream, tc.parts); got != tc.short {
			t.Errorf("shortVersion(%q, %d) = %q, want %q", tc.upstream, tc.parts, got, tc.short)
		}
	}

	dir := t.TempDir()
	for content, want := range map[string]string{
		"PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nID=debian\nVERSION_ID=\"12\"\n": "debian12",
		"ID=ubuntu\nVERSION_ID=\"24.04\"\nID_LIKE=debian\n":                              "ubuntu24.04",
		"ID=debian\n": "debian", // testing and sid have no VERSION_ID
	} {
		p := filepath.Join(dir, "os-release")
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		if got := hostDistro(p); got != want {
			t.Errorf("hostDistro(%q) = %q, want %q", content, got, want)
		}
	}
	if got := hostDistro(filepath.Join(dir, "missing")); got != "debian" {
		t.Errorf("hostDistro without os-release = %q", got)
	}

	policy := "python3:\n  Installed: (none)\n  Candidate: 3.11.2-1+b1\n  Version table:\n     3.11.2-1+b1 500\n"
	if got := parseCandidate([]byte(policy)); got != "3.11.2-1+b1" {
		t.Errorf("parseCandidate = %q", got)
	}
	if got := parseCandidate([]byte("nodejs:\n  Installed: (none)\n  Candidate: (none)\n")); got != "" {
		t.Errorf("parseCandidate of none = %q", got)
	}
}

func TestLanguageVersion(t *testing.T) {
	for _, tc := range []struct {
		img     *lambda.Image
		runtime string
		want    string
	}{
		{&lambda.Image{Labels: map[string]string{labelLanguageVersion: "3.11.2"}, Env: []string{"PYTHON_VERSION=9"}}, "python", "3.11.2"},
		{&lambda.Image{Env: []string{"PATH=/bin", "PYTHON_VERSION=3.12.7"}}, "python", "3.12.7"},
		{&lambda.Image{Env: []string{"NODE_VERSION=22.11.0"}}, "node", "22.11.0"},
		{&lambda.Image{Env: []string{"GOLANG_VERSION=1.26.0"}}, "go", "1.26.0"},
		{&lambda.Image{Env: []string{"NODE_VERSION=22.11.0"}}, "python", ""},
		{nil, "python", ""},
	} {
		if got := languageVersion(tc.img, tc.runtime); got != tc.want {
			t.Errorf("languageVersion(%+v, %s) = %q, want %q", tc.img, tc.runtime, got, tc.want)
		}
	}
	goroot := t.TempDir()
	os.MkdirAll(filepath.Join(goroot, "bin"), 0o755)
	os.WriteFile(filepath.Join(goroot, "VERSION"), []byte("go1.26.1\ntime 2026-11-01\n"), 0o644)
	if got := hostGoVersion(filepath.Join(goroot, "bin", "go")); got != "1.26.1" {
		t.Errorf("hostGoVersion = %q", got)
	}
}

// taggingDriver is a fakeDriver that can tag, as the docker driver does;
// its images are never dangling.
type taggingDriver struct {
	*fakeDriver
	tagged [][2]string
	before func() // runs before a tag
}

func (d *taggingDriver) TagImage(ctx context.Context, source, target string) error {
	if d.before != nil {
		d.before()
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if !d.images[source] {
		return lambda.Errorf(lambda.ENOTFOUND, "no %s", source)
	}
	d.images[target] = true
	d.tagged = append(d.tagged, [2]string{source, target})
	return nil
}

func (d *taggingDriver) DanglingImages(context.Context, map[string]string) ([]string, error) {
	return nil, nil
}

// publish makes an image under a private name and tags it; when another
// server made the name meanwhile, it uses that one and drops its own.
func TestPublish(t *testing.T) {
	for _, tc := range []struct {
		name       string
		madeByPeer bool
	}{{"winner", false}, {"loser", true}} {
		t.Run(tc.name, func(t *testing.T) {
			f := &fakeDriver{images: map[string]bool{}}
			d := &taggingDriver{fakeDriver: f}
			r := NewRegistry(d)
			const ref = "lambda-base/python:3.11-debian12"
			var made string
			var out strings.Builder
			exists := func(context.Context) (bool, error) { return f.images[ref], nil }
			err := r.publish(context.Background(), ref, &out, exists, func(tmp string) error {
				made = tmp
				f.images[tmp] = true
				if tc.madeByPeer {
					f.images[ref] = true
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(made, ref+"-making-") {
				t.Errorf("made under %q, want a private name", made)
			}
			if len(f.removed) != 1 || f.removed[0] != made {
				t.Errorf("removed %v, want the private name %s", f.removed, made)
			}
			switch {
			case tc.madeByPeer && (len(d.tagged) != 0 || !strings.Contains(out.String(), "another server")):
				t.Errorf("loser tagged %v; said %q", d.tagged, out.String())
			case !tc.madeByPeer && (len(d.tagged) != 1 || d.tagged[0] != [2]string{made, ref}):
				t.Errorf("winner tagged %v", d.tagged)
			}
		})
	}
	if got := privateRef("registry:5000/x/y"); !strings.HasPrefix(got, "registry:5000/x/y:latest-making-") {
		t.Errorf("privateRef without a tag = %q", got)
	}
	if got := privateRef("a:" + strings.Repeat("t", 128)); len(got) > len("a:")+128 {
		t.Errorf("privateRef over 128 characters of tag: %q", got)
	}
}

// Without a registry, a base image is assembled under a name that says
// what it holds, and the official name is left alone.
func TestEnsureBaseNamesWhatItHolds(t *testing.T) {
	if err := NewDebian().Available(); err != nil {
		drivertest.SkipOrFail(t, "%v", err)
	}
	f := deadRegistry()
	f.images = map[string]bool{}
	r := NewRegistry(f)
	var imported []string
	r.Importer = importerFunc2(func(ref string, changes []string) error {
		imported = append(imported, ref)
		f.images[ref] = true
		return nil
	})
	ref, version, err := r.localBase(context.Background(), python, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(ref, "lambda-base/python:3.") || !strings.Contains(ref, "-"+hostDistro("/etc/os-release")) || version == "" {
		t.Fatalf("localBase = %q, %q", ref, version)
	}
	f.images[ref] = true // assembled before: reused, not assembled again
	got, err := r.ensureBase(context.Background(), python, io.Discard)
	if err != nil || got != ref || len(imported) != 0 {
		t.Errorf("ensureBase = %q, %v; imported %v; want %s reused", got, err, imported, ref)
	}
	if f.images[r.PythonImage] {
		t.Errorf("%s was tagged", r.PythonImage)
	}
}

type importerFunc2 func(ref string, changes []string) error

func (f importerFunc2) ImportImage(_ context.Context, _ io.Reader, ref string, changes []string) error {
	return f(ref, changes)
}

// lambda runtimes shows the base image in use and the version it holds:
// an assembled one under its own name, an official one as pulled; an
// image an older server assembled under an official name is not used.
func TestListRuntimesVersions(t *testing.T) {
	d := &fakeDriver{images: map[string]bool{}}
	r := NewRegistry(d)
	r.Images = fakeImages{d: d}
	pyRuntime, _ := r.runtimeImage(python)
	const local = "lambda-base/python:3.11-debian12"
	d.images[r.PythonImage] = true // assembled by an older server under the official name
	d.images[local], d.images[pyRuntime], d.images[r.NodeImage] = true, true, true
	d.inspect = map[string]*lambda.Image{
		r.PythonImage: {Labels: map[string]string{labelSource: labelSourceDeb}},
		local:         {Labels: map[string]string{labelSource: labelSourceDeb, labelLanguageVersion: "3.11.2"}},
		pyRuntime:     {Labels: map[string]string{labelBaseImage: local}},
		r.NodeImage:   {Env: []string{"NODE_VERSION=22.11.0"}},
	}
	infos, err := r.ListRuntimes(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]lambda.RuntimeInfo{}
	for _, info := range infos {
		got[info.Name] = info
	}
	if py := got["python"]; py.Version != "3.11.2" || py.Images[0].Name != local || !py.Images[0].Present || py.Images[0].Source != sourceDebian {
		t.Errorf("python: %+v", py)
	}
	if n := got["node"]; n.Version != "22.11.0" || n.Images[0].Name != r.NodeImage {
		t.Errorf("node: %+v", n)
	}
	if g := got["go"]; g.Version != hostGoVersion(r.HostGo) {
		t.Errorf("go: version %q, want the host toolchain's %q", g.Version, hostGoVersion(r.HostGo))
	}
	if got["dockerfile"].Version != "" {
		t.Errorf("dockerfile: version %q", got["dockerfile"].Version)
	}
}
