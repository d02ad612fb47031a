package e2e

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// entry is one tar entry of a crafted code archive; body fills a regular
// file (size bytes of zeros when body is empty and size is set).
type entry struct {
	tar.Header
	body string
}

func file(name, body string) entry {
	return entry{tar.Header{Name: name, Typeflag: tar.TypeReg, Mode: 0o644, Size: int64(len(body))}, body}
}

var goMod = file("go.mod", "module x\n")

// tarGz builds a code archive as a modified client could send it: the
// server is the only line of defence.
func tarGz(t *testing.T, level int, entries ...entry) []byte {
	t.Helper()
	var out bytes.Buffer
	gz, err := gzip.NewWriterLevel(&out, level)
	if err != nil {
		t.Fatal(err)
	}
	tw := tar.NewWriter(gz)
	for _, e := range entries {
		h := e.Header
		if err := tw.WriteHeader(&h); err != nil {
			t.Fatalf("tar header %q: %v", h.Name, err)
		}
		if e.body != "" {
			_, _ = tw.Write([]byte(e.body))
		} else if h.Typeflag == tar.TypeReg && h.Size > 0 {
			_, _ = io.Copy(tw, io.LimitReader(zeros{}, h.Size))
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := gz.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) { clear(p); return len(p), nil }

// part is one part of a deploy upload.
type part struct{ name, body string }

func multipartBody(t *testing.T, parts ...part) (string, []byte) {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for _, p := range parts {
		w, err := mw.CreateFormFile(p.name, p.name)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.WriteString(w, p.body)
	}
	if err := mw.Close(); err != nil {
		t.Fatal(err)
	}
	return mw.FormDataContentType(), body.Bytes()
}

// apiError is the platform's JSON error document.
type apiError struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// postDeploy sends a deploy upload straight to the API.
func (s *server) postDeploy(name, contentType string, body []byte) (int, apiError, string) {
	s.t.Helper()
	req, err := http.NewRequest("POST", s.url("/v1/functions/"+name+"/deploy"), bytes.NewReader(body))
	if err != nil {
		s.t.Fatal(err)
	}
	req.Header.Set("Content-Type", contentType)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatalf("POST deploy: %v", err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var doc apiError
	_ = json.Unmarshal(raw, &doc)
	return resp.StatusCode, doc, string(raw)
}

// hostileServer is a server of the test's own whose temporary files go to
// a directory the test watches, so leftovers are seen.
type hostileServer struct {
	*server
	tmp string
}

func startHostileServer(t *testing.T, env ...string) *hostileServer {
	t.Helper()
	tmp := t.TempDir()
	return &hostileServer{server: startServer(t, append([]string{"TMPDIR=" + tmp}, env...)...), tmp: tmp}
}

// checkClean asserts the server is healthy and that nothing of function
// name exists: no row, no container, no image, no temporary folder.
func (h *hostileServer) checkClean(t *testing.T, name string) {
	t.Helper()
	if resp, body := h.request("GET", "", "/healthz", nil); resp.StatusCode != 200 {
		t.Errorf("server unhealthy: %d %s", resp.StatusCode, body)
	}
	if res := h.lambda("describe", name); res.code == 0 {
		t.Errorf("function %s exists:\n%s", name, res.stdout)
	}
	if ids := h.containers(name, true); len(ids) != 0 {
		t.Errorf("containers left: %v", ids)
	}
	if out := docker(t, "images", "-q", "--filter", "label=lambda.function="+name); out != "" {
		t.Errorf("images left: %s", out)
	}
	for _, dir := range []string{h.tmp, filepath.Join(h.dataDir, "tmp")} {
		left, _ := filepath.Glob(filepath.Join(dir, "lambda-*"))
		for _, l := range left {
			if !strings.HasPrefix(filepath.Base(l), "lambda-go") { // the Go build cache
				t.Errorf("temporary folder left: %s", l)
			}
		}
	}
}

// TestHostileUploads posts crafted deploy uploads straight to the API,
// past the CLI's own checks: archive attacks, bombs, oversized and
// malformed uploads. Each gets its exact status and message; nothing is
// written outside the deploy's folder or left behind.
func TestHostileUploads(t *testing.T) {
	requireDocker(t)
	t.Parallel()
	h := startHostileServer(t)
	name := h.fn("upload")
	config := part{"config", `{"config":{}}`}
	code := func(b []byte) part { return part{"code", string(b)} }
	outside := filepath.Join(h.tmp, "outside")
	dev := func(name string, typ byte) entry {
		return entry{Header: tar.Header{Name: name, Typeflag: typ, Devmajor: 1, Devminor: 3, Mode: 0o644}}
	}
	link := func(name, target string, typ byte) entry {
		return entry{Header: tar.Header{Name: name, Typeflag: typ, Linkname: target, Mode: 0o777}}
	}
	many := []entry{goMod}
	for i := range 20001 {
		many = append(many, file(fmt.Sprintf("f/%05d", i), ""))
	}
	tenMB := make([]entry, 0, 22)
	tenMB = append(tenMB, goMod)
	for i := range 21 {
		tenMB = append(tenMB, entry{Header: tar.Header{Name: fmt.Sprintf("part%02d.bin", i), Typeflag: tar.TypeReg, Mode: 0o644, Size: 10 << 20}})
	}
	valid := tarGz(t, gzip.BestSpeed, goMod, file("main.go", "package main\n"))

	for _, tc := range []struct {
		name   string
		ctype  string // "" is multipart
		parts  []part
		raw    string
		status int
		code   string
		want   string
	}{
		// Archive attacks.
		{name: "parent path", parts: []part{config, code(tarGz(t, 1, goMod, file("../escape.txt", "x")))}, status: 400, code: "invalid", want: `"../escape.txt" contains a .. component`},
		{name: "nested parent path", parts: []part{config, code(tarGz(t, 1, goMod, file("a/../../escape.txt", "x")))}, status: 400, code: "invalid", want: "contains a .. component"},
		{name: "absolute path", parts: []part{config, code(tarGz(t, 1, goMod, file(outside, "x")))}, status: 400, code: "invalid", want: "is an absolute path"},
		{name: "backslash path", parts: []part{config, code(tarGz(t, 1, goMod, file(`..\escape.txt`, "x")))}, status: 400, code: "invalid", want: "backslash"},
		{name: "escaping symlink", parts: []part{config, code(tarGz(t, 1, goMod, link("up", "../../../etc/passwd", tar.TypeSymlink)))}, status: 400, code: "invalid", want: "points outside the code directory"},
		{name: "absolute symlink", parts: []part{config, code(tarGz(t, 1, goMod, link("abs", "/etc/passwd", tar.TypeSymlink)))}, status: 400, code: "invalid", want: "symlink to an absolute path"},
		{name: "escaping hard link", parts: []part{config, code(tarGz(t, 1, goMod, link("hard", "../../etc/passwd", tar.TypeLink)))}, status: 400, code: "invalid", want: "is a hard link to ../../etc/passwd"},
		{name: "write through a link", parts: []part{config, code(tarGz(t, 1, goMod, link("d", "go.mod", tar.TypeSymlink), file("d/pwned", "x")))}, status: 400, code: "invalid", want: "which is not a directory"},
		{name: "char device", parts: []part{config, code(tarGz(t, 1, goMod, dev("null", tar.TypeChar)))}, status: 400, code: "invalid", want: "is a device or fifo"},
		{name: "block device", parts: []part{config, code(tarGz(t, 1, goMod, dev("sda", tar.TypeBlock)))}, status: 400, code: "invalid", want: "is a device or fifo"},
		{name: "fifo", parts: []part{config, code(tarGz(t, 1, goMod, dev("pipe", tar.TypeFifo)))}, status: 400, code: "invalid", want: "is a device or fifo"},
		{name: "duplicate entry", parts: []part{config, code(tarGz(t, 1, goMod, file("a.go", "x"), file("a.go", "y")))}, status: 400, code: "invalid", want: "appears twice"},
		{name: "bomb: one huge file", parts: []part{config, code(tarGz(t, gzip.BestCompression, goMod, entry{Header: tar.Header{Name: "bomb.bin", Typeflag: tar.TypeReg, Mode: 0o644, Size: 201 << 20}}))}, status: 413, code: "too_large", want: "limit"},
		{name: "bomb: many large files", parts: []part{config, code(tarGz(t, gzip.BestCompression, tenMB...))}, status: 413, code: "too_large", want: "limit"},
		{name: "too many entries", parts: []part{config, code(tarGz(t, gzip.BestCompression, many...))}, status: 413, code: "too_large", want: "more than 20000 entries"},
		{name: "not gzip", parts: []part{config, code([]byte("PK\x03\x04 a zip file"))}, status: 400, code: "invalid", want: "not a valid tar.gz"},
		{name: "truncated gzip", parts: []part{config, code(valid[:len(valid)/2])}, status: 400, code: "invalid", want: "not a valid tar.gz"},
		{name: "no files", parts: []part{config, code(tarGz(t, 1))}, status: 400, code: "invalid", want: "no files"},
		// Malformed and oversized uploads.
		{name: "not multipart", ctype: "application/json", raw: `{"config":{}}`, status: 400, code: "invalid", want: "multipart/form-data"},
		{name: "code before config", parts: []part{code(valid), config}, status: 400, code: "invalid", want: `must start with a "config" part`},
		{name: "config over 1 MB", parts: []part{{"config", `{"config":{"env":{"K":"` + strings.Repeat("v", 1<<20) + `"}}}`}, code(valid)}, status: 413, code: "too_large", want: "over the 1 MB limit"},
		{name: "config not an object", parts: []part{{"config", `["config"]`}, code(valid)}, status: 400, code: "invalid", want: "must be a JSON object"},
		{name: "config unknown field", parts: []part{{"config", `{"config":{},"sudo":true}`}, code(valid)}, status: 400, code: "invalid", want: "unknown field"},
		{name: "code over 50 MB", parts: []part{config, code(tarGz(t, gzip.NoCompression, goMod, entry{Header: tar.Header{Name: "big.bin", Typeflag: tar.TypeReg, Mode: 0o644, Size: 51 << 20}}))}, status: 413, code: "too_large", want: "over the 50 MB limit"},
		{name: "nothing to deploy", parts: []part{config}, status: 400, code: "invalid", want: "nothing to deploy"},
		{name: "image and code", parts: []part{{"config", `{"config":{},"image":"alpine:3"}`}, code(valid)}, status: 400, code: "invalid", want: "exactly one source"},
		{name: "image reference with spaces", parts: []part{{"config", `{"config":{},"image":"alpine; rm -rf /"}`}}, status: 400, code: "invalid", want: "is invalid"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctype, body := tc.ctype, []byte(tc.raw)
			if ctype == "" {
				ctype, body = multipartBody(t, tc.parts...)
			}
			status, doc, raw := h.postDeploy(name, ctype, body)
			if status != tc.status || doc.Error.Code != tc.code || !strings.Contains(doc.Error.Message, tc.want) {
				t.Errorf("got %d %.300s\nwant %d %s containing %q", status, raw, tc.status, tc.code, tc.want)
			}
			h.checkClean(t, name)
		})
	}
	if _, err := os.Stat(outside); err == nil {
		t.Errorf("an archive wrote %s", outside)
	}
	t.Run("bad function name", func(t *testing.T) {
		ctype, body := multipartBody(t, config, code(valid))
		status, doc, raw := h.postDeploy("Bad_Name", ctype, body)
		if status != 400 || doc.Error.Code != "invalid" || !strings.Contains(doc.Error.Message, "Bad_Name") {
			t.Errorf("%d %s", status, raw)
		}
	})
	t.Run("control API body over 1 MB", func(t *testing.T) {
		req, _ := http.NewRequest("PATCH", h.url("/v1/functions/"+name+"/scaling"), strings.NewReader(`{"concurrency":1,"x":"`+strings.Repeat("v", 2<<20)+`"}`))
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 413 || !strings.Contains(string(raw), "too_large") {
			t.Errorf("%d %s", resp.StatusCode, raw)
		}
	})
}
