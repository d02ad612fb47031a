package shim

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
)

func TestRing(t *testing.T) {
	for _, tc := range []struct {
		writes []string
		want   string
	}{
		{nil, ""},
		{[]string{"ab", "cd"}, "abcd"},
		{[]string{strings.Repeat("x", tailBytes-1), "yz"}, strings.Repeat("x", tailBytes-2) + "yz"},
		{[]string{strings.Repeat("a", 3*tailBytes) + "end"}, strings.Repeat("a", tailBytes-3) + "end"},
	} {
		var r ring
		for _, w := range tc.writes {
			r.Write([]byte(w))
		}
		if got := string(r.bytes()); got != tc.want {
			t.Errorf("%d writes: got %d bytes ending %q, want %d", len(tc.writes), len(got), got[max(0, len(got)-5):], len(tc.want))
		}
		r.reset()
		if len(r.bytes()) != 0 {
			t.Error("reset left bytes")
		}
	}
}

// TestOutputDrain checks that a snapshot holds everything written to the
// pipe before it, however far behind the copier is.
func TestOutputDrain(t *testing.T) {
	var l logs
	var out, errOut syncBuffer
	outW, errW, err := l.start(&out, &errOut)
	if err != nil {
		t.Fatal(err)
	}
	defer outW.Close()
	defer errW.Close()
	for i := range 200 {
		l.tail.reset()
		line := fmt.Sprintf("line %d\n", i)
		outW.WriteString(line)
		errW.WriteString("e" + line)
		snap := l.snapshot()
		if !bytes.Contains(snap, []byte(line)) || !bytes.Contains(snap, []byte("e"+line)) {
			t.Fatalf("snapshot %q lacks %q", snap, line)
		}
	}
	if !strings.Contains(out.String(), "line 199\n") || !strings.Contains(errOut.String(), "eline 199\n") {
		t.Error("output not copied")
	}
}
