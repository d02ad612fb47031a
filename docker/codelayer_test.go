package docker

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/lambdahq/lambda"
)

func TestSplitCodeCopy(t *testing.T) {
	m := lambda.CodeLayerMarker
	tests := []struct {
		name, df   string
		ok         bool
		before     string
		src, dest  string
		wantTarget map[string]string // context name -> layer name
	}{
		{"handler", "FROM rt\nENV A=b\n" + m + "\nCOPY . /var/task/\n", true, "FROM rt\nENV A=b\n", ".", "/var/task/",
			map[string]string{"handler.py": "var/task/handler.py", "lib/x.py": "var/task/lib/x.py"}},
		{"binary", "FROM scratch\nENTRYPOINT [\"/function\"]\n" + m + "\nCOPY function /function", true, "FROM scratch\nENTRYPOINT [\"/function\"]\n", "function", "/function",
			map[string]string{"function": "function", "other": ""}},
		{"into a directory", "FROM x\n" + m + "\nCOPY app /opt/\n", true, "FROM x\n", "app", "/opt/", map[string]string{"app": "opt/app"}},
		{"no marker", "FROM rt\nENV A=b\nCOPY . /var/task/\n", false, "", "", "", nil},
		{"marker not last", "FROM rt\n" + m + "\nCOPY . /var/task/\nENV A=b\n", false, "", "", "", nil},
		{"flag", "FROM rt\n" + m + "\nCOPY --chown=1:1 . /var/task/\n", false, "", "", "", nil},
		{"from a stage", "FROM rt\n" + m + "\nCOPY --from=build /x /x\n", false, "", "", "", nil},
		{"variable", "FROM rt\n" + m + "\nCOPY . $ROOT/\n", false, "", "", "", nil},
		{"wildcard", "FROM rt\n" + m + "\nCOPY *.py /var/task/\n", false, "", "", "", nil},
		{"json form", "FROM rt\n" + m + "\nCOPY [\".\", \"/var/task/\"]\n", false, "", "", "", nil},
		{"relative destination", "FROM rt\n" + m + "\nCOPY . task/\n", false, "", "", "", nil},
		{"source in a directory", "FROM rt\n" + m + "\nCOPY sub/x /x\n", false, "", "", "", nil},
		{"source above", "FROM rt\n" + m + "\nCOPY .. /x\n", false, "", "", "", nil},
		{"three arguments", "FROM rt\n" + m + "\nCOPY a b /x/\n", false, "", "", "", nil},
		{"ADD", "FROM rt\n" + m + "\nADD . /var/task/\n", false, "", "", "", nil},
		{"marker only", m + "\nCOPY . /x/\n", false, "", "", "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before, c, ok := splitCodeCopy([]byte(tt.df))
			if ok != tt.ok {
				t.Fatalf("splitCodeCopy ok = %v, want %v", ok, tt.ok)
			}
			if !ok {
				return
			}
			if string(before) != tt.before || c.src != tt.src || c.dest != tt.dest {
				t.Errorf("splitCodeCopy = %q, %+v; want %q, COPY %s %s", before, c, tt.before, tt.src, tt.dest)
			}
			for name, want := range tt.wantTarget {
				if got := c.target(name); got != want {
					t.Errorf("target(%q) = %q, want %q", name, got, want)
				}
			}
		})
	}
}

type ctxEntry struct {
	name, body, link string
	typ              byte
	mode             int64
}

