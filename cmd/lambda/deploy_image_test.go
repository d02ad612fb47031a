package main

import (
	"archive/tar"
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	lambdahttp "github.com/lambdahq/lambda/http"
)

// imageArchiveFile writes a small tar file (any content the fake API
// accepts) and returns its path.
func imageArchiveFile(t *testing.T, content string) string {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	_ = tw.WriteHeader(&tar.Header{Name: "manifest.json", Mode: 0o644, Size: int64(len(content)), Format: tar.FormatUSTAR})
	_, _ = tw.Write([]byte(content))
	_ = tw.Close()
	path := filepath.Join(t.TempDir(), "app.tar")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestDeployImage(t *testing.T) {
	api, url := newFakeAPI(t)
	stdout, stderr, code := runCLI(t, url, "", "deploy", "--image", "example/app:v1", "--name", "app",
		"--protocol", "aws", "--port", "9000", "--handler", "bootstrap.main", "--env", "A=1", "--memory", "128m", "--timeout", "10s",
		"--concurrency", "2", "--min-instances", "0", "--max-instances", "3")
	if code != 0 {
		t.Fatalf("exit %d, stderr:\n%s", code, stderr)
	}
	wantErr := "[1/2] Resolving image \"example/app:v1\"... Done.\n[2/2] Starting container... Done.\n"
	if stderr != wantErr {
		t.Errorf("stderr:\n%s\nwant:\n%s", stderr, wantErr)
	}
	if want := "Your function is live at: http://app.localhost:8080\n"; stdout != want {
		t.Errorf("stdout = %q, want %q", stdout, want)
	}
	req := api.lastDeploy
	c := req.Config
	if api.lastSource != "image" || req.Image != "example/app:v1" || c.Protocol != "aws" || c.Port != 9000 || c.Handler != "bootstrap.main" ||
		c.Env["A"] != "1" || c.MemoryBytes != 128<<20 || c.Runtime != "" {
		t.Errorf("deploy sent %s: %+v", api.lastSource, req)
	}
	if s := req.Scaling; s.Concurrency == nil || *s.Concurrency != 2 || s.MinInstances == nil || *s.MinInstances != 0 || s.MaxInstances == nil || *s.MaxInstances != 3 || s.IdleTimeout != nil {
		t.Errorf("scaling sent = %+v", s)
	}
}

func TestDeployImageArchive(t *testing.T) {
	api, url := newFakeAPI(t)
	path := imageArchiveFile(t, `[{"Config":"x.json"}]`)
	stdout, stderr, code := runCLI(t, url, "", "deploy", "--image-archive", path, "--name", "app", "-o", "json")
	if code != 0 {
		t.Fatalf("exit %d, stderr:\n%s", code, stderr)
	}
	// The upload has no number: the server numbers its steps.
	wantErr := "Uploading image archive... Done.\n[1/2] Loading image archive...\nLoaded image: app:v1\n[2/2] Starting container... Done.\n"
	if stderr != wantErr {
		t.Errorf("stderr:\n%s\nwant:\n%s", stderr, wantErr)
	}
	if !strings.Contains(stdout, `"name": "app"`) {
		t.Errorf("stdout = %q, want the function as JSON", stdout)
	}
	sent, _ := os.ReadFile(path)
	if api.lastSource != "image-archive" || !bytes.Equal(api.lastArchive, sent) || api.lastDeploy.Image != "" {
		t.Errorf("deploy sent %s with %d bytes, want the file's %d bytes", api.lastSource, len(api.lastArchive), len(sent))
	}
}

func TestDeployImageArchiveRejectedByServer(t *testing.T) {
	_, url := newFakeAPI(t)
	path := imageArchiveFile(t, "CORRUPT")
	_, stderr, code := runCLI(t, url, "", "deploy", "--image-archive", path, "--name", "app")
	want := "Uploading image archive... Done.\n[1/2] Loading image archive... Failed.\nError: not a docker save archive: its manifest.json is invalid\nNothing was deployed: \"app\" has no version yet.\n"
	if code != 1 || stderr != want {
		t.Errorf("exit %d, stderr:\n%s\nwant:\n%s", code, stderr, want)
	}
}

func TestDeployMissingImage(t *testing.T) {
	api, url := newFakeAPI(t)
	api.add("app", 2, time.Now())
	_, stderr, code := runCLI(t, url, "", "deploy", "--image", "missing:v1", "--name", "app")
	want := "[1/2] Resolving image \"missing:v1\"... Failed.\nError: image \"missing:v1\" is not on the host and could not be pulled: no registry answers\nNothing changed: version 2 of \"app\" still serves requests.\n"
	if code != 1 || stderr != want {
		t.Errorf("exit %d, stderr:\n%s\nwant:\n%s", code, stderr, want)
	}
}

func TestDeploySourceErrors(t *testing.T) {
	_, url := newFakeAPI(t)
	dir := functionDir(t, "greet")
	archive := imageArchiveFile(t, "[]")
	notTar := filepath.Join(t.TempDir(), "notes.txt")
	if err := os.WriteFile(notTar, []byte("hello"), 0o644); err != nil {
		t.Fatal(err)
	}
	huge := filepath.Join(t.TempDir(), "huge.tar")
	if f, err := os.Create(huge); err != nil {
		t.Fatal(err)
	} else {
		// Sparse: no disk space is used.
		if err := f.Truncate(lambdahttp.MaxImageArchiveBytes + 1); err != nil {
			t.Fatal(err)
		}
		f.Close()
	}
	missing := filepath.Join(t.TempDir(), "nope.tar")
	tests := []struct {
		name string
		args []string
		want string // first line of stderr
	}{
		{"directory and image", []string{"deploy", dir, "--image", "x:v1", "--name", "a"},
			`Error: deploy takes exactly one source: a directory, --image or --image-archive; got the directory "` + dir + `" and --image`},
		{"image and archive", []string{"deploy", "--image", "x:v1", "--image-archive", archive, "--name", "a"},
			`Error: deploy takes exactly one source: a directory, --image or --image-archive; got --image and --image-archive`},
		{"image without name", []string{"deploy", "--image", "x:v1"}, `Error: --name is required with --image: choose the function's name, e.g. --name web`},
		{"archive without name", []string{"deploy", "--image-archive", archive}, `Error: --name is required with --image-archive: choose the function's name, e.g. --name web`},
		{"bad name", []string{"deploy", "--image", "x:v1", "--name", "Web"}, `Error: --name: function name "Web" contains 'W': use 1-63 lowercase letters, digits or dashes, not starting or ending with a dash`},
		{"empty image", []string{"deploy", "--image", "", "--name", "a"}, `Error: --image is empty: name an image on the server's host, e.g. --image nginx:1.27`},
		{"empty archive", []string{"deploy", "--image-archive", "", "--name", "a"}, `Error: --image-archive is empty: give the path of a "docker save" tarball`},
		{"runtime with image", []string{"deploy", "--image", "x:v1", "--name", "a", "--runtime", "go"},
			`Error: --runtime does not apply to --image: the image is the runtime; use --protocol to say how it is called`},
		{"bad protocol", []string{"deploy", "--image", "x:v1", "--name", "a", "--protocol", "grpc"}, `Error: --protocol "grpc" is not supported: use http, aws, stdio`},
		{"bad port", []string{"deploy", "--image", "x:v1", "--name", "a", "--port", "0"}, `Error: --port 0 is out of range 1-65535`},
		{"port not a number", []string{"deploy", "--image", "x:v1", "--name", "a", "--port", "http"}, `Error: invalid argument "http" for "--port" flag: strconv.ParseInt: parsing "http": invalid syntax`},
		{"bad concurrency", []string{"deploy", "--image", "x:v1", "--name", "a", "--concurrency", "-1"}, `Error: concurrency -1 is out of range 0-1000`},
		{"min above max", []string{"deploy", "--image", "x:v1", "--name", "a", "--min-instances", "5", "--max-instances", "2"}, `Error: min instances 5 is above max instances 2`},
		{"missing archive", []string{"deploy", "--image-archive", missing, "--name", "a"}, `Error: --image-archive: open ` + missing + `: no such file or directory`},
		{"archive is a directory", []string{"deploy", "--image-archive", dir, "--name", "a"},
			`Error: --image-archive: ` + dir + ` is not a file: give the path of a tarball made with "docker save IMAGE -o FILE.tar"`},
		{"archive is not a tar", []string{"deploy", "--image-archive", notTar, "--name", "a"},
			`Error: --image-archive: ` + notTar + ` is not a docker save archive (neither a tar file nor gzip): create it with "docker save IMAGE -o FILE.tar"`},
		{"archive too big", []string{"deploy", "--image-archive", huge, "--name", "a"},
			`Error: --image-archive: ` + huge + ` is 2.15GB, over the 2 GB limit of image archives: make the image smaller, or load it on the server's host with "docker load" and deploy it with --image`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stdout, stderr, code := runCLI(t, url, "", tt.args...)
			if code != 1 || stdout != "" {
				t.Errorf("exit %d, stdout %q", code, stdout)
			}
			if first, _, _ := strings.Cut(stderr, "\n"); first != tt.want {
				t.Errorf("stderr:\n%s\nwant first line:\n%s", stderr, tt.want)
			}
		})
	}
}

