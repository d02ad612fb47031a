package engine

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/lambdahq/lambda"
)

// Labels a function's image inherits from the image it was built on
// (runtimes/probe.go, runtimes/publish.go, runtimes/shim.go): its role
// (runtime or shim), its tag and, for a runtime image, the base image it
// was built on.
const (
	labelRuntimeRole = "lambda.role"
	labelRuntimeRef  = "lambda.image"
	labelRuntimeBase = "lambda.base-id"
)

// The shim base under Go functions (runtimes/shim.go, runtimes/golang.go):
// FROM scratch, the CA bundle and the shim; a Go SDK, aws or stdio
// function adds its binary, /function, and runs it behind the shim.
const (
	shimBaseRepo = "lambda-shim-base:"
	shimPath     = "/lambda/shim"
	goBinary     = "/function"
	// goTaskBinary is where a generic instance of the shim base gets the
	// binary: its task root is the only writable, executable place.
	goTaskBinary = "/var/task/function"
)

// The shim's LAMBDA_PREINIT: "1" starts the image's command at once (an
// interpreter that loads before it knows its function), "exec" starts it
// once the init brought it (a Go function's binary is its code).
const (
	preinitStart = "1"
	preinitExec  = "exec"
)

// imageKind is what a function image tells about pre-initialization,
// learnt once per image: the generic instances that fit it ("" pool: none)
// and its code, exported in the background.
type imageKind struct {
	pool    string // the stemPool's key: the generic image, and the protocol for the shim base
	size    string // the runtime its pool's size is configured by (python, node, go)
	base    string // the base image ID a runtime image was built on
	spec    lambda.PreinitSpec
	export  string // what travels in the init: the task root, or the binary
	code    []byte // nil until exported
	tries   int    // failed exports in a row, guarded by preinitState.mu
	retryAt time.Time
	// exporting is guarded by preinitState.mu.
	exporting bool
}

// exportBackoff is how long after a failed export of a function's code
// the next start tries again: doubled for each failure in a row, up to
// maxExportBackoff. A failure can be passing (Docker busy, a timeout).
const (
	exportBackoff    = time.Minute
	maxExportBackoff = time.Hour
)

// imageKind inspects v's image once: a handler function built on a
// runtime image, and a Go function behind the shim, say which generic
// instances fit them.
func (e *Engine) imageKind(ctx context.Context, v *lambda.Version) *imageKind {
	s := &e.preinit
	s.mu.Lock()
	if s.kinds == nil {
		s.kinds, s.pools = map[string]*imageKind{}, map[string]*stemPool{}
	}
	k, ok := s.kinds[v.ImageID]
	s.mu.Unlock()
	if ok {
		return usable(k)
	}
	img, err := e.Images.InspectImage(ctx, v.ImageID)
	if err != nil {
		return nil // not remembered: the next start asks again
	}
	k = kindOf(img, v.Config)
	s.mu.Lock()
	if prev, ok := s.kinds[v.ImageID]; ok {
		k = prev
	} else {
		s.kinds[v.ImageID] = k
	}
	s.mu.Unlock()
	return usable(k)
}

// kindOf reads which generic instances fit a function's image.
func kindOf(img *lambda.Image, cfg lambda.Config) *imageKind {
	ref := img.Labels[labelRuntimeRef]
	switch {
	case ref == "":
	case cfg.Runtime != lambda.RuntimePython && cfg.Runtime != lambda.RuntimeNode && cfg.Runtime != lambda.RuntimeGo:
		// A Dockerfile's or a deployed image, even FROM a runtime image or
		// the shim base with the entrypoint a Go function has, may hold
		// files, environment and settings of its own beside the code a
		// generic instance would get: only images the platform built
		// from a function's code hold nothing else.
	case img.Labels[labelRuntimeRole] == "runtime" && cfg.Protocol == lambda.ProtocolHandler:
		root := "/var/task"
		for _, kv := range img.Env {
			if dir, ok := strings.CutPrefix(kv, "LAMBDA_TASK_ROOT="); ok {
				root = dir
			}
		}
		return &imageKind{pool: ref, size: cfg.Runtime, base: img.Labels[labelRuntimeBase], export: root,
			spec: lambda.PreinitSpec{Runtime: cfg.Runtime, Image: ref, Env: map[string]string{"LAMBDA_PREINIT": preinitStart}}}
	case img.Labels[labelRuntimeRole] == "shim" && strings.HasPrefix(ref, shimBaseRepo) && len(img.Cmd) == 0 &&
		slices.Equal(img.Entrypoint, shimCommand(cfg.Protocol, goBinary)):
		// Only the binary differs between the Go functions of one
		// protocol: the rest of their image is the shim base's.
		return &imageKind{pool: ref + " " + cfg.Protocol, size: lambda.RuntimeGo, export: goBinary,
			spec: lambda.PreinitSpec{Runtime: "go-" + cfg.Protocol, Image: ref, Entrypoint: shimCommand(cfg.Protocol, goTaskBinary),
				Env: map[string]string{"LAMBDA_PREINIT": preinitExec}}}
	}
	return &imageKind{}
}

