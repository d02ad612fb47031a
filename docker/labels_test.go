package docker

import (
	"archive/tar"
	"bytes"
	"io"
	"strings"
	"testing"
)

func TestWithLabels(t *testing.T) {
	var in bytes.Buffer
	tw := tar.NewWriter(&in)
	for name, body := range map[string]string{"Dockerfile": "FROM scratch\nCOPY app /app", "app": "binary"} {
		_ = tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(body))})
		_, _ = tw.Write([]byte(body))
	}
	tw.Close()
	out, err := io.ReadAll(withLabels(&in, map[string]string{"b": "2", "a": `say "hi"`}))
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]string{}
	eachEntry(t, bytes.NewReader(out), func(h *tar.Header, body []byte) { files[h.Name] = string(body) })
	want := "FROM scratch\nCOPY app /app\nLABEL \"a\"=\"say \\\"hi\\\"\" \"b\"=\"2\"\n"
	if files["Dockerfile"] != want || files["app"] != "binary" {
		t.Errorf("context after labels: %q", files)
	}
	if _, err := io.ReadAll(withLabels(strings.NewReader("not a tar"), map[string]string{"a": "b"})); err == nil {
		t.Error("a context that is not a tar passed")
	}
}

func TestRenderStripsANSI(t *testing.T) {
	var out bytes.Buffer
	_, err := renderStream(strings.NewReader(`{"stream":"\u001b[91mnpm WARN\u001b[0m done\n"}`), &out)
	if err != nil || out.String() != "npm WARN done\n" {
		t.Errorf("rendered %q, %v", out.String(), err)
	}
}
