package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"

	"github.com/lambdahq/lambda"
	lambdahttp "github.com/lambdahq/lambda/http"
)

// runImageDeploy deploys --image (an image on the server's host) or
// --image-archive (a docker save tarball, uploaded).
func runImageDeploy(ctx context.Context, s *streams, root *rootOptions, o *deployOptions) error {
	flag := "--image"
	if o.archive != "" {
		flag = "--image-archive"
	}
	if !o.changed("name") {
		return usageErrorf("--name is required with %s: choose the function's name, e.g. --name web", flag)
	}
	if err := lambda.ValidateName(o.name); err != nil {
		return usageErrorf("--name: %w", err)
	}
	if o.changed("runtime") {
		return usageErrorf("--runtime does not apply to %s: the image is the runtime; use --protocol to say how it is called", flag)
	}
	req, err := o.request(o.name, nil)
	if err != nil {
		return err
	}
	client := root.client()
	p := newDeployProgress(s.Err, o.verbose, o.quiet)
	p.buildStep = isBuildStep
	if o.image != "" {
		fn, err := client.DeployImage(ctx, o.name, req, o.image, p.event)
		return finishDeploy(ctx, s, client, o, p, o.name, fn, err)
	}

	f, size, err := openImageArchive(o.archive)
	if err != nil {
		return err
	}
	defer f.Close()
	// The server's first step (loading) runs while the upload does: the
	// upload line stands for both.
	p.beginUpload("Uploading image archive", size)
	fn, err := client.DeployArchive(ctx, o.name, req, p.uploadReader(f), p.event)
	return finishDeploy(ctx, s, client, o, p, o.name, fn, err)
}

// openImageArchive opens a docker save tarball after checking what can be
// checked before uploading it: that it exists, its size and its format.
func openImageArchive(path string) (*os.File, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, fmt.Errorf("--image-archive: %w", err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, 0, fmt.Errorf("--image-archive: %w", err)
	}
	if !fi.Mode().IsRegular() {
		f.Close()
		return nil, 0, fmt.Errorf(`--image-archive: %s is not a file: give the path of a tarball made with "docker save IMAGE -o FILE.tar"`, path)
	}
	if limit := lambdahttp.MaxImageArchiveBytes; fi.Size() > limit {
		f.Close()
		return nil, 0, fmt.Errorf(`--image-archive: %s is %s, over the %s limit of image archives: make the image smaller, or load it on the server's host with "docker load" and deploy it with --image`, path, humanSize(fi.Size()), fmt.Sprintf("%d GB", limit>>30))
	}
	head := make([]byte, 512)
	n, _ := io.ReadFull(f, head)
	if !looksLikeArchive(head[:n]) {
		f.Close()
		return nil, 0, fmt.Errorf(`--image-archive: %s is not a docker save archive (neither a tar file nor gzip): create it with "docker save IMAGE -o FILE.tar"`, path)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		f.Close()
		return nil, 0, fmt.Errorf("--image-archive: %w", err)
	}
	return f, fi.Size(), nil
}

// looksLikeArchive recognises a gzip stream or a POSIX/GNU tar header.
func looksLikeArchive(head []byte) bool {
	if bytes.HasPrefix(head, []byte{0x1f, 0x8b}) {
		return true
	}
	return len(head) >= 262 && bytes.Equal(head[257:262], []byte("ustar"))
}

// humanSize renders n bytes as docker does, e.g. 6.29MB.
func humanSize(n int64) string {
	units := []string{"B", "kB", "MB", "GB", "TB"}
	v, i := float64(n), 0
	for v >= 1000 && i < len(units)-1 {
		v /= 1000
		i++
	}
	return fmt.Sprintf("%.3g%s", v, units[i])
}