func TestUploadProgressBarOnTerminal(t *testing.T) {
	var out bytes.Buffer
	p := &deployProgress{w: &out, tty: true}
	p.beginUpload("Uploading image archive", 4<<20)
	r := p.uploadReader(bytes.NewReader(make([]byte, 4<<20)))
	buf := make([]byte, 64<<10)
	for {
		if _, err := r.Read(buf); err != nil {
			break
		}
	}
	p.event(lambdahttp.DeployEvent{Type: lambdahttp.EventStep, Step: 1, Total: 2, Message: "Loading image archive"})
	p.event(lambdahttp.DeployEvent{Type: lambdahttp.EventStep, Step: 2, Total: 2, Message: "Starting container"})
	p.finish()
	got := out.String()
	if !strings.Contains(got, "\rUploading image archive ") || !strings.Contains(got, "%") {
		t.Errorf("no progress bar was drawn: %q", got)
	}
	// The server's steps follow the CLI's unnumbered upload.
	if want := "Uploading image archive... Done.\n[1/2] Loading image archive... Done.\n[2/2] Starting container... Done.\n"; !strings.HasSuffix(got, want) {
		t.Errorf("output %q does not end with %q", got, want)
	}
}

func TestUploadFailureEndsTheLine(t *testing.T) {
	var out bytes.Buffer
	p := &deployProgress{w: &out}
	p.beginUpload("Uploading image archive", 10)
	p.fail()
	if got, want := out.String(), "Uploading image archive... Failed.\n"; got != want {
		t.Errorf("output %q, want %q", got, want)
	}
}

func TestLooksLikeArchive(t *testing.T) {
	ustar := make([]byte, 512)
	copy(ustar[257:], "ustar\x0000")
	for _, tt := range []struct {
		head []byte
		want bool
	}{{ustar, true}, {[]byte{0x1f, 0x8b, 8}, true}, {[]byte("hello"), false}, {nil, false}, {make([]byte, 512), false}} {
		if got := looksLikeArchive(tt.head); got != tt.want {
			t.Errorf("looksLikeArchive(%q...) = %v", tt.head[:min(len(tt.head), 8)], got)
		}
	}
}

func TestHumanSize(t *testing.T) {
	for n, want := range map[int64]string{0: "0B", 999: "999B", 1000: "1kB", 6_290_000: "6.29MB", 2 << 30: "2.15GB"} {
		if got := humanSize(n); got != want {
			t.Errorf("humanSize(%d) = %q, want %q", n, got, want)
		}
	}
}
