// Package codestore keeps, on the filesystem, the code archives and the
// metadata of functions managed through the Lambda API
// (lambda.CodeStore): DIR/FUNCTION/SUM.tar.gz and DIR/FUNCTION/meta.json.
package codestore

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/lambdahq/lambda"
)

// Dir is a lambda.CodeStore under one directory.
type Dir struct{ root string }

// New returns the store under root, created on first write.
func New(root string) *Dir { return &Dir{root: root} }

var _ lambda.CodeStore = (*Dir)(nil)

// path joins only checked names: a function name is a DNS label and a sum
// hex, so neither can leave root.
func (d *Dir) path(function string, file string) (string, error) {
	if err := lambda.ValidateName(function); err != nil {
		return "", err
	}
	return filepath.Join(d.root, function, file), nil
}

func checkSum(sum string) error {
	if b, err := hex.DecodeString(sum); err != nil || len(b) != 32 {
		return lambda.Errorf(lambda.EINVALID, "code sum %q is not a hex SHA-256", sum)
	}
	return nil
}

// SaveCode writes the archive through a temporary file, so that a crash
// never leaves a partial archive under its final name.
func (d *Dir) SaveCode(_ context.Context, function, sum string, tarGz []byte) error {
	if err := checkSum(sum); err != nil {
		return err
	}
	p, err := d.path(function, sum+".tar.gz")
	if err != nil {
		return err
	}
	return writeAtomic(p, tarGz)
}

func (d *Dir) LoadCode(_ context.Context, function, sum string) ([]byte, error) {
	if err := checkSum(sum); err != nil {
		return nil, lambda.Errorf(lambda.ENOTFOUND, "no code archive of %s with sum %q", function, sum)
	}
	p, err := d.path(function, sum+".tar.gz")
	if err != nil {
		return nil, err
	}
	b, err := os.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, lambda.Errorf(lambda.ENOTFOUND, "no code archive of %s with sum %s", function, sum)
	}
	return b, err
}

func (d *Dir) Meta(_ context.Context, function string) (lambda.FunctionMeta, error) {
	var m lambda.FunctionMeta
	p, err := d.path(function, "meta.json")
	if err != nil {
		return m, err
	}
	b, err := os.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		return m, nil
	}
	if err != nil {
		return m, err
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return m, fmt.Errorf("read %s: %w", p, err)
	}
	return m, nil
}

func (d *Dir) SetMeta(_ context.Context, function string, m lambda.FunctionMeta) error {
	p, err := d.path(function, "meta.json")
	if err != nil {
		return err
	}
	b, err := json.Marshal(m)
	if err != nil {
		return err
	}
	return writeAtomic(p, b)
}

func (d *Dir) Forget(_ context.Context, function string) error {
	p, err := d.path(function, "")
	if err != nil {
		return err
	}
	return os.RemoveAll(p)
}

func writeAtomic(p string, b []byte) error {
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(p), ".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(b); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), p)
}
