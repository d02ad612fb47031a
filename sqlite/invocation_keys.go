package sqlite

import (
	"slices"

	"github.com/lambdahq/lambda"
	"github.com/lambdahq/lambda/internal/jsonenc"
)

// idKeyLen is the length of a time-ordered ID's key: 8 hex digits, a
// dash and 3 more, the top 44 of its 48 bits of Unix milliseconds, so a
// key names 16 ms of IDs. Coarser keys would be fewer rows per batch
// (a batch of 256 records under load spans ~100 ms: ~6 keys), but a
// lookup reads the text of every chunk under its key, whatever function
// it holds, and at 256 ms a busy platform's key held 300 KB of records.
const idKeyLen = 12

// idKey is the key under which invocation_keys names the chunks holding
// a record of id (migration 0014, whose CASE computes the same): the
// prefix of a time-ordered UUID (version 7, lowercase, as
// lambda.NewRequestID makes them), else id itself. The records of a
// batch were made within a few hundred milliseconds of each other, so a
// chunk has a few keys instead of an index entry per record.
func idKey(id string) string {
	if isUUIDv7(id) {
		return id[:idKeyLen]
	}
	return id
}

// isUUIDv7 reports whether id is a lowercase UUID of version 7 and the
// RFC 9562 variant: xxxxxxxx-xxxx-7xxx-[89ab]xxx-xxxxxxxxxxxx.
func isUUIDv7(id string) bool {
	if len(id) != 36 || id[8] != '-' || id[13] != '-' || id[18] != '-' || id[23] != '-' || id[14] != '7' {
		return false
	}
	switch id[19] {
	case '8', '9', 'a', 'b':
	default:
		return false
	}
	// Every record's ID goes through here: a table, not a switch per byte.
	for i := 0; i < len(id); i++ {
		if !uuidByte[id[i]] {
			return false
		}
	}
	return true
}

// uuidByte marks lowercase hex digits and the dash (placed above).
var uuidByte = func() (t [256]bool) {
	for _, c := range "0123456789abcdef-" {
		t[c] = true
	}
	return t
}()

// chunkKeys returns the distinct keys of recs' IDs, reusing keys.
func chunkKeys(keys []string, recs []*lambda.Invocation) []string {
	keys = keys[:0]
	for _, r := range recs {
		// Records come in about the order their IDs were made: most
		// repeat the last key.
		if k := idKey(r.ID); len(keys) == 0 || keys[len(keys)-1] != k {
			keys = append(keys, k)
		}
	}
	if len(keys) > 1 {
		slices.Sort(keys)
		keys = slices.Compact(keys)
	}
	return keys
}

// appendKeys appends keys as a JSON array of strings, for insertKeys.
func appendKeys(b []byte, keys []string) []byte {
	b = append(b, '[')
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = jsonenc.AppendString(b, k)
	}
	return append(b, ']')
}
