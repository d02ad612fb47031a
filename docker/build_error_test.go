package docker

import (
	"testing"

	"github.com/lambdahq/lambda"
)

// TestBuildError: a layer pruned under a build is a race to retry, not the
// user's fault; everything else a build reports is the user's input.
func TestBuildError(t *testing.T) {
	for _, tc := range []struct {
		msg, code string
	}{
		{"failed to export image: failed to set parent sha256:e859: unknown parent image ID sha256:e859", lambda.ECONFLICT},
		{"failed to get digest sha256:0679: open /var/lib/docker/image/overlay2/imagedb/content/sha256/0679: no such file or directory", lambda.ECONFLICT},
		{"The command '/bin/sh -c exit 3' returned a non-zero code: 3", lambda.EINVALID},
		{"pull access denied for nope, repository does not exist", lambda.EINVALID},
		{"COPY failed: file not found in build context", lambda.EINVALID},
	} {
		if got := lambda.ErrorCode(buildError(tc.msg, "")); got != tc.code {
			t.Errorf("buildError(%q) = %s, want %s", tc.msg, got, tc.code)
		}
	}
}
