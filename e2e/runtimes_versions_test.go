package e2e

import (
	"encoding/json"
	"strings"
	"testing"
)

// Base images are named for what they hold (issue 7, defect 4): an image
// assembled from Debian packages is lambda-base/LANG:VERSION-DISTRO, never
// an official name, and `lambda runtimes` shows the version inside.
func TestRuntimeImagesNamedForWhatTheyHold(t *testing.T) {
	requireDocker(t)
	t.Parallel()
	s := sharedServer(t)
	prepareRuntimes(t, s)
	var infos []struct {
		Name    string `json:"name"`
		Version string `json:"version"`
		Images  []struct {
			Name    string `json:"name"`
			Role    string `json:"role"`
			Present bool   `json:"present"`
		} `json:"images"`
	}
	res := s.mustLambda("runtimes", "-o", "json")
	if err := json.Unmarshal([]byte(res.stdout), &infos); err != nil {
		t.Fatalf("runtimes -o json: %v\n%s", err, res.stdout)
	}
	for _, rt := range infos {
		if rt.Name != "python" && rt.Name != "node" {
			continue
		}
		if rt.Version == "" {
			t.Errorf("%s: no version", rt.Name)
		}
		for _, img := range rt.Images {
			if img.Role != "base" {
				continue
			}
			if !img.Present {
				t.Errorf("%s: base image %s missing after prepare", rt.Name, img.Name)
			}
			labels := docker(t, "image", "inspect", "--format", "{{json .Config.Labels}}", img.Name)
			assembled := strings.Contains(labels, `"lambda.source":"debian"`)
			tag, found := strings.CutPrefix(img.Name, "lambda-base/"+rt.Name+":")
			switch {
			case assembled && !found:
				t.Errorf("%s: an assembled image under the name %s", rt.Name, img.Name)
			case found && !strings.HasPrefix(tag, rt.Version[:strings.Index(rt.Version+".", ".")]):
				t.Errorf("%s: %s holds version %s", rt.Name, img.Name, rt.Version)
			}
		}
	}
	table := s.mustLambda("runtimes").stdout
	if !strings.Contains(table, "VERSION") {
		t.Errorf("no VERSION column:\n%s", table)
	}
}
