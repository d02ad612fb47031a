package e2e

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestBadInput feeds the server and CLI what users get wrong: each gets a
// clear error, nothing is created, and the server keeps serving.
func TestBadInput(t *testing.T) {
	requireDocker(t)
	s := startServer(t)

	empty := t.TempDir()
	noRuntime := t.TempDir()
	if err := os.WriteFile(filepath.Join(noRuntime, "README.txt"), []byte("hi"), 0o644); err != nil {
		t.Fatal(err)
	}
	big := t.TempDir()
	if err := os.WriteFile(filepath.Join(big, "go.mod"), []byte("module x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	blob := make([]byte, 51<<20)
	for i := range blob {
		blob[i] = byte(i*7919 + i>>8)
	}
	if err := os.WriteFile(filepath.Join(big, "blob.bin"), blob, 0o644); err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"bad name", []string{"deploy", "testdata/fixture", "--name", "Bad_Name"}, "Bad_Name"},
		{"leading dash", []string{"deploy", "testdata/fixture", "--name", "-x"}, "dash"},
		{"too long", []string{"deploy", "testdata/fixture", "--name", strings.Repeat("a", 64)}, "64 characters"},
		{"missing dir", []string{"deploy", "testdata/nope", "--name", "x"}, "testdata/nope"},
		{"empty dir", []string{"deploy", empty, "--name", "x"}, "no files"},
		{"no runtime", []string{"deploy", noRuntime, "--name", "x"}, "Dockerfile"},
		{"too large", []string{"deploy", big, "--name", "x"}, ".lambdaignore"},
		{"bad env", []string{"deploy", "testdata/fixture", "--name", "x", "--env", "NOEQUALS"}, "KEY=VALUE"},
		{"bad memory", []string{"deploy", "testdata/fixture", "--name", "x", "--memory", "lots"}, "lots"},
		{"bad timeout", []string{"deploy", "testdata/fixture", "--name", "x", "--timeout", "forever"}, "forever"},
		{"timeout too long", []string{"deploy", "testdata/fixture", "--name", "x", "--timeout", "16m"}, "timeout"},
		{"bad json", []string{"invoke", "x", "--data", "{nope"}, "JSON"},
		{"unknown function", []string{"describe", "nosuch"}, `"nosuch" not found`},
		{"unknown delete", []string{"delete", "nosuch"}, `"nosuch" not found`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := s.lambda(tc.args...)
			if res.code == 0 || !strings.Contains(res.stderr, tc.want) {
				t.Errorf("exit %d, stderr lacks %q:\n%s", res.code, tc.want, res.stderr)
			}
		})
	}
	if res := s.mustLambda("list", "-o", "json"); strings.Contains(res.stdout, `"name"`) {
		t.Errorf("bad input created functions: %s", res.stdout)
	}
	if out := docker(t, "images", "-q", "func-x"); out != "" {
		t.Errorf("bad input left images: %s", out)
	}

	// Archives a modified client could send.
	for _, tc := range []struct {
		name  string
		entry tar.Header
		want  string
	}{
		{"parent path", tar.Header{Name: "../escape.txt", Typeflag: tar.TypeReg, Size: 1, Mode: 0o644}, "escape"},
		{"absolute path", tar.Header{Name: "/etc/evil", Typeflag: tar.TypeReg, Size: 1, Mode: 0o644}, "/etc/evil"},
		{"escaping link", tar.Header{Name: "link", Typeflag: tar.TypeSymlink, Linkname: "../../../etc/passwd", Mode: 0o777}, "link"},
		{"device", tar.Header{Name: "dev", Typeflag: tar.TypeChar, Devmajor: 1, Devminor: 3, Mode: 0o644}, "dev"},
	} {
		t.Run("archive "+tc.name, func(t *testing.T) {
			resp, body := s.upload("evil", tc.entry)
			if resp.StatusCode != 400 || !strings.Contains(body, tc.want) {
				t.Errorf("%d %s", resp.StatusCode, body)
			}
		})
	}
	if _, err := os.Stat("/etc/evil"); err == nil {
		t.Error("an archive wrote /etc/evil")
	}
	if resp, body := s.request("GET", "", "/healthz", nil); resp.StatusCode != 200 {
		t.Errorf("server unhealthy after bad input: %s", body)
	}
}

// upload posts a one-entry archive straight to the deploy endpoint.
func (s *server) upload(name string, h tar.Header) (*http.Response, string) {
	s.t.Helper()
	var code bytes.Buffer
	gz := gzip.NewWriter(&code)
	tw := tar.NewWriter(gz)
	_ = tw.WriteHeader(&tar.Header{Name: "go.mod", Typeflag: tar.TypeReg, Size: 9, Mode: 0o644})
	_, _ = tw.Write([]byte("module x\n"))
	if err := tw.WriteHeader(&h); err != nil {
		s.t.Fatal(err)
	}
	if h.Size > 0 {
		_, _ = tw.Write(bytes.Repeat([]byte("x"), int(h.Size)))
	}
	tw.Close()
	gz.Close()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	cfg, _ := mw.CreateFormField("config")
	_, _ = cfg.Write([]byte(`{"config":{}}`))
	part, _ := mw.CreateFormFile("code", "code.tar.gz")
	_, _ = part.Write(code.Bytes())
	mw.Close()
	req, _ := http.NewRequest("POST", s.url("/v1/functions/"+name+"/deploy"), &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	_, _ = b.ReadFrom(resp.Body)
	return resp, b.String()
}