func contextTar(t *testing.T, entries ...ctxEntry) []byte {
	t.Helper()
	var b bytes.Buffer
	tw := tar.NewWriter(&b)
	for _, e := range entries {
		typ := e.typ
		if typ == 0 {
			typ = tar.TypeReg
		}
		h := &tar.Header{Typeflag: typ, Name: e.name, Linkname: e.link, Mode: e.mode, Size: int64(len(e.body)),
			Uid: 1000, Gid: 1000, Uname: "dev", ModTime: time.Unix(1700000000, 0)}
		if e.mode == 0 {
			h.Mode = 0o644
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		_, _ = tw.Write([]byte(e.body))
	}
	tw.Close()
	return b.Bytes()
}

type layerEntry struct {
	name, body, link string
	mode             int64
	uid, gid         int
}

func readLayer(t *testing.T, l *codeLayer) []layerEntry {
	t.Helper()
	if got := fmt.Sprintf("sha256:%x", sha256.Sum256(l.tar)); got != l.diffID {
		t.Errorf("diff ID %s, want the tar's digest %s", l.diffID, got)
	}
	var out []layerEntry
	eachEntry(t, bytes.NewReader(l.tar), func(h *tar.Header, body []byte) {
		out = append(out, layerEntry{h.Name, string(body), h.Linkname, h.Mode, h.Uid, h.Gid})
	})
	return out
}

// eachEntry calls fn with each entry of the tar stream r and its content.
func eachEntry(t *testing.T, r io.Reader, fn func(h *tar.Header, body []byte)) {
	t.Helper()
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		fn(h, body)
	}
}

