// Package logfile is the platform's log store: each function's output as
// NDJSON segment files under a directory of the data directory.
//
// Files, not SQLite rows: a function printing as fast as it can must not
// turn each line into a transaction on the database every other request
// depends on. Appends are plain writes at the end of one file (no fsync: a
// crash may lose the last lines, never the server's state), retention is
// deleting whole files, and readers scan files without taking the lock
// writers use.
package logfile

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/lambdahq/lambda"
)

// Defaults of a Store.
const (
	// DefaultQueryLimit bounds what one Query returns when it has no Tail,
	// so that reading a full store does not hold 50 MB of lines in memory.
	DefaultQueryLimit = 10000
	// DefaultQueryBytes bounds, with DefaultQueryLimit, what one read
	// holds (the newest lines within it): a store of long lines would
	// otherwise be decoded whole by every read and every follow.
	DefaultQueryBytes = 4 << 20
	// followBuffer is how many bytes of lines a follower may have waiting
	// before it starts losing lines (a slow client never slows writers).
	followBuffer = 4 << 20
	// minSegment keeps tiny caps (tests) from making a file per line.
	minSegment = 16 << 10
)

// Store implements lambda.LogStore.
type Store struct {
	Dir       string        // one sub-directory per function
	MaxBytes  int64         // per function; oldest segments go first
	Retention time.Duration // per line, checked per segment
	// SegmentBytes is the size at which a function's current file is
	// closed and a new one started (0: MaxBytes/8).
	SegmentBytes int64
	// QueryLimit bounds Query without Tail (0: DefaultQueryLimit).
	QueryLimit int
	// QueryBytes bounds the lines of a read, Tail or not, messages and
	// their LogLine (0: DefaultQueryBytes).
	QueryBytes int
	// PurgeInterval is how often segments past Retention are removed.
	PurgeInterval time.Duration
	Logger        *slog.Logger
	Now           func() time.Time

	mu  sync.Mutex
	fns map[string]*fnLog
	// deleted holds when each function was deleted lately: the lines of
	// its instances that reach the store after (a collector reads what a
	// stopping container printed last) are dropped by their time, rather
	// than recreating its logs under a name a new function may take.
	deleted map[string]time.Time
	ctx     context.Context
	cancel  context.CancelFunc
	wg      sync.WaitGroup
}

var _ lambda.LogStore = (*Store)(nil)

// New returns a Store in dir with the default caps.
func New(dir string) *Store {
	return &Store{
		Dir:           dir,
		MaxBytes:      lambda.DefaultLogMaxBytes,
		Retention:     lambda.DefaultLogRetention,
		PurgeInterval: time.Minute,
		Logger:        slog.Default(),
		Now:           time.Now,
		fns:           map[string]*fnLog{},
	}
}

// Open creates the directory and starts removing expired segments.
func (s *Store) Open(ctx context.Context) error {
	if err := os.MkdirAll(s.Dir, 0o700); err != nil {
		return fmt.Errorf("create the log directory: %w", err)
	}
	s.ctx, s.cancel = context.WithCancel(context.WithoutCancel(ctx))
	s.purge()
	s.wg.Add(1)
	go s.purgeLoop()
	return nil
}

