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
	return withDockerfile(ctx, func(df []byte) []byte {
		df = append(bytes.TrimRight(df, "\n"), '\n')
		return append(df, labelLine(labels)...)
	})
}

// withDockerfile streams ctx with its Dockerfile replaced by edit's.
func withDockerfile(ctx io.Reader, edit func(df []byte) []byte) io.Reader {
	pr, pw := io.Pipe()
	go func() { pw.CloseWithError(copyWithDockerfile(pw, ctx, edit)) }()
	return pr
}

func copyWithDockerfile(w io.Writer, r io.Reader, edit func(df []byte) []byte) error {
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
		if isDockerfile(h.Name) {
			found = true
			df, err := readDockerfile(tr)
			if err != nil {
				return err
			}
			df = edit(df)
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

func isDockerfile(name string) bool { return name == "Dockerfile" || name == "./Dockerfile" }

func readDockerfile(r io.Reader) ([]byte, error) {
	df, err := io.ReadAll(io.LimitReader(r, maxDockerfile+1))
	if err != nil {
		return nil, err
	}
	if len(df) > maxDockerfile {
		return nil, fmt.Errorf("Dockerfile is over %d bytes", maxDockerfile)
	}
	return df, nil
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
