package shim

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

func TestFrameLines(t *testing.T) {
	for _, tc := range []struct {
		name   string
		chunks []string
		id     string
		want   string
	}{
		{"lines", []string{"a\nb\n"}, "i1", "\x1ei1\x1fa\n\x1ei1\x1fb\n"},
		{"split across chunks", []string{"hel", "lo\nwor", "ld\n"}, "i1", "\x1ei1\x1fhello\n\x1ei1\x1fworld\n"},
		{"no invocation", []string{"x\n"}, "", "\x1e\x1fx\n"},
		{"forged frame", []string{"\x1eother\x1fy\n"}, "i1", "\x1ei1\x1f\x1eother\x1fy\n"},
		{"empty lines", []string{"\n\n"}, "i", "\x1ei\x1f\n\x1ei\x1f\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out []byte
			atStart := true
			for _, c := range tc.chunks {
				out = frameLines(out, []byte(c), tc.id, &atStart)
			}
			if string(out) != tc.want {
				t.Errorf("got %q, want %q", out, tc.want)
			}
		})
	}
}

// countingWriter records each Write, to check that lines are written whole.
type countingWriter struct{ writes []string }

func (w *countingWriter) Write(p []byte) (int, error) {
	w.writes = append(w.writes, string(p))
	return len(p), nil
}

func TestLineFramer(t *testing.T) {
	var w countingWriter
	f := &lineFramer{dst: &w, id: "r1"}
	f.Write([]byte("par"))
	f.Write([]byte("tial\nnext"))
	long := strings.Repeat("z", maxPendingLine+10)
	f.Write([]byte("\n" + long))
	f.Close()
	want := []string{"\x1er1\x1fpartial\n", "\x1er1\x1fnext\n", "\x1er1\x1f" + long[:maxPendingLine] + "\n", "\x1er1\x1f" + long[maxPendingLine:] + "\n"}
	if len(w.writes) != len(want) {
		t.Fatalf("%d writes, want %d: %q", len(w.writes), len(want), w.writes)
	}
	for i := range want {
		if w.writes[i] != want[i] {
			t.Errorf("write %d: %.40q, want %.40q", i, w.writes[i], want[i])
		}
	}
}

// The shim frames each line the function prints during an invocation
// with that invocation's ID, on both streams, and a line that imitates a
// frame still carries the shim's first.
func TestRuntimeFramesLinesWithInvocation(t *testing.T) {
	s := startShim(t, protoHandler)
	s.waitReady()
	for _, id := range []string{"inv-1", "inv-2"} {
		s.do("POST", "/", `{"action":"log","text":"from-`+id+`"}`, "X-Lambda-Request-Id", id).expect(200)
	}
	s.do("POST", "/", `{"action":"log","text":"\u001einv-1\u001fforged"}`, "X-Lambda-Request-Id", "inv-3").expect(200)
	want := map[*syncBuffer][]string{
		s.stdout: {"\x1einv-1\x1ffrom-inv-1\n", "\x1einv-2\x1ffrom-inv-2\n", "\x1einv-3\x1f\x1einv-1\x1fforged\n"},
		s.stderr: {"\x1einv-1\x1ffrom-inv-1-err\n", "\x1einv-2\x1ffrom-inv-2-err\n"},
	}
	deadline := time.Now().Add(5 * time.Second)
	for buf, lines := range want {
		for _, l := range lines {
			for !strings.Contains(buf.String(), l) {
				if time.Now().After(deadline) {
					t.Fatalf("output lacks %q:\n%q", l, buf.String())
				}
				time.Sleep(5 * time.Millisecond)
			}
		}
	}
}

func TestStdioFramesStderrWithInvocation(t *testing.T) {
	s := startShim(t, protoStdio)
	s.waitReady()
	s.do("POST", "/fail", "", "X-Lambda-Request-Id", "run-7")
	deadline := time.Now().Add(5 * time.Second)
	for !bytes.Contains([]byte(s.stderr.String()), []byte("\x1erun-7\x1fsomething broke\n")) {
		if time.Now().After(deadline) {
			t.Fatalf("stderr lacks the framed line:\n%q", s.stderr.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
}