func TestWriteCodeLayer(t *testing.T) {
	now := time.Unix(1800000000, 0)
	df := ctxEntry{name: "Dockerfile", body: "FROM x\n" + lambda.CodeLayerMarker + "\nCOPY . /var/task/\n"}
	ignore := ctxEntry{name: ".dockerignore", body: "Dockerfile\n.dockerignore\n"}
	tests := []struct {
		name     string
		copy     codeCopy
		entries  []ctxEntry
		want     []layerEntry
		writable bool
	}{
		{"handler", codeCopy{src: ".", dest: "/var/task/"},
			[]ctxEntry{df, ignore, {name: "handler.py", body: "print(1)"}, {name: "lib/", typ: tar.TypeDir, mode: 0o750},
				{name: "./lib/run.sh", body: "#!/bin/sh", mode: 0o755}, {name: "lib/cur", typ: tar.TypeSymlink, link: "run.sh"}},
			[]layerEntry{{name: "var/", mode: 0o755}, {name: "var/task/", mode: 0o755},
				{name: "var/task/handler.py", body: "print(1)", mode: 0o644}, {name: "var/task/lib/", mode: 0o750},
				{name: "var/task/lib/run.sh", body: "#!/bin/sh", mode: 0o755}, {name: "var/task/lib/cur", link: "run.sh", mode: 0o644}}, true},
		// Without .dockerignore listing them, the builder copies them too.
		{"no dockerignore", codeCopy{src: ".", dest: "/app"},
			[]ctxEntry{df, {name: "a", body: "1"}},
			[]layerEntry{{name: "app/", mode: 0o755}, {name: "app/Dockerfile", body: df.body, mode: 0o644}, {name: "app/a", body: "1", mode: 0o644}}, true},
		{"binary", codeCopy{src: "function", dest: "/function"},
			[]ctxEntry{df, {name: "ca.crt", body: "ca"}, {name: "function", body: "ELF", mode: 0o755}},
			[]layerEntry{{name: "function", body: "ELF", mode: 0o755}}, true},
		{"binary into a directory", codeCopy{src: "function", dest: "/opt/bin/"},
			[]ctxEntry{df, {name: "function", body: "ELF", mode: 0o755}},
			[]layerEntry{{name: "opt/", mode: 0o755}, {name: "opt/bin/", mode: 0o755}, {name: "opt/bin/function", body: "ELF", mode: 0o755}}, true},
		{"missing source", codeCopy{src: "function", dest: "/function"}, []ctxEntry{df}, nil, false},
		{"source is a link", codeCopy{src: "function", dest: "/function"}, []ctxEntry{df, {name: "function", typ: tar.TypeSymlink, link: "x"}}, nil, false},
		{"hard link", codeCopy{src: ".", dest: "/app/"}, []ctxEntry{df, {name: "a", body: "1"}, {name: "b", typ: tar.TypeLink, link: "a"}}, nil, false},
		{"climbing name", codeCopy{src: ".", dest: "/app/"}, []ctxEntry{df, {name: "../a", body: "1"}}, nil, false},
		{"device", codeCopy{src: ".", dest: "/app/"}, []ctxEntry{df, {name: "null", typ: tar.TypeChar}}, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, err := writeCodeLayer(contextTar(t, tt.entries...), tt.copy, now)
			if !tt.writable {
				if err != errNotWritable {
					t.Fatalf("writeCodeLayer = %v, want errNotWritable (left to the builder)", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := readLayer(t, l)
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("layer:\n got %v\nwant %v", got, tt.want)
			}
		})
	}
}

func TestCodeImageArchive(t *testing.T) {
	l := &codeLayer{tar: []byte("layer"), diffID: "sha256:cc"}
	config := []byte(`{"os":"linux"}`)
	archive, id, err := codeImageArchive(config, []string{"sha256:aa", "sha256:bb"}, l, []string{"func-x:v2"})
	if err != nil {
		t.Fatal(err)
	}
	if want := fmt.Sprintf("sha256:%x", sha256.Sum256(config)); id != want {
		t.Errorf("image ID %s, want the config's digest %s", id, want)
	}
	files := map[string]string{}
	eachEntry(t, bytes.NewReader(archive), func(h *tar.Header, body []byte) { files[h.Name] = string(body) })
	hex := strings.TrimPrefix(id, "sha256:")
	wantManifest := `[{"Config":"` + hex + `.json","RepoTags":["func-x:v2"],"Layers":["aa/layer.tar","bb/layer.tar","cc/layer.tar"]}]`
	if files["manifest.json"] != wantManifest || files[hex+".json"] != string(config) || files["cc/layer.tar"] != "layer" || len(files) != 3 {
		t.Errorf("archive holds %q, want the manifest %s, the config and only the last layer", files, wantManifest)
	}
}

// TestOtherContextsGoToTheBuilder: a context whose first entry is not a
// marked Dockerfile reaches the builder byte for byte, read only as far as
// its Dockerfile.
func TestOtherContextsGoToTheBuilder(t *testing.T) {
	marked := ctxEntry{name: "Dockerfile", body: "FROM x\n" + lambda.CodeLayerMarker + "\nCOPY . /app/\n"}
	for _, tt := range []struct {
		name    string
		context []byte
	}{
		{"a user's Dockerfile", contextTar(t, ctxEntry{name: "Dockerfile", body: "FROM x\nCOPY . /app/\n"}, ctxEntry{name: "a", body: "1"})},
		{"the Dockerfile not first", contextTar(t, ctxEntry{name: "a", body: "1"}, marked)},
		{"a marked COPY the driver does not write", contextTar(t, ctxEntry{name: "Dockerfile", body: "FROM x\n" + lambda.CodeLayerMarker + "\nCOPY --chown=1 . /app/\n"})},
		{"a hard link", contextTar(t, marked, ctxEntry{name: "a", body: "1"}, ctxEntry{name: "b", typ: tar.TypeLink, link: "a"})},
		{"not a tar", []byte("not a tar archive at all")},
	} {
		t.Run(tt.name, func(t *testing.T) {
			d := &Driver{} // no client: a call to Docker would panic
			r, id, err := d.buildWithCodeLayer(t.Context(), lambda.BuildRequest{Context: bytes.NewReader(tt.context)}, nil)
			if err != nil || id != "" {
				t.Fatalf("buildWithCodeLayer = %q, %v; want the context for the builder", id, err)
			}
			got, err := io.ReadAll(r)
			if err != nil || !bytes.Equal(got, tt.context) {
				t.Errorf("the builder gets %d bytes (%v), want the %d of the context unchanged", len(got), err, len(tt.context))
			}
		})
	}
}
