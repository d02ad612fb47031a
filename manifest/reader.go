package manifest

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/lambdahq/lambda"
)

// Reader reads the manifest of an uploaded tree for the server
// (lambda.ManifestReader). Errors name the file as the user knows it,
// lambda.yaml, not the server's temporary directory.
type Reader struct{}

// ReadManifest implements lambda.ManifestReader. A project's manifest is
// refused: its functions are deployed together (ReadProject).
func (Reader) ReadManifest(dir string) (*lambda.DeployManifest, error) {
	m, err := read(dir)
	if m == nil || err != nil {
		return nil, err
	}
	if m.IsProject() {
		return nil, lambda.Errorf(lambda.EINVALID, "%s declares project %q with %d functions: deploy the project (lambda deploy DIR, or POST /v1/projects/%s/deploy), not one function", FileName, m.Project, len(m.Functions), m.Project)
	}
	return m.Deploy(), nil
}

// read parses dir's manifest: nil, nil when there is none.
func read(dir string) (*Manifest, error) {
	f, err := os.Open(filepath.Join(dir, FileName))
	if errors.Is(err, fs.ErrNotExist) {
		if _, yerr := os.Stat(filepath.Join(dir, "lambda.yml")); yerr == nil {
			return nil, lambda.Errorf(lambda.EINVALID, "lambda.yml: the manifest must be called %s: rename it", FileName)
		}
		return nil, nil
	}
	if err != nil {
		return nil, lambda.Errorf(lambda.EINVALID, "read %s: %v", FileName, err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxFileSize+1))
	if err != nil {
		return nil, lambda.Errorf(lambda.EINVALID, "read %s: %v", FileName, err)
	}
	return Parse(data)
}

// Deploy returns what m declares for a deploy (its name aside: the
// server deploys under the name it is asked for).
func (m *Manifest) Deploy() *lambda.DeployManifest {
	out := &lambda.DeployManifest{Config: m.Config(), Scaling: m.Scaling}
	for _, s := range m.Schedules {
		out.Schedules = append(out.Schedules, lambda.ScheduleSpec{Cron: s.Cron, Timezone: s.Timezone, Data: s.Data, Overlap: s.Overlap})
	}
	return out
}

// ReadProject implements lambda.ProjectManifestReader.
func (Reader) ReadProject(dir string) (*lambda.ProjectManifest, error) {
	m, err := read(dir)
	if m == nil || err != nil {
		return nil, err
	}
	return m.DeployProject(), nil
}
