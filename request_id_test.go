package lambda

import (
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestNewRequestID(t *testing.T) {
	uuid7 := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	seen := map[string]bool{}
	before := time.Now().UnixMilli()
	prev := ""
	for range 1000 {
		id := NewRequestID()
		if !uuid7.MatchString(id) {
			t.Fatalf("%q is not a version 7 UUID", id)
		}
		if seen[id] {
			t.Fatalf("%q twice", id)
		}
		seen[id] = true
		// The first 48 bits are the time in milliseconds: IDs of later
		// milliseconds sort after earlier ones.
		ms, err := strconv.ParseInt(strings.ReplaceAll(id[:13], "-", ""), 16, 64)
		if err != nil || ms < before || ms > time.Now().UnixMilli() {
			t.Fatalf("%q: time %d (%v), want between %d and now", id, ms, err, before)
		}
		if prev != "" && id[:13] < prev[:13] {
			t.Fatalf("%q after %q: time went back", id, prev)
		}
		prev = id
	}
}
