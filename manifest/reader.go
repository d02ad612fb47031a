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

// ReadManifest implements lambda.ManifestReader.
func (Reader) ReadManifest(dir string) (*lambda.DeployManifest, error) {
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
	m, err := Parse(data)
	if err != nil {
		return nil, err
	}
	return m.Deploy(), nil
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
