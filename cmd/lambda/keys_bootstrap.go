package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/lambdahq/lambda"
	"github.com/lambdahq/lambda/sqlite"
)

// Files of the data directory that hold credentials, both mode 0600.
const (
	// masterKeyFile holds the key every API key secret derives from, hex on
	// one line: whoever reads it can compute every key's secret.
	masterKeyFile = "master.key"
	// adminKeyFile holds the secret of the admin key created at first
	// start, alone on one line, for the CLI on the server's own host.
	adminKeyFile = "admin.key"
)

// loadMasterKey reads the server's master key from dataDir, creating it at
// first start.
func loadMasterKey(dataDir string) ([]byte, error) {
	path := filepath.Join(dataDir, masterKeyFile)
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		key := make([]byte, lambda.MasterKeyBytes)
		rand.Read(key) // never fails since Go 1.24
		if err := writeSecretFile(path, hex.EncodeToString(key)); err != nil {
			return nil, fmt.Errorf("create the master key: %w", err)
		}
		return key, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read the master key: %w", err)
	}
	key, err := hex.DecodeString(strings.TrimSpace(string(b)))
	if err != nil || len(key) != lambda.MasterKeyBytes {
		return nil, fmt.Errorf("the master key in %s is damaged (want %d bytes in hex): restore it from a backup; removing it invalidates every API key", path, lambda.MasterKeyBytes)
	}
	return key, nil
}

// bootstrapAdminKey creates an admin key when the server has none at all,
// and writes its secret to DATA/admin.key; its path is logged, never the
// secret. The file is written before the key is stored: if storing fails,
// the next start finds no key and writes the file again.
func bootstrapAdminKey(ctx context.Context, keys *sqlite.KeyStore, secrets lambda.KeySecrets, dataDir string, logger *slog.Logger) error {
	n, err := keys.CountKeys(ctx)
	if err != nil || n > 0 {
		return err
	}
	k, secret, hash, err := secrets.NewKey("admin", lambda.ScopeAdmin, nil, 0, time.Now())
	if err != nil {
		return err
	}
	path := filepath.Join(dataDir, adminKeyFile)
	if err := writeSecretFile(path, secret); err != nil {
		return fmt.Errorf("write the first admin key: %w", err)
	}
	if err := keys.CreateKey(ctx, k, hash); err != nil {
		return fmt.Errorf("store the first admin key: %w", err)
	}
	logger.Info("created the first admin API key; the CLI on this host uses it, or copy it for `lambda login`", "key", k.ID, "file", path)
	return nil
}

// writeSecretFile writes line to path with mode 0600, through a temporary
// file renamed into place so that no reader sees half a key.
func writeSecretFile(path, line string) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name()) // fails once renamed
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return err
	}
	if _, err := f.WriteString(line + "\n"); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}
