package docker

import (
	"bytes"
	"encoding/binary"
	"strings"
	"testing"
	"time"

	"github.com/lambdahq/lambda"
)

func frame(stream byte, payload string) []byte {
	var hdr [8]byte
	hdr[0] = stream
	binary.BigEndian.PutUint32(hdr[4:], uint32(len(payload)))
	return append(hdr[:], payload...)
}

func TestDemuxLines(t *testing.T) {
	t0 := "2026-12-05T20:00:00.000000001Z "
	t1 := "2026-12-05T20:00:01.5Z "
	long := strings.Repeat("z", lambda.MaxLogLine)
	var in bytes.Buffer
	in.Write(frame(1, t0+"hello\n"))
	in.Write(frame(2, t0+"part one, "))
	in.Write(frame(1, t1+"between\n"))
	in.Write(frame(2, t1+"part two\n"))
	for i := 0; i < len(long); i += 16 << 10 { // as Docker splits a long line
		in.Write(frame(1, t1+long[i:i+16<<10]))
	}
	in.Write(frame(1, t1+"overflow\n"))
	in.Write(frame(1, t1+"no newline at exit"))

	var got []lambda.LogLine
	if err := demuxLines(&in, time.Time{}, func(b []lambda.LogLine) { got = append(got, b...) }); err != nil {
		t.Fatal(err)
	}
	want := []struct {
		stream, msg string
		trunc       bool
	}{
		{"stdout", "hello", false},
		{"stdout", "between", false},
		{"stderr", "part one, part two", false},
		{"stdout", long, true},
		{"stdout", "no newline at exit", false},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d lines, want %d", len(got), len(want))
	}
	for i, w := range want {
		if got[i].Stream != w.stream || got[i].Message != w.msg || got[i].Truncated != w.trunc {
			t.Errorf("line %d: %s %.20q truncated %v; want %s %.20q %v", i, got[i].Stream, got[i].Message, got[i].Truncated, w.stream, w.msg, w.trunc)
		}
	}
	if !got[0].Time.Equal(time.Date(2026, 12, 5, 20, 0, 0, 1, time.UTC)) {
		t.Errorf("time of the first line: %s", got[0].Time)
	}

	// Since drops what Docker sends at or before its second.
	in.Reset()
	in.Write(frame(1, t0+"old\n"))
	in.Write(frame(1, t1+"new\n"))
	got = nil
	demuxLines(&in, time.Date(2026, 12, 5, 20, 0, 1, 0, time.UTC), func(b []lambda.LogLine) { got = append(got, b...) })
	if len(got) != 1 || got[0].Message != "new" {
		t.Errorf("since: %+v", got)
	}
}

func TestUnframeAll(t *testing.T) {
	in := "\x1einv-1\x1fhello\nshim says\n\x1e\x1fbetween\n\x1einv-2\x1f\x1eforged\x1fx\n"
	want := "hello\nshim says\nbetween\n\x1eforged\x1fx\n"
	if got := unframeAll(in); got != want {
		t.Errorf("unframeAll = %q, want %q", got, want)
	}
	if got := unframeAll("plain\n"); got != "plain\n" {
		t.Errorf("plain: %q", got)
	}
}
