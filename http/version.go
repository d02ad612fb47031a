package http

import (
	"context"
	"net/http"
	"runtime"
	"runtime/debug"
)

// Set at build time, e.g.
//
//	go build -ldflags "-X github.com/lambdahq/lambda/http.version=v1.2.3 -X github.com/lambdahq/lambda/http.commit=$(git rev-parse HEAD)"
//
// Unset, Build falls back to what the Go toolchain recorded.
var version, commit string

// BuildInfo says which build a binary is: GET /v1/version answers the
// server's, `lambda version` prints it next to the client's (one binary is
// both).
type BuildInfo struct {
	// Version is the release (v1.2.3) set at build time, else the module
	// version Go recorded (go install ...@v1.2.3), else "dev".
	Version string `json:"version"`
	// Commit is the VCS revision the binary was built from ("" when none
	// was recorded), with "-dirty" for a modified tree.
	Commit    string `json:"commit,omitempty"`
	GoVersion string `json:"go_version"`
	OS        string `json:"os"`
	Arch      string `json:"arch"`
}

// Build returns this binary's BuildInfo.
func Build() BuildInfo {
	v := BuildInfo{Version: version, Commit: commit, GoVersion: runtime.Version(), OS: runtime.GOOS, Arch: runtime.GOARCH}
	if bi, ok := debug.ReadBuildInfo(); ok {
		if v.Version == "" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			v.Version = bi.Main.Version
		}
		if v.Commit == "" {
			dirty := false
			for _, s := range bi.Settings {
				switch s.Key {
				case "vcs.revision":
					v.Commit = s.Value
				case "vcs.modified":
					dirty = s.Value == "true"
				}
			}
			if dirty && v.Commit != "" {
				v.Commit += "-dirty"
			}
		}
	}
	if v.Version == "" {
		v.Version = "dev"
	}
	return v
}

// handleVersion answers GET /v1/version. Like `docker version`, it needs
// the access any other call needs (a valid key, whatever its scope): the
// build a server runs is not told to strangers.
func (s *Server) handleVersion(w http.ResponseWriter, _ *http.Request) {
	respondJSON(w, http.StatusOK, Build())
}

// Version returns the server's build.
func (c *Client) Version(ctx context.Context) (*BuildInfo, error) {
	var out BuildInfo
	if err := c.doJSON(ctx, http.MethodGet, apiPath("v1", "version"), nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}
