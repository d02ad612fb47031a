package docker

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/lambdahq/lambda"
	"github.com/moby/moby/client"
)

// maxFollowBatch bounds the lines handed to emit at once while a container
// floods its output; when the stream is idle a batch ends with what came.
const maxFollowBatch = 256

// FollowLogs implements lambda.Driver with ContainerLogs(Follow,
// Timestamps). The container's pipes are drained by Docker's log driver,
// not by this reader, so a slow store never stalls the function.
func (d *Driver) FollowLogs(ctx context.Context, id string, since time.Time, emit func([]lambda.LogLine)) error {
	if id == "" {
		return lambda.Errorf(lambda.EINVALID, "instance ID is empty")
	}
	opts := client.ContainerLogsOptions{ShowStdout: true, ShowStderr: true, Follow: true, Timestamps: true}
	if !since.IsZero() {
		opts.Since = since.UTC().Format(time.RFC3339Nano)
	}
	rc, err := d.cli.ContainerLogs(ctx, id, opts)
	if cerrdefs.IsNotFound(err) {
		return lambda.Errorf(lambda.ENOTFOUND, "instance %s not found", id)
	}
	if err != nil {
		return d.wrap(err, "follow logs of instance %s", id)
	}
	defer rc.Close()
	stop := context.AfterFunc(ctx, func() { rc.Close() })
	defer stop()
	err = demuxLines(rc, since, emit)
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if err != nil {
		return d.wrap(err, "follow logs of instance %s", id)
	}
	return nil
}

// demuxLines reads Docker's multiplexed stream (an 8-byte header per
// frame: stream, 3 zero bytes, big-endian size) of timestamped output and
// hands whole lines to emit. Docker splits long lines into frames without
// a final newline; they are joined back, up to MaxLogLine.
func demuxLines(r io.Reader, since time.Time, emit func([]lambda.LogLine)) error {
	br := bufio.NewReaderSize(r, 64<<10)
	var (
		hdr     [8]byte
		frame   []byte
		batch   []lambda.LogLine
		pending [3]*lambda.LogLine // partial lines by stream
	)
	flush := func() {
		if len(batch) > 0 {
			emit(batch)
			batch = batch[:0]
		}
	}
	defer flush()
	for {
		if _, err := io.ReadFull(br, hdr[:]); err != nil {
			for _, p := range pending {
				if p != nil {
					batch = append(batch, *p)
				}
			}
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
		stream := int(hdr[0])
		size := int(binary.BigEndian.Uint32(hdr[4:]))
		if stream != 1 && stream != 2 {
			if _, err := br.Discard(size); err != nil {
				return err
			}
			continue
		}
		frame = frame[:0]
		keep := min(size, lambda.MaxLogLine+64)
		frame = append(frame, make([]byte, keep)...)
		if _, err := io.ReadFull(br, frame); err != nil {
			return err
		}
		if _, err := br.Discard(size - keep); err != nil {
			return err
		}
		t, msg := splitTimestamp(frame)
		complete := bytes.HasSuffix(msg, []byte("\n"))
		msg = bytes.TrimSuffix(msg, []byte("\n"))
		p := pending[stream]
		if p == nil {
			name := lambda.StreamStdout
			if stream == 2 {
				name = lambda.StreamStderr
			}
			p = &lambda.LogLine{Time: t, Stream: name}
		}
		if room := lambda.MaxLogLine - len(p.Message); len(msg) > room || size > keep {
			msg, p.Truncated = msg[:max(room, 0)], true
		}
		p.Message += string(msg)
		if complete {
			pending[stream] = nil
			if since.IsZero() || !p.Time.Before(since) {
				batch = append(batch, *p)
			}
		} else {
			pending[stream] = p
		}
		if len(batch) >= maxFollowBatch || br.Buffered() == 0 {
			flush()
		}
	}
}

// splitTimestamp parses the RFC 3339 time Docker puts before each frame.
func splitTimestamp(b []byte) (time.Time, []byte) {
	i := bytes.IndexByte(b, ' ')
	if i <= 0 {
		return time.Now(), b
	}
	t, err := time.Parse(time.RFC3339Nano, string(b[:i]))
	if err != nil {
		return time.Now(), b
	}
	return t, b[i+1:]
}
