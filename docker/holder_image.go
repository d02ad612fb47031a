package docker

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/client"
)

// The holder's image (holder.go) is made here, not pulled or built: no
// registry can be assumed, and the images the platform builds for itself
// (the shim's) are compiled on demand, after a first deploy of a handler
// function at best. All a holder runs is a process that waits: a static
// x86-64 ELF of 129 bytes, written below, that calls pause(2) in a loop.
// It is imported as the only file of an image (docker import), which
// takes the daemon well under a second, once per engine.

// errNoHolders tells that this engine cannot run holders: the program is
// x86-64 only, so another architecture's daemon creates its pre-created
// containers on the network as before.
var errNoHolders = errors.New("network holders need an amd64 Docker engine")

const (
	holderRepo = "lambda-holder"
	holderPath = "/hold"
)

// holderProgram is a minimal static ELF64 executable for x86-64 Linux:
// the ELF header, one loadable segment (the whole file, read+execute) and
// the code
//
//	loop: mov eax, 34   ; pause
//	      syscall
//	      jmp loop
//
// It installs no signal handler: as a container's PID 1 it ignores
// SIGTERM, and the driver stops holders with SIGKILL (grace 0).
func holderProgram() []byte {
	const base = 0x400000
	code := []byte{0xb8, 0x22, 0x00, 0x00, 0x00, 0x0f, 0x05, 0xeb, 0xf7}
	const ehSize, phSize = 64, 56
	size := uint64(ehSize + phSize + len(code))
	var b bytes.Buffer
	b.Write([]byte{0x7f, 'E', 'L', 'F', 2 /* 64-bit */, 1 /* little-endian */, 1 /* version */, 0 /* System V */})
	b.Write(make([]byte, 8))
	le := binary.LittleEndian
	_ = binary.Write(&b, le, struct {
		Type, Machine            uint16
		Version                  uint32
		Entry, PhOff, ShOff      uint64
		Flags                    uint32
		EhSize, PhEntSize, PhNum uint16
		ShEntSize, ShNum, ShStr  uint16
	}{2 /* EXEC */, 0x3e /* x86-64 */, 1, base + ehSize + phSize, ehSize, 0, 0, ehSize, phSize, 1, 0, 0, 0})
	_ = binary.Write(&b, le, struct {
		Type, Flags                  uint32
		Offset, VAddr, PAddr         uint64
		FileSize, MemSize, Alignment uint64
	}{1 /* LOAD */, 5 /* R+X */, 0, base, base, size, size, 0x1000})
	b.Write(code)
	return b.Bytes()
}

// holderImageRef is the holder image's tag: a hash of its content, so
// that servers sharing an engine share it and a changed program is a
// new image.
func holderImageRef() string {
	sum := sha256.Sum256(append([]byte("holder image 1\n"), holderProgram()...))
	return holderRepo + ":" + hex.EncodeToString(sum[:])[:12]
}

// ensureHolderImage returns the holder image's tag, importing it unless
// the engine has it. The answer is kept: once made, the image is not
// removed by the platform (it labels it with no function nor server).
func (d *Driver) ensureHolderImage(ctx context.Context) (string, error) {
	d.holderMu.Lock()
	defer d.holderMu.Unlock()
	if d.holderImage != "" || d.holderErr != nil {
		return d.holderImage, d.holderErr
	}
	v, err := d.cli.ServerVersion(ctx, client.ServerVersionOptions{})
	if err != nil {
		return "", d.wrap(err, "ask Docker for its architecture")
	}
	if v.Arch != "amd64" {
		d.holderErr = fmt.Errorf("%w (this one is %s)", errNoHolders, v.Arch)
		return "", d.holderErr
	}
	ref := holderImageRef()
	if _, err := d.cli.ImageInspect(ctx, ref); err == nil {
		d.holderImage = ref
		return ref, nil
	} else if !cerrdefs.IsNotFound(err) {
		return "", d.wrap(err, "inspect image %s", ref)
	}
	var tb bytes.Buffer
	tw := tar.NewWriter(&tb)
	prog := holderProgram()
	if err := tw.WriteHeader(&tar.Header{Name: holderPath[1:], Mode: 0o755, Size: int64(len(prog)), Typeflag: tar.TypeReg}); err != nil {
		return "", err
	}
	if _, err := tw.Write(prog); err != nil {
		return "", err
	}
	if err := tw.Close(); err != nil {
		return "", err
	}
	changes := []string{`ENTRYPOINT ["` + holderPath + `"]`, `LABEL "lambda.role"="holder"`}
	if err := d.ImportImage(ctx, &tb, ref, changes); err != nil {
		return "", err
	}
	d.holderImage = ref
	return ref, nil
}
