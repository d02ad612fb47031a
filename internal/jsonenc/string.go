// Package jsonenc writes JSON by appending to a byte slice, byte for byte
// as encoding/json's Marshal does, without its reflection: the platform's
// writers that run once per request (the log store's lines, the
// history's records) encode with it. (The shim keeps its own: its source
// is compiled in Docker builds that have only the standard library.)
package jsonenc

import (
	"math/bits"
	"unicode/utf8"
)

const hex = "0123456789abcdef"

// AppendString appends s as a JSON string, escaped as json.Marshal escapes
// it: quotes, backslashes and control characters (\b \f \n \r \t short,
// others as \u00XX), <, > and & (HTML-safe), U+2028 and U+2029, and
// invalid UTF-8 replaced by U+FFFD. Runs of bytes that need none of it
// are checked 8 at a time and copied whole.
func AppendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; ; {
		if i = plainRun(s, i); i == len(s) {
			break
		}
		c := s[i]
		if c < utf8.RuneSelf {
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// plain marks the bytes AppendString copies as they are: printable ASCII
// but for " \ < > &.
var plain = func() (t [256]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\' && c != '<' && c != '>' && c != '&'
	}
	return t
}()

// plainRun returns where the run of plain bytes of s from i ends: 8
// bytes at a time, in a loop of its own so that its variables stay in
// registers (AppendString's loop, with its appends, spills them).
func plainRun(s string, i int) int {
	for ; i+8 <= len(s); i += 8 {
		if bad := special8(load8(s, i)); bad != 0 {
			// The lowest flagged byte is the first that needs escaping
			// (a flag above it may be false: a borrow's).
			return i + bits.TrailingZeros64(bad)/8
		}
	}
	for i < len(s) && plain[s[i]] {
		i++
	}
	return i
}

// load8 is s[i:i+8] as a little-endian word (one load: the compiler
// combines the bytes' loads).
func load8(s string, i int) uint64 {
	s = s[i : i+8]
	return uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
		uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
}

const (
	ones = 0x0101010101010101
	high = 0x8080808080808080
)

// special8 flags (in its high bit) each byte of w that is not plain:
// below 0x20 or above 0x7f, or one of " \ < > &; 0 when all 8 are plain.
// ((x - n*ones) & ^x & high flags the bytes of x below n, n <= 0x80, so
// with n = 1 the zero bytes of x ^ c*ones, the bytes equal to c. Exact up
// to the lowest flag: a borrow may flag a byte above it.)
func special8(w uint64) uint64 {
	quoteAmp := w&(0xfb*ones) ^ ('"' * ones) // " and & (0x22, 0x26)
	angle := w&(0xfd*ones) ^ ('<' * ones)    // < and > (0x3c, 0x3e)
	bs := w ^ ('\\' * ones)
	return ((w-0x20*ones)&^w | // control characters
		w | // not ASCII
		(quoteAmp-ones)&^quoteAmp | (angle-ones)&^angle | (bs-ones)&^bs) & high
}
