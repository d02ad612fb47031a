package jsonenc

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

func TestAppendString(t *testing.T) {
	tests := []string{
		"", "plain", "exactly8", "sixteen bytes ok", `q"uote\back`, "\b\f\n\r\t\x00\x1f\x7f",
		"<a href='x'>&amp;</a>", "é日本\U0001F600", "bad\xffutf8\xc3", "\u2028 and \u2029",
		"START RequestId: 0193f1a2-b3c4-7d5e-8f60-718293a4b5c6 Version: 1",
		"REPORT RequestId: 0193f1a2-b3c4-7d5e-8f60-718293a4b5c6\tDuration: 1.23 ms\tBilled Duration: 2 ms\t",
		"seven..", "1234567\"", "12345678\"", "\"12345678", "1234567<", "=>?;'%$#", "@ABCDEFG~}|{`_^]",
		strings.Repeat("a", 63) + "\x00", strings.Repeat("é", 9),
	}
	for _, s := range tests {
		want, _ := json.Marshal(s)
		if got := AppendString(nil, s); !bytes.Equal(got, want) {
			t.Errorf("AppendString(%q) = %s, json.Marshal %s", s, got, want)
		}
	}
}

// Every byte value, alone and in each position of an 8-byte word of
// plain ones: the word check must send each that needs escaping to the
// byte loop.
func TestAppendStringEveryByte(t *testing.T) {
	for c := range 256 {
		for pos := range 9 {
			s := []byte("abcdefghi")
			s[pos] = byte(c)
			want, _ := json.Marshal(string(s))
			if got := AppendString(nil, string(s)); !bytes.Equal(got, want) {
				t.Fatalf("byte %#x at %d: got %s, json.Marshal %s", c, pos, got, want)
			}
		}
	}
}

func FuzzAppendString(f *testing.F) {
	for _, s := range []string{"", "plain text of some length", "a\"<\u2028\xff", "\x00\x1f\t\n", "日本語のテキスト"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want, _ := json.Marshal(s)
		if got := AppendString([]byte("x"), s); !bytes.Equal(got[1:], want) {
			t.Fatalf("AppendString(%q) = %s, json.Marshal %s", s, got[1:], want)
		}
	})
}

// BenchmarkAppendString: the strings of a warm invocation's lines and
// record (an ID, a START message, a REPORT message with its tabs).
func BenchmarkAppendString(b *testing.B) {
	for _, bb := range []struct{ name, s string }{
		{"id", "0193f1a2-b3c4-7d5e-8f60-718293a4b5c6"},
		{"start", "START RequestId: 0193f1a2-b3c4-7d5e-8f60-718293a4b5c6 Version: 1"},
		{"report", "REPORT RequestId: 0193f1a2-b3c4-7d5e-8f60-718293a4b5c6\tDuration: 1.23 ms\tBilled Duration: 2 ms\tMemory Size: 128 MB\tMax Memory Used: 31 MB\t"},
	} {
		b.Run(bb.name, func(b *testing.B) {
			buf := make([]byte, 0, 512)
			b.SetBytes(int64(len(bb.s)))
			for b.Loop() {
				buf = AppendString(buf[:0], bb.s)
			}
		})
	}
}
