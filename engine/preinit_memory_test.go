package engine_test

import (
	"archive/tar"
	"bytes"
	"context"
	"io"
	"testing"

	"github.com/lambdahq/lambda"
)

// bigCodeDriver is preinitDriver whose function images hold size bytes
// of code.
type bigCodeDriver struct {
	*preinitDriver
	size int
}

func (d bigCodeDriver) ImageFiles(ctx context.Context, image, dir string) (io.ReadCloser, error) {
	var b bytes.Buffer
	tw := tar.NewWriter(&b)
	_ = tw.WriteHeader(&tar.Header{Name: "blob", Mode: 0o644, Size: int64(d.size), Typeflag: tar.TypeReg})
	_, _ = tw.Write(make([]byte, d.size))
	_ = tw.Close()
	return io.NopCloser(&b), nil
}

// TestPreinitLimitHoldsTheCode: the code a generic instance gets is
// unpacked into a tmpfs, memory charged to the container, where an
// image's layers are not: its memory limit grows by the code, so that
// the function keeps its memory for itself (found by the hostile pass: a
// function with 40 MB of code allocating 30 MB in 64 MB was served from
// its image and killed in a generic instance, at every cold start). A
// function with the default limits and little code needs no update.
func TestPreinitLimitHoldsTheCode(t *testing.T) {
	tests := []struct {
		name   string
		code   int
		memory int64
		want   [2]int64 // the limit's bounds; 0: no update
	}{
		{"its own memory", 20 << 20, 64 << 20, [2]int64{84 << 20, 86 << 20}},
		{"the default memory, much code", 40 << 20, 0, [2]int64{lambda.DefaultMemoryBytes + 40<<20, lambda.DefaultMemoryBytes + 42<<20}},
		{"the default memory, little code", 1 << 20, 0, [2]int64{0, 0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, d, _ := newPreinitEnv(t, 1, func(e *env) {
				big := bigCodeDriver{preinitDriver: e.eng.Driver.(*preinitDriver), size: tt.code}
				e.eng.Driver = big
			})
			pythonRuntime(t, e, "lambda-runtime-python:t1", "base1")
			e.mustDeploy(t, "big", lambda.Config{MemoryBytes: tt.memory})
			eventually(t, "a generic instance and the code", func() bool { return e.preinitReady(t, "big") == 1 })
			_, ids := d.started()
			if served := e.coldStart(t, "big"); served != ids[0] {
				t.Fatalf("served by %s, want the generic instance %s", served, ids[0])
			}
			l, ok := e.driver.Limits(ids[0])
			if tt.want[0] == 0 {
				if ok {
					t.Errorf("limits %+v given, want no update", l)
				}
				return
			}
			if l.MemoryBytes < tt.want[0] || l.MemoryBytes > tt.want[1] {
				t.Errorf("limits %+v: memory %d MB, want %d-%d MB: the function's memory and its code", l, l.MemoryBytes>>20, tt.want[0]>>20, tt.want[1]>>20)
			}
		})
	}
}
