package lambda

import (
	"encoding/base64"
	"strconv"
	"strings"
	"time"
)

// JobCursor is a position in a listing of jobs, which runs newest first:
// by CreatedAt, then by creation order (Seq), both descending. A page
// resumes after the previous page's last job.
type JobCursor struct {
	CreatedAt time.Time
	Seq       int64
	// Record: the position is a synchronous invocation's record, listed
	// with the jobs (MergeInvocations); Seq is then the record's.
	Record bool
}

// CursorAfter returns the cursor that lists the jobs after j.
func CursorAfter(j *Job) *JobCursor {
	return &JobCursor{CreatedAt: j.CreatedAt, Seq: j.Seq}
}

// Follows reports whether j comes after c in a listing's order.
func (c *JobCursor) Follows(j *Job) bool {
	if cmp := j.CreatedAt.Compare(c.CreatedAt); cmp != 0 {
		return cmp < 0
	}
	return j.Seq < c.Seq
}

// String is the cursor as an opaque token for an API or a command line.
func (c *JobCursor) String() string {
	raw := strconv.FormatInt(c.CreatedAt.UnixNano(), 10) + "." + strconv.FormatInt(c.Seq, 10)
	if c.Record {
		raw += ".r"
	}
	return base64.RawURLEncoding.EncodeToString([]byte(raw))
}

// ParseJobCursor reads a token made by JobCursor.String.
func ParseJobCursor(token string) (*JobCursor, error) {
	bad := Errorf(EINVALID, "cursor %q is not one a listing returned: pass the next_cursor of the previous page as it is", token)
	raw, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil {
		return nil, bad
	}
	nanos, seq, ok := strings.Cut(string(raw), ".")
	if !ok {
		return nil, bad
	}
	seq, record := strings.CutSuffix(seq, ".r")
	n, err1 := strconv.ParseInt(nanos, 10, 64)
	s, err2 := strconv.ParseInt(seq, 10, 64)
	if err1 != nil || err2 != nil || s < 0 {
		return nil, bad
	}
	return &JobCursor{CreatedAt: time.Unix(0, n).UTC(), Seq: s, Record: record}, nil
}
