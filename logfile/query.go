package logfile

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"

	"github.com/lambdahq/lambda"
)

// maxEncodedLine bounds one stored line: a MaxLogLine message may grow by
// JSON escaping (\u0000 is six bytes).
const maxEncodedLine = 6*lambda.MaxLogLine + 4096

// Query implements lambda.LogStore.
func (s *Store) Query(ctx context.Context, filter lambda.LogFilter) ([]lambda.LogLine, error) {
	f, err := s.function(filter.Function)
	if err != nil {
		return nil, err
	}
	f.mu.Lock()
	segs := f.snapshotLocked()
	f.mu.Unlock()
	return s.scan(ctx, segs, filter)
}

// limit is how many of the newest matching lines a read returns.
func (s *Store) limit(filter lambda.LogFilter) int {
	if filter.Tail > 0 {
		return filter.Tail
	}
	if s.QueryLimit > 0 {
		return s.QueryLimit
	}
	return DefaultQueryLimit
}

// queryBytes bounds what a read holds, as queuedBytes counts it.
func (s *Store) queryBytes() int {
	if s.QueryBytes > 0 {
		return s.QueryBytes
	}
	return DefaultQueryBytes
}

// newest keeps the last lines of out within limit lines and maxBytes.
func newest(out []lambda.LogLine, held, limit, maxBytes int) ([]lambda.LogLine, int) {
	i := 0
	for ; i < len(out) && (len(out)-i > limit || held > maxBytes); i++ {
		held -= queuedBytes(&out[i])
	}
	if i == 0 {
		return out, held
	}
	n := copy(out, out[i:])
	clear(out[n:]) // the dropped messages may go
	return out[:n], held
}

// scan reads segs (up to the sizes they had) and keeps the newest lines
// passing filter, within limit lines and queryBytes. A segment removed
// meanwhile (retention) is skipped.
func (s *Store) scan(ctx context.Context, segs []segment, filter lambda.LogFilter) ([]lambda.LogLine, error) {
	limit, maxBytes := s.limit(filter), s.queryBytes()
	var out []lambda.LogLine
	held := 0
	for _, seg := range segs {
		if !filter.Since.IsZero() && seg.mod.Before(filter.Since) {
			continue // its last line is older than Since
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		file, err := os.Open(seg.path)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("read logs: %w", err)
		}
		sc := bufio.NewScanner(io.LimitReader(file, seg.size))
		sc.Buffer(make([]byte, 64<<10), maxEncodedLine)
		for sc.Scan() {
			// Most lines of a narrow read are not decoded at all.
			if filter.Invocation != "" && !bytes.Contains(sc.Bytes(), []byte(filter.Invocation)) ||
				filter.Instance != "" && !bytes.Contains(sc.Bytes(), []byte(filter.Instance)) {
				continue
			}
			var l lambda.LogLine
			if json.Unmarshal(sc.Bytes(), &l) != nil || !filter.Match(&l) {
				continue
			}
			out = append(out, l)
			if held += queuedBytes(&l); len(out)-limit >= limit || held >= maxBytes+maxBytes/4 {
				out, held = newest(out, held, limit, maxBytes)
			}
		}
		err = sc.Err()
		file.Close()
		if err != nil {
			return nil, fmt.Errorf("read logs from %s: %w", seg.path, err)
		}
	}
	out, _ = newest(out, held, limit, maxBytes)
	// The platform appends an invocation's START line after the lines the
	// function printed: order by time, START and END framing them.
	lambda.SortLogLines(out)
	return out, nil
}
