package docker

import (
	"archive/tar"
	"bytes"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
)

// maxDockerfile bounds the Dockerfile read into memory to add labels.
const maxDockerfile = 1 << 20

// withLabels streams ctx with one LABEL instruction appended to its
// Dockerfile. The classic builder turns each build-option label into a
// step of its own (about a second each on some storage drivers); one line
// costs one step.
func withLabels(ctx io.Reader, labels map[string]string) io.Reader {
	pr, pw := io.Pipe()
	go func() { pw.CloseWithError(copyWithLabels(pw, ctx, labels)) }()
	return pr
}

func copyWithLabels(w io.Writer, r io.Reader, labels map[string]string) error {
	tr, tw := tar.NewReader(r), tar.NewWriter(w)
	found := false
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("build context is not a tar archive: %w", err)
		}
		body := io.Reader(tr)
		if h.Name == "Dockerfile" || h.Name == "./Dockerfile" {
			found = true
			df, err := io.ReadAll(io.LimitReader(tr, maxDockerfile+1))
			if err != nil {
				return err
			}
			if len(df) > maxDockerfile {
				return fmt.Errorf("Dockerfile is over %d bytes", maxDockerfile)
			}
			df = append(bytes.TrimRight(df, "\n"), '\n')
			df = append(df, labelLine(labels)...)
			h.Size, body = int64(len(df)), bytes.NewReader(df)
		}
		if err := tw.WriteHeader(h); err != nil {
			return err
		}
		if _, err := io.Copy(tw, body); err != nil {
			return err
		}
	}
	if !found {
		return fmt.Errorf("build context has no Dockerfile at its root")
	}
	return tw.Close()
}

// labelLine renders labels as one LABEL instruction, keys sorted so the
// line (and the build cache) is stable.
func labelLine(labels map[string]string) []byte {
	var b bytes.Buffer
	b.WriteString("LABEL")
	for _, k := range slices.Sorted(maps.Keys(labels)) {
		fmt.Fprintf(&b, " %s=%s", strconv.Quote(k), strconv.Quote(labels[k]))
	}
	b.WriteByte('\n')
	return b.Bytes()
}
