package drivertest

import (
	"archive/tar"
	"context"
	"io"
	"testing"
	"time"

	"github.com/lambdahq/lambda"
)

// testPreinit: a driver that implements lambda.PreinitDriver starts a
// generic instance listed with no function, changes the limits of a
// running instance (not of a missing one, nor to negative ones), and
// reads a directory of an image as a tar.
func (s *suite) testPreinit(t *testing.T) {
	d, ok := s.d.(lambda.PreinitDriver)
	if !ok {
		t.Skip("the driver has no pre-initialized instances")
	}
	ctx := testContext(t)
	inst, err := d.StartPreinit(ctx, lambda.PreinitSpec{Runtime: "python", Image: s.tag, Env: map[string]string{"LAMBDA_PREINIT": "1"}})
	if err != nil {
		t.Fatalf("StartPreinit: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := s.d.StopInstance(ctx, inst.ID, 0); err != nil {
			t.Errorf("cleanup: StopInstance %s: %v", inst.ID, err)
		}
	})
	if inst.ID == "" || inst.Addr == "" || inst.Function != "" || !inst.Running {
		t.Fatalf("StartPreinit returned %+v, want an ID, an address, no function, running", inst)
	}
	if listed := s.findInstance(t, inst.ID); listed == nil || listed.Function != "" {
		t.Fatalf("ListInstances shows the generic instance as %+v, want it with no function (never adopted)", listed)
	}
	if err := d.UpdateInstance(ctx, inst.ID, lambda.InstanceLimits{MemoryBytes: 96 << 20, CPUShares: 256, PidsLimit: 64}); err != nil {
		t.Fatalf("UpdateInstance: %v", err)
	}
	wantCode(t, "UpdateInstance with negative limits", d.UpdateInstance(ctx, inst.ID, lambda.InstanceLimits{MemoryBytes: -1}), lambda.EINVALID)
	wantCode(t, "UpdateInstance of a missing instance", d.UpdateInstance(ctx, "0123456789ab0123456789ab", lambda.InstanceLimits{}), lambda.ENOTFOUND)

	r, err := d.ImageFiles(ctx, s.tag, "/")
	if err != nil {
		t.Fatalf("ImageFiles: %v", err)
	}
	defer r.Close()
	if _, err := tar.NewReader(r).Next(); err != nil && err != io.EOF {
		t.Fatalf("ImageFiles returned no tar: %v", err)
	}
	_, err = d.ImageFiles(ctx, s.prefix+"-missing:latest", "/")
	wantCode(t, "ImageFiles of a missing image", err, lambda.ENOTFOUND)
}
