package docker

import (
	"bytes"
	"context"
	"io"
	"strconv"
	"strings"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/lambdahq/lambda"
	"github.com/moby/moby/api/pkg/stdcopy"
	"github.com/moby/moby/client"
)

// Limits on what InstanceLogs reads from a container: its output is
// untrusted, and tail bounds lines, not bytes.
const (
	maxLogRead   = 16 << 20
	maxLogResult = 1 << 20
)

// InstanceLogs returns up to tail lines of the container's stdout and
// stderr, interleaved as written; tail <= 0 means all (within 1 MiB).
func (d *Driver) InstanceLogs(ctx context.Context, id string, tail int) (string, error) {
	if id == "" {
		return "", lambda.Errorf(lambda.EINVALID, "instance ID is empty")
	}
	opts := client.ContainerLogsOptions{ShowStdout: true, ShowStderr: true, Tail: "all"}
	if tail > 0 {
		opts.Tail = strconv.Itoa(tail)
	}
	rc, err := d.cli.ContainerLogs(ctx, id, opts)
	if cerrdefs.IsNotFound(err) {
		return "", lambda.Errorf(lambda.ENOTFOUND, "instance %s not found", id)
	}
	if err != nil {
		return "", d.wrap(err, "read logs of instance %s", id)
	}
	defer rc.Close()
	var buf bytes.Buffer
	if _, err := stdcopy.StdCopy(&buf, &buf, io.LimitReader(rc, maxLogRead)); err != nil {
		return "", d.wrap(err, "read logs of instance %s", id)
	}
	return unframeAll(string(lastBytes(buf.Bytes(), maxLogResult))), nil
}

// unframeAll removes the shims' frames (lambda.Unframe) from each line,
// so that a log tail shown to a user reads as the function printed it.
func unframeAll(logs string) string {
	if !strings.Contains(logs, lambda.LogFrameStart) {
		return logs
	}
	lines := strings.SplitAfter(logs, "\n")
	for i, l := range lines {
		_, lines[i], _ = lambda.Unframe(l)
	}
	return strings.Join(lines, "")
}

// lastBytes keeps the end of b within limit, starting at a line boundary
// when one is available.
func lastBytes(b []byte, limit int) []byte {
	if len(b) <= limit {
		return b
	}
	b = b[len(b)-limit:]
	if i := bytes.IndexByte(b, '\n'); i >= 0 {
		return b[i+1:]
	}
	return b
}
