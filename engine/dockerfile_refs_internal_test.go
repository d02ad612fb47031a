package engine

import (
	"slices"
	"testing"
)

func TestDockerfileImages(t *testing.T) {
	tests := []struct {
		name, dockerfile string
		want             []string
	}{
		{"from", "FROM func-b:v1\nCOPY . /app\n", []string{"func-b:v1"}},
		{"lower case, platform and stage", "from --platform=linux/amd64 func-b:v1 as src\nFROM scratch\ncopy --from=src /a /a\n", []string{"func-b:v1", "scratch"}},
		{"copy from an image", "FROM scratch\nCOPY --chown=1:1 --from=func-b:v1 / /victim/\n", []string{"scratch", "func-b:v1"}},
		{"copy from a stage index", "FROM alpine\nFROM scratch\nCOPY --from=0 /a /a\n", []string{"alpine", "scratch"}},
		{"meta args", "ARG P=func-\nARG N=${P}b\nFROM ${N}:v1\nFROM $P${X:-b}:v2\nFROM ${N:+func-b}:v3\n", []string{"func-b:v1", "func-b:v2", "func-b:v3"}},
		{"continued lines and comments", "FROM \\\n  func-b:v1\n# COPY --from=func-c:v1 / /\nCOPY \\\n# a comment\n --from=func-d:v1 / /\n", []string{"func-b:v1", "func-d:v1"}},
		{"escape directive", "# escape=`\nFROM `\nfunc-b:v1\n", []string{"func-b:v1"}},
		{"onbuild copy", "FROM scratch AS x\nONBUILD COPY --from=x / /\n", []string{"scratch", "x"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := dockerfileImages([]byte(tt.dockerfile)); !slices.Equal(got, tt.want) {
				t.Errorf("dockerfileImages = %q, want %q", got, tt.want)
			}
		})
	}
}
