package lambda

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
)

// HookKeySize is the size of the server key that seals hook secrets.
const HookKeySize = 32

// SecretBox seals hook secrets for storage (AES-256-GCM): the HMAC needs
// the secret itself, so it cannot be stored hashed. The key lives apart
// from the database (a 0600 file in the server's data directory), so a
// copy of the database alone does not reveal any secret.
type SecretBox struct {
	aead cipher.AEAD
}

// NewSecretBox returns a box sealing with key (HookKeySize bytes).
func NewSecretBox(key []byte) (*SecretBox, error) {
	if len(key) != HookKeySize {
		return nil, fmt.Errorf("hook key is %d bytes, want %d", len(key), HookKeySize)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &SecretBox{aead: aead}, nil
}

// Seal encrypts secret; what is sealed for one hook ID opens only for it.
func (b *SecretBox) Seal(id string, secret []byte) []byte {
	nonce := make([]byte, b.aead.NonceSize())
	rand.Read(nonce) // never fails since Go 1.24
	return b.aead.Seal(nonce, nonce, secret, []byte(id))
}

// Open decrypts what Seal sealed for id.
func (b *SecretBox) Open(id string, sealed []byte) ([]byte, error) {
	n := b.aead.NonceSize()
	if len(sealed) < n {
		return nil, fmt.Errorf("sealed hook secret of %s is truncated", id)
	}
	out, err := b.aead.Open(nil, sealed[:n], sealed[n:], []byte(id))
	if err != nil {
		return nil, fmt.Errorf("hook secret of %s does not open with this server's key: %w", id, err)
	}
	return out, nil
}

// NewHookSecret returns a random secret of 32 bytes, hex-encoded.
func NewHookSecret() string {
	var b [32]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// NewHookID returns a random hook ID like "hk_1f2e3d4c5b6a7980".
func NewHookID() string {
	var b [8]byte
	rand.Read(b[:])
	return "hk_" + hex.EncodeToString(b[:])
}

// NewDeployID returns a random deploy ID like "dep_1f2e3d4c5b6a7980".
func NewDeployID() string {
	var b [8]byte
	rand.Read(b[:])
	return "dep_" + hex.EncodeToString(b[:])
}

// hookSealed is what a hook keeps sealed: the secret that signs its
// deliveries and the token of a private repository.
type hookSealed struct {
	Secret string `json:"secret"`
	Token  string `json:"token,omitempty"`
}

func (b *SecretBox) sealHook(id string, v hookSealed) []byte {
	raw, _ := json.Marshal(v) // two strings: cannot fail
	return b.Seal(id, raw)
}

// openHook opens what sealHook sealed; a bare secret (sealed as is) is
// read as the secret alone.
func (b *SecretBox) openHook(id string, sealed []byte) (hookSealed, error) {
	raw, err := b.Open(id, sealed)
	if err != nil {
		return hookSealed{}, err
	}
	var v hookSealed
	if !bytes.HasPrefix(raw, []byte("{")) || json.Unmarshal(raw, &v) != nil {
		return hookSealed{Secret: string(raw)}, nil
	}
	return v, nil
}
