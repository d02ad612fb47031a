package logfile

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/lambdahq/lambda"
)

const segmentExt = ".ndjson"

// segment is one file of a function's log; its name is its sequence
// number, so that the names sort in the order the files were written.
type segment struct {
	path string
	seq  uint64
	size int64     // bytes of whole lines written
	mod  time.Time // when its last line was written
}

// fnLog is one function's segments, oldest first. Writers hold mu; readers
// take a snapshot under it and read the files without it.
type fnLog struct {
	s       *Store
	dir     string
	mu      sync.Mutex
	segs    []segment
	file    *os.File // the last segment, open for appends
	total   int64
	subs    map[*follower]struct{}
	deleted bool // DeleteFunction removed it: appends to it are dropped
	buf     []byte
	ends    []int // of the lines in buf
}

func loadFnLog(s *Store, dir string) (*fnLog, error) {
	f := &fnLog{s: s, dir: dir, subs: map[*follower]struct{}{}}
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return f, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list the logs in %s: %w", dir, err)
	}
	for _, e := range entries { // ReadDir sorts by name: by sequence
		name := e.Name()
		seq, err := strconv.ParseUint(strings.TrimSuffix(name, segmentExt), 16, 64)
		if err != nil || !strings.HasSuffix(name, segmentExt) {
			continue
		}
		info, err := e.Info()
		if err != nil {
			continue // removed meanwhile
		}
		f.segs = append(f.segs, segment{path: filepath.Join(dir, name), seq: seq, size: info.Size(), mod: info.ModTime()})
		f.total += info.Size()
	}
	return f, nil
}

// append writes lines at the end of the current segment, starts a new one
// past the segment size, drops the oldest past the function's cap and
// hands the lines to followers.
func (f *fnLog) append(lines []lambda.LogLine) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.deleted {
		return nil
	}
	f.buf, f.ends = f.buf[:0], f.ends[:0]
	for i := range lines {
		l := lines[i]
		cut(&l)
		var err error
		if f.buf, err = appendLine(f.buf, &l); err != nil {
			return fmt.Errorf("encode a log line: %w", err)
		}
		f.buf = append(f.buf, '\n')
		f.ends = append(f.ends, len(f.buf))
	}
	// The oldest lines of a batch bigger than the cap would be removed
	// at once: they are not written.
	pos, i := 0, 0
	for ; int64(len(f.buf)-pos) > f.s.MaxBytes && i < len(f.ends)-1; i++ {
		pos = f.ends[i]
	}
	if err := f.writeLocked(pos, f.ends[i:]); err != nil {
		return err
	}
	for sub := range f.subs {
		for i := range lines {
			sub.push(lines[i])
		}
	}
	return nil
}

// writeLocked writes f.buf from pos, whose lines end at ends, into
// segments of at most segmentBytes (a longer line alone in one), so that
// the cap can remove all but the newest lines, and drops the oldest
// segments past the cap.
func (f *fnLog) writeLocked(pos int, ends []int) error {
	for len(ends) > 0 {
		if err := f.ensureFileLocked(); err != nil {
			return err
		}
		last := &f.segs[len(f.segs)-1]
		room := f.s.segmentBytes() - last.size
		j := 0
		for j < len(ends) && (int64(ends[j]-pos) <= room || j == 0 && last.size == 0) {
			j++
		}
		if j == 0 { // the next line does not fit: a new segment
			f.closeFile()
			continue
		}
		n, err := f.file.Write(f.buf[pos:ends[j-1]])
		last.size += int64(n)
		last.mod = f.s.Now()
		f.total += int64(n)
		if err != nil {
			// A partial line would corrupt the next one: start a new file.
			f.closeFile()
			return fmt.Errorf("write logs of %s: %w", filepath.Base(f.dir), err)
		}
		pos, ends = ends[j-1], ends[j:]
		if last.size >= f.s.segmentBytes() {
			f.closeFile()
		}
		for f.total > f.s.MaxBytes && len(f.segs) > 1 {
			f.removeOldestLocked()
		}
	}
	return nil
}

// cut bounds a line to MaxLogLine bytes, at a character boundary.
func cut(l *lambda.LogLine) {
	if len(l.Message) <= lambda.MaxLogLine {
		return
	}
	n := lambda.MaxLogLine
	for n > 0 && !utf8.RuneStart(l.Message[n]) {
		n--
	}
	l.Message, l.Truncated = l.Message[:n], true
}

// ensureFileLocked opens a new segment when none is open for appends.
func (f *fnLog) ensureFileLocked() error {
	if f.file != nil {
		return nil
	}
	if err := os.MkdirAll(f.dir, 0o700); err != nil {
		return fmt.Errorf("create the log directory %s: %w", f.dir, err)
	}
	var seq uint64
	if len(f.segs) > 0 {
		seq = f.segs[len(f.segs)-1].seq + 1
	}
	path := filepath.Join(f.dir, fmt.Sprintf("%016x%s", seq, segmentExt))
	file, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("create a log segment: %w", err)
	}
	f.file = file
	f.segs = append(f.segs, segment{path: path, seq: seq, mod: f.s.Now()})
	return nil
}

func (f *fnLog) closeFile() {
	if f.file != nil {
		f.file.Close()
		f.file = nil
	}
}

func (f *fnLog) removeOldestLocked() {
	old := f.segs[0]
	if len(f.segs) == 1 {
		f.closeFile()
	}
	f.segs = f.segs[1:]
	f.total -= old.size
	if err := os.Remove(old.path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		f.s.Logger.Warn("cannot remove an old log segment", "path", old.path, "err", err)
	}
}

// expireLocked removes the segments whose last line is older than cutoff.
func (f *fnLog) expireLocked(cutoff time.Time) {
	for len(f.segs) > 0 && f.segs[0].mod.Before(cutoff) {
		f.removeOldestLocked()
	}
}

// snapshotLocked is what a reader may read: whole lines written so far.
func (f *fnLog) snapshotLocked() []segment {
	return append([]segment(nil), f.segs...)
}
