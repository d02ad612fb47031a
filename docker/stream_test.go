package docker

import (
	"strings"
	"testing"
)

func TestRenderStream(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		out     string
		imageID string
		errMsg  string
		readErr bool
	}{
		{
			name:    "build",
			in:      `{"stream":"Step 1/2 : FROM scratch\n"}{"stream":" ---\u003e \n"}{"aux":{"ID":"sha256:abc"}}{"stream":"Successfully built abc\n"}`,
			out:     "Step 1/2 : FROM scratch\n ---> \nSuccessfully built abc\n",
			imageID: "sha256:abc",
		},
		{
			name:   "build error",
			in:     `{"stream":"Step 2/2 : COPY missing /x\n"}{"errorDetail":{"message":"COPY failed"},"error":"COPY failed"}{"stream":"never"}`,
			out:    "Step 2/2 : COPY missing /x\n",
			errMsg: "COPY failed",
		},
		{
			name:   "old daemon error",
			in:     `{"error":"boom"}`,
			errMsg: "boom",
		},
		{
			name: "pull progress ticks dropped",
			in:   `{"status":"Pulling from library/x","id":"v1"}{"status":"Downloading","progressDetail":{"current":10,"total":100},"id":"abc"}{"status":"Pull complete","progressDetail":{},"id":"abc"}{"status":"Digest: sha256:1"}`,
			out:  "v1: Pulling from library/x\nabc: Pull complete\nDigest: sha256:1\n",
		},
		{name: "empty", in: ""},
		{name: "garbage", in: `{"stream":"a\n"} not json`, out: "a\n", readErr: true},
		{name: "truncated", in: `{"stream":"a`, readErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out strings.Builder
			res, err := renderStream(strings.NewReader(tt.in), &out)
			if (err != nil) != tt.readErr {
				t.Fatalf("err = %v, want error: %v", err, tt.readErr)
			}
			if out.String() != tt.out || res.ImageID != tt.imageID || res.Err != tt.errMsg {
				t.Errorf("got out %q, id %q, err %q; want %q, %q, %q", out.String(), res.ImageID, res.Err, tt.out, tt.imageID, tt.errMsg)
			}
		})
	}
}

func FuzzRenderStream(f *testing.F) {
	f.Add(`{"stream":"Step 1/2\n"}{"aux":{"ID":"sha256:abc"}}{"errorDetail":{"message":"x"}}`)
	f.Add(`{"status":"Downloading","progressDetail":{"current":1},"id":"a"}`)
	f.Fuzz(func(t *testing.T, in string) {
		tail := newTailWriter(3)
		_, _ = renderStream(strings.NewReader(in), tail)
		if got := len(strings.Split(tail.String(), "\n")); got > 3 {
			t.Errorf("tail kept %d lines, want at most 3", got)
		}
	})
}

func TestTailWriter(t *testing.T) {
	tests := []struct {
		name   string
		writes []string
		n      int
		want   string
	}{
		{"fewer lines", []string{"a\nb\n"}, 3, "a\nb"},
		{"keeps the last", []string{"1\n2\n", "3\n4", "\n5\n"}, 2, "4\n5"},
		{"unfinished line counts", []string{"1\n2\n3"}, 2, "2\n3"},
		{"split writes", []string{"he", "llo\nwor", "ld"}, 5, "hello\nworld"},
		{"carriage returns trimmed", []string{"a\r\nb\r\n"}, 5, "a\nb"},
		{"long line cut", []string{strings.Repeat("x", 3000) + "\n"}, 1, strings.Repeat("x", maxLine)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newTailWriter(tt.n)
			for _, s := range tt.writes {
				_, _ = w.Write([]byte(s))
			}
			if got := w.String(); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestLastBytes(t *testing.T) {
	tests := []struct {
		in    string
		limit int
		want  string
	}{
		{"short", 10, "short"},
		{"line1\nline2\nline3\n", 12, "line3\n"},
		{"abcdefgh", 3, "fgh"},
	}
	for _, tt := range tests {
		if got := string(lastBytes([]byte(tt.in), tt.limit)); got != tt.want {
			t.Errorf("lastBytes(%q, %d) = %q, want %q", tt.in, tt.limit, got, tt.want)
		}
	}
}
