package sqlite

import (
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
)

// The journal's records (job_journal.go) are a compact binary form of the
// values bound to jobs' columns: exact (a blob stays a blob, an integer an
// integer), and cheaper to write than JSON, which is on the path of every
// asynchronous submission.

// Kinds of journal record.
const (
	journalCreates  = 1 // jobs created: seq, then jobColumns' values, each
	journalClaims   = 2 // jobs claimed: the time, then their IDs
	journalOutcomes = 3 // jobs' new state: ID, then jobColumns' values (no payload), each
)

// Tags of a value.
const (
	tagNull = iota
	tagFalse
	tagTrue
	tagInt
	tagText
	tagBlob
)

// journalEncoder appends a record.
type journalEncoder struct{ b []byte }

func (e *journalEncoder) uint(n uint64) { e.b = binary.AppendUvarint(e.b, n) }

func (e *journalEncoder) text(s string) {
	e.uint(uint64(len(s)))
	e.b = append(e.b, s...)
}

// value appends v, one of the types jobArgs binds.
func (e *journalEncoder) value(v any) error {
	switch v := v.(type) {
	case nil:
		e.b = append(e.b, tagNull)
	case bool:
		if v {
			e.b = append(e.b, tagTrue)
		} else {
			e.b = append(e.b, tagFalse)
		}
	case int:
		e.b = append(e.b, tagInt)
		e.b = binary.AppendVarint(e.b, int64(v))
	case int64:
		e.b = append(e.b, tagInt)
		e.b = binary.AppendVarint(e.b, v)
	case string:
		e.b = append(e.b, tagText)
		e.text(v)
	case sql.NullString:
		if !v.Valid {
			e.b = append(e.b, tagNull)
			break
		}
		e.b = append(e.b, tagText)
		e.text(v.String)
	case []byte:
		e.b = append(e.b, tagBlob)
		e.uint(uint64(len(v)))
		e.b = append(e.b, v...)
	default:
		return fmt.Errorf("sqlite: journal: no encoding for a %T", v)
	}
	return nil
}

func (e *journalEncoder) values(args []any) error {
	e.uint(uint64(len(args)))
	for _, v := range args {
		if err := e.value(v); err != nil {
			return err
		}
	}
	return nil
}

var errJournalRecord = errors.New("sqlite: journal: malformed record")

// journalDecoder reads a record. Its first error sticks.
type journalDecoder struct {
	b   []byte
	err error
}

func (d *journalDecoder) uint() uint64 {
	if d.err != nil {
		return 0
	}
	n, k := binary.Uvarint(d.b)
	if k <= 0 {
		d.err = errJournalRecord
		return 0
	}
	d.b = d.b[k:]
	return n
}

func (d *journalDecoder) bytes() []byte {
	n := d.uint()
	if d.err != nil || n > uint64(len(d.b)) {
		d.err = errJournalRecord
		return nil
	}
	b := d.b[:n:n]
	d.b = d.b[n:]
	return b
}

func (d *journalDecoder) text() string { return string(d.bytes()) }

func (d *journalDecoder) value() any {
	if d.err != nil || len(d.b) == 0 {
		d.err = errJournalRecord
		return nil
	}
	tag := d.b[0]
	d.b = d.b[1:]
	switch tag {
	case tagNull:
		return nil
	case tagFalse:
		return false
	case tagTrue:
		return true
	case tagInt:
		n, k := binary.Varint(d.b)
		if k <= 0 {
			d.err = errJournalRecord
			return nil
		}
		d.b = d.b[k:]
		return n
	case tagText:
		return d.text()
	case tagBlob:
		return append([]byte{}, d.bytes()...)
	}
	d.err = errJournalRecord
	return nil
}

// values reads what values wrote: jobColumnCount of them.
func (d *journalDecoder) values() []any {
	n := d.uint()
	if d.err == nil && n != uint64(jobColumnCount) {
		d.err = fmt.Errorf("sqlite: journal: a record of %d columns, not %d", n, jobColumnCount)
	}
	if d.err != nil {
		return nil
	}
	args := make([]any, n)
	for i := range args {
		args[i] = d.value()
	}
	return args
}

// Positions in jobColumns (and jobArgs) the journal sets.
var (
	argPayload   = jobColumn("payload")
	argResponse  = jobColumn("response")
	argStartedAt = jobColumn("started_at")
)

// argsScanner scans a row of jobColumns from their bound values, as
// database/sql would from the row they make: the journal's jobs are read
// by scanJob as their rows are.
type argsScanner []any

func (a argsScanner) Scan(dest ...any) error {
	if len(dest) != len(a) {
		return fmt.Errorf("sqlite: journal: %d values for %d columns", len(a), len(dest))
	}
	for i, d := range dest {
		v := a[i]
		if ns, ok := v.(sql.NullString); ok {
			v = nil
			if ns.Valid {
				v = ns.String
			}
		}
		ok := true
		switch d := d.(type) {
		case *string:
			*d, ok = v.(string)
		case *bool:
			*d, ok = v.(bool)
		case *[]byte:
			switch v := v.(type) {
			case nil:
				*d = nil
			case []byte:
				*d = slices.Clone(v)
			case string:
				*d = []byte(v)
			default:
				ok = false
			}
		case *int64:
			var n int64
			n, ok = asInt(v)
			*d = n
		case *int:
			var n int64
			n, ok = asInt(v)
			*d = int(n)
		case *sql.NullString:
			switch v := v.(type) {
			case nil:
				*d = sql.NullString{}
			case string:
				*d = sql.NullString{String: v, Valid: true}
			default:
				ok = false
			}
		default:
			ok = false
		}
		if !ok {
			return fmt.Errorf("sqlite: journal: column %d holds a %T, not for a %T", i, a[i], d)
		}
	}
	return nil
}

func asInt(v any) (int64, bool) {
	switch v := v.(type) {
	case int:
		return int64(v), true
	case int64:
		return v, true
	}
	return 0, false
}
