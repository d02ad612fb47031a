package docker

import (
	"archive/tar"
	"context"
	"crypto/sha256"
	"debug/elf"
	"encoding/hex"
	"fmt"
	"io"
	"os"

	"github.com/lambdahq/lambda"
)

// nodeSweepRepo is the registry repository of the node-sweep image, the
// platform's own binary FROM scratch; its tag is the binary's digest.
const nodeSweepRepo = "lambda-node-sweep"

// nodeSweepDockerfile runs the binary's hidden "node-sweep" command. The
// image carries lambda.managed like the functions' images (a prune by
// that label on a worker removes it too; it is pulled again when needed),
// and no function label: no function's cleanup takes it.
const nodeSweepDockerfile = `FROM scratch
COPY lambda /lambda
LABEL "lambda.managed"="true" "lambda.role"="node-sweep"
ENTRYPOINT ["/lambda", "node-sweep"]
`

// nodeSweepImage returns the pushed digest reference of the node-sweep
// image, built from SelfBinary on the manager's engine and pushed to
// Registry once per process (and built once per binary: its tag is the
// binary's digest).
func (s *Swarm) nodeSweepImage(ctx context.Context) (string, error) {
	s.sweepMu.Lock()
	defer s.sweepMu.Unlock()
	if s.sweepRef != "" {
		return s.sweepRef, nil
	}
	if s.SelfBinary == "" || s.Registry == "" {
		return "", lambda.Errorf(lambda.ENOTIMPLEMENTED, "the server knows no binary or registry for the job that removes images from the nodes")
	}
	sum, err := staticBinary(s.SelfBinary)
	if err != nil {
		return "", err
	}
	tag := s.Registry + "/" + nodeSweepRepo + ":" + sum[:24]
	exists, err := s.d.ImageExists(ctx, tag)
	if err != nil {
		return "", err
	}
	if !exists {
		if err := s.buildNodeSweep(ctx, tag); err != nil {
			return "", err
		}
		s.logger().Info("swarm: built the node-sweep image", "image", tag)
	}
	ref, err := s.d.PushImage(ctx, tag, tag, io.Discard)
	if err != nil {
		return "", err
	}
	s.sweepRef = ref
	return ref, nil
}

// buildNodeSweep builds the node-sweep image of SelfBinary as tag.
func (s *Swarm) buildNodeSweep(ctx context.Context, tag string) error {
	f, err := os.Open(s.SelfBinary)
	if err != nil {
		return fmt.Errorf("node-sweep image: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return fmt.Errorf("node-sweep image: %w", err)
	}
	pr, pw := io.Pipe()
	go func() { pw.CloseWithError(writeNodeSweepContext(pw, f, fi.Size())) }()
	defer pr.Close()
	s.d.cache.RLock()
	defer s.d.cache.RUnlock()
	if _, err := s.d.build(ctx, pr, []string{tag}, io.Discard); err != nil {
		return fmt.Errorf("node-sweep image: %w", err)
	}
	return nil
}

// writeNodeSweepContext writes the build context: the Dockerfile and the
// binary, size bytes of bin.
func writeNodeSweepContext(w io.Writer, bin io.Reader, size int64) error {
	tw := tar.NewWriter(w)
	if err := tw.WriteHeader(&tar.Header{Name: "Dockerfile", Mode: 0o644, Size: int64(len(nodeSweepDockerfile))}); err != nil {
		return err
	}
	if _, err := io.WriteString(tw, nodeSweepDockerfile); err != nil {
		return err
	}
	if err := tw.WriteHeader(&tar.Header{Name: "lambda", Mode: 0o755, Size: size}); err != nil {
		return err
	}
	if _, err := io.CopyN(tw, bin, size); err != nil {
		return err
	}
	return tw.Close()
}

// CheckStaticBinary refuses an executable that cannot run alone in a
// FROM scratch image, as the node-sweep job runs the server's: not an
// ELF, or one that names a program interpreter (dynamically linked).
func CheckStaticBinary(path string) error {
	ef, err := elf.Open(path)
	if err != nil {
		return lambda.Errorf(lambda.ENOTIMPLEMENTED, "%s is not an ELF executable (%v): the nodes cannot run it to remove images", path, err)
	}
	defer ef.Close()
	for _, p := range ef.Progs {
		if p.Type == elf.PT_INTERP {
			return lambda.Errorf(lambda.ENOTIMPLEMENTED, "%s is not a static executable (it needs a dynamic loader): the nodes cannot run it alone to remove images; build it with CGO_ENABLED=0 (make build)", path)
		}
	}
	return nil
}

// staticBinary returns the hex SHA-256 of the executable at path, which
// must be a static ELF (CheckStaticBinary).
func staticBinary(path string) (string, error) {
	if err := CheckStaticBinary(path); err != nil {
		return "", err
	}
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("digest of %s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