// shimCommand is the entrypoint of a Go function behind the shim.
func shimCommand(protocol, binary string) []string {
	switch protocol {
	case lambda.ProtocolHandler, lambda.ProtocolAWS, lambda.ProtocolStdio:
		return []string{shimPath, "--protocol", protocol, "--", binary}
	}
	return nil
}

// fits reports whether a function with cfg may be given one of k's
// generic instances: one whose interpreter started before the init (the
// handler runtimes) gets the function's environment only once it runs,
// too late for what the interpreter or the C library reads at its start
// (PYTHONPATH, PYTHONHASHSEED, NODE_OPTIONS, NODE_EXTRA_CA_CERTS, TZ for
// Python's time, the locale, LD_PRELOAD...): a function that sets any of
// them starts the regular way. A Go function's binary starts after the
// init, with its environment.
func (k *imageKind) fits(cfg lambda.Config) bool {
	if k.spec.Env["LAMBDA_PREINIT"] != preinitStart {
		return true
	}
	for name := range cfg.Env {
		if readAtStart(name) {
			return false
		}
	}
	return true
}

// readAtStart reports whether an interpreter (Python, Node) or the C
// library may read the variable name once, when the process starts.
func readAtStart(name string) bool {
	switch name {
	// TZDIR, LOCPATH and GCONV_PATH: where the C library finds the zone,
	// locale and charset data it loads at the first use, often at start.
	case "TZ", "TZDIR", "LANG", "LANGUAGE", "LOCPATH", "GCONV_PATH":
		return true
	}
	for _, prefix := range []string{"PYTHON", "NODE_", "UV_", "LD_", "LC_", "MALLOC_", "GLIBC_", "OPENSSL_"} {
		if strings.HasPrefix(name, prefix) {
			return true
		}
	}
	return false
}

func usable(k *imageKind) *imageKind {
	if k.pool == "" {
		return nil
	}
	return k
}

// exportCode reads what travels in the init out of the function's image.
// A failure is tried again after a backoff.
func (e *Engine) exportCode(ctx context.Context, d lambda.PreinitDriver, imageID string, k *imageKind) {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	code, err := readCode(ctx, d, imageID, k.export)
	s := &e.preinit
	s.mu.Lock()
	defer s.mu.Unlock()
	k.exporting = false
	if err != nil {
		wait := min(exportBackoff<<min(k.tries, 10), maxExportBackoff)
		k.tries++
		k.retryAt = e.Clock.Now().Add(wait)
		e.Logger.Warn("cannot read a function's code for pre-initialized instances; its cold starts start containers until it is read",
			"image", short(imageID), "retry_in", wait, "err", err)
		return
	}
	k.code, k.tries = code, 0
	// The code of every image used since the server started stays in
	// memory; past maxPreinitCodeTotal the others' is dropped, and read
	// again at their next start.
	total := 0
	for _, other := range s.kinds {
		total += len(other.code)
	}
	for _, other := range s.kinds {
		if total <= maxPreinitCodeTotal {
			break
		}
		if other != k && other.code != nil {
			total -= len(other.code)
			other.code = nil
		}
	}
}

// exportDue reports whether k's code is to be read now; guarded by
// preinitState.mu.
func (k *imageKind) exportDue(now time.Time) bool {
	return k.code == nil && !k.exporting && !now.Before(k.retryAt)
}
