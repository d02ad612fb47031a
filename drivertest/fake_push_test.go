package drivertest

import (
	"strings"
	"testing"

	"github.com/lambdahq/lambda"
)

// TestFakeInstanceSuiteWithRegistry runs the instance suite as a cluster
// driver runs it: from images pushed to a registry, by digest.
func TestFakeInstanceSuiteWithRegistry(t *testing.T) {
	RunInstances(t, func(t *testing.T) InstanceTarget {
		f := NewFake()
		return InstanceTarget{Driver: f, Images: f, Registry: "registry.test:5000", Pausable: true}
	})
}

func TestFakePushImage(t *testing.T) {
	f, id := newFakeWithImage(t)
	tests := []struct {
		name, image, ref string
		down             bool
		want, code       string
	}{
		{name: "pushed by digest", image: "fn:v1", ref: "reg.test:5000/func-fn:v1", want: "reg.test:5000/func-fn@" + id},
		{name: "by ID, tag implied", image: id, ref: "reg.test:5000/func-fn", want: "reg.test:5000/func-fn@" + id},
		{name: "registry down", image: id, ref: "reg.test:5000/func-fn:v2", down: true, code: lambda.EUNAVAILABLE},
		{name: "digest reference", image: id, ref: "reg.test:5000/func-fn@" + id, code: lambda.EINVALID},
		{name: "bad reference", image: id, ref: "Bad Ref", code: lambda.EINVALID},
		{name: "missing image", image: "nothing:v1", ref: "reg.test:5000/nothing:v1", code: lambda.ENOTFOUND},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f.SetRegistryDown("reg.test:5000", tt.down)
			got, err := f.PushImage(t.Context(), tt.image, tt.ref, nil)
			if code := lambda.ErrorCode(err); code != tt.code || got != tt.want {
				t.Fatalf("PushImage(%s, %s) = %q, %v (code %q); want %q, code %q", tt.image, tt.ref, got, err, code, tt.want, tt.code)
			}
			if tt.code == lambda.EUNAVAILABLE && !strings.Contains(err.Error(), "reg.test:5000") {
				t.Errorf("the error %q does not name the registry", err)
			}
			if tt.want == "" {
				return
			}
			if ok, _ := f.ImageExists(t.Context(), got); !ok {
				t.Errorf("the pushed reference %s is not known to the engine that pushed it", got)
			}
		})
	}
}
