package engine

import (
	"archive/tar"
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/lambdahq/lambda"
)

// initPreinit makes the generic instance li v's: its limits, then its
// code and environment through the shim's one init, which answers once
// the function asked for its first event (or why it could not).
func (e *Engine) initPreinit(ctx context.Context, d lambda.PreinitDriver, li *lambda.Instance, v *lambda.Version, spec lambda.InstanceSpec, code []byte, timeout time.Duration) (*instance, error) {
	t0 := time.Now()
	// From here the container is v's whatever happens: a failed init
	// stops it, it never goes back to the pool.
	li.Function, li.Version = v.Function, v.Number
	// Its age as the function's instance starts now, not at the generic
	// container's start (lambda describe).
	li.CreatedAt = t0
	in := &instance{Instance: li}
	e.live.Store(li.ID, in)
	e.collectLogs(li, v.Config.Protocol, false)
	// The limits and the init at once: docker update takes 100-800 ms on
	// a busy host, the init tens. No request reaches the instance before
	// both are done. A generic instance runs with the default limits, so
	// a function that has them needs no update. The code unpacked into
	// the task root's tmpfs is memory charged to the container, which an
	// image's layers are not: the limit grows by it, so that the function
	// has its memory for itself (found by the hostile pass: 40 MB of code
	// and a 30 MB allocation in 64 MB served from an image, and was
	// killed in a generic instance) — beyond a tolerance for a function
	// with the defaults, which would pay a docker update on every start
	// for a few MB.
	limits := lambda.InstanceLimits{MemoryBytes: spec.MemoryBytes, CPUShares: spec.CPUShares, PidsLimit: spec.PidsLimit}
	memory, charge := cmp.Or(spec.MemoryBytes, lambda.DefaultMemoryBytes), codeCharge(code)
	switch {
	case memory != lambda.DefaultMemoryBytes || charge > memory/chargeTolerance:
		limits.MemoryBytes = memory + charge
	default:
		limits.MemoryBytes = 0
	}
	updated := make(chan error, 1)
	if limits == (lambda.InstanceLimits{}) {
		updated <- nil
	} else {
		go func() {
			uctx, cancel := context.WithTimeout(ctx, containerStartTimeout)
			defer cancel()
			updated <- d.UpdateInstance(uctx, li.ID, limits)
		}()
	}
	ictx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	err := sendInit(ictx, e.initAddr(li), spec.Env, code)
	if uerr := <-updated; err == nil {
		err = uerr
	}
	if err != nil {
		e.live.Delete(li.ID)
		return nil, err
	}
	e.Logger.Info("instance ready", "function", v.Function, "version", v.Number, "container", short(li.ID), "addr", li.Addr,
		"preinit", true, "ready", time.Since(t0).Round(time.Millisecond))
	return in, nil
}

// sendInit posts the init: the environment, then the code's tar.
func sendInit(ctx context.Context, addr string, env map[string]string, code []byte) error {
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	ew, err := mw.CreateFormField("env")
	if err == nil {
		err = json.NewEncoder(ew).Encode(env)
	}
	if err != nil {
		return err
	}
	cw, err := mw.CreateFormFile("code", "code.tar")
	if err != nil {
		return err
	}
	cw.Write(code)
	mw.Close()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://"+addr+"/init", &body)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	resp, err := initClient.Do(req)
	if err != nil {
		return fmt.Errorf("init: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		return fmt.Errorf("init: %s: %s", resp.Status, strings.TrimSpace(string(msg)))
	}
	return nil
}

// initClient keeps no connection: each init goes to a new container once.
var initClient = &http.Client{Transport: &http.Transport{
	DisableKeepAlives: true,
	DialContext:       (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
}}

// chargeTolerance: a function with the default limits loses at most
// this fraction of its memory to its code in a generic instance.
const chargeTolerance = 8

// codeCharge is what the code tar holds once unpacked into a tmpfs, as
// the container's memory is charged: each file's pages, and a page per
// entry for its inode and directory entry; rounded up to a MB.
func codeCharge(code []byte) int64 {
	const page = 4096
	var n int64
	tr := tar.NewReader(bytes.NewReader(code))
	for {
		h, err := tr.Next()
		if err != nil {
			break
		}
		n += page + (max(h.Size, 0)+page-1)/page*page
	}
	return (n + 1<<20 - 1) >> 20 << 20
}

// readCode reads the task root out of a function's image.
func readCode(ctx context.Context, d lambda.PreinitDriver, imageID, root string) ([]byte, error) {
	r, err := d.ImageFiles(ctx, imageID, root)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	code, err := io.ReadAll(io.LimitReader(r, maxPreinitCode+1))
	if err != nil {
		return nil, err
	}
	if len(code) > maxPreinitCode {
		return nil, fmt.Errorf("the code is over %d MB", maxPreinitCode>>20)
	}
	return code, nil
}