// Close ends every follow and the purge loop, waits for them until ctx
// ends, and closes the files.
func (s *Store) Close(ctx context.Context) error {
	if s.cancel == nil {
		return nil
	}
	s.cancel()
	done := make(chan struct{})
	go func() { s.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		return fmt.Errorf("log store: follows still running at shutdown: %w", ctx.Err())
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, f := range s.fns {
		f.mu.Lock()
		f.closeFile()
		f.mu.Unlock()
	}
	return nil
}

func (s *Store) purgeLoop() {
	defer s.wg.Done()
	t := time.NewTicker(s.PurgeInterval)
	defer t.Stop()
	for {
		select {
		case <-s.ctx.Done():
			return
		case <-t.C:
			s.purge()
		}
	}
}

// purge removes the segments past Retention of every function on disk,
// and the tombstones of deleted functions past tombstoneFor.
func (s *Store) purge() {
	s.mu.Lock()
	s.forgetDeletionsLocked(s.Now())
	s.mu.Unlock()
	entries, err := os.ReadDir(s.Dir)
	if err != nil {
		s.Logger.Warn("cannot list the log directory", "dir", s.Dir, "err", err)
		return
	}
	for _, e := range entries {
		if !e.IsDir() || lambda.ValidateName(e.Name()) != nil {
			continue
		}
		f, err := s.function(e.Name())
		if err != nil {
			s.Logger.Warn("cannot open a function's logs", "function", e.Name(), "err", err)
			continue
		}
		f.mu.Lock()
		f.expireLocked(s.Now().Add(-s.Retention))
		f.mu.Unlock()
	}
}

// function returns name's log, loading its segments on first use.
func (s *Store) function(name string) (*fnLog, error) {
	if err := lambda.ValidateName(name); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if f, ok := s.fns[name]; ok {
		return f, nil
	}
	f, err := loadFnLog(s, filepath.Join(s.Dir, name))
	if err != nil {
		return nil, err
	}
	s.fns[name] = f
	return f, nil
}

func (s *Store) segmentBytes() int64 {
	if s.SegmentBytes > 0 {
		return s.SegmentBytes
	}
	return max(s.MaxBytes/8, minSegment)
}

// tombstoneFor is how long after a function's deletion its instances'
// late lines are recognised: far more than a collector lags.
const tombstoneFor = 10 * time.Minute

// Append implements lambda.LogStore. Lines are grouped by function.
func (s *Store) Append(ctx context.Context, lines []lambda.LogLine) error {
	for start := 0; start < len(lines); {
		end := start + 1
		for end < len(lines) && lines[end].Function == lines[start].Function {
			end++
		}
		group := s.afterDeletion(lines[start:end])
		start = end
		if len(group) == 0 {
			continue
		}
		f, err := s.function(group[0].Function)
		if err != nil {
			return err
		}
		if err := f.append(group); err != nil {
			return err
		}
	}
	return nil
}

// afterDeletion returns the lines of one function printed after its
// latest deletion (all of them when it was not deleted lately).
func (s *Store) afterDeletion(lines []lambda.LogLine) []lambda.LogLine {
	s.mu.Lock()
	at, ok := s.deleted[lines[0].Function]
	s.mu.Unlock()
	if !ok {
		return lines
	}
	var kept []lambda.LogLine
	for _, l := range lines {
		if l.Time.After(at) {
			kept = append(kept, l)
		}
	}
	return kept
}

// forgetDeletionsLocked drops the tombstones past tombstoneFor.
func (s *Store) forgetDeletionsLocked(now time.Time) {
	for name, at := range s.deleted {
		if now.Sub(at) > tombstoneFor {
			delete(s.deleted, name)
		}
	}
}

// DeleteFunction implements lambda.LogStore; followers of the function end.
func (s *Store) DeleteFunction(ctx context.Context, name string) error {
	if err := lambda.ValidateName(name); err != nil {
		return err
	}
	s.mu.Lock()
	f := s.fns[name]
	delete(s.fns, name)
	now := s.Now()
	s.forgetDeletionsLocked(now)
	if s.deleted == nil {
		s.deleted = map[string]time.Time{}
	}
	s.deleted[name] = now
	s.mu.Unlock()
	if f != nil {
		f.mu.Lock()
		f.closeFile()
		f.segs = nil
		f.deleted = true
		for sub := range f.subs {
			sub.end()
		}
		f.mu.Unlock()
	}
	if err := os.RemoveAll(filepath.Join(s.Dir, name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("remove the logs of %s: %w", name, err)
	}
	return nil
}
