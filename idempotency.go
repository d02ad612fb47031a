package lambda

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"unicode"
	"unicode/utf8"
)

// ValidateIdempotencyKey checks an idempotency key where any enters (the
// API, the queue, the store, the CLI), so that all count its length alike,
// in characters, and refuse the same keys: invalid UTF-8 and control
// characters cannot travel in an HTTP header, nor show in a listing.
func ValidateIdempotencyKey(key string) error {
	const rule = "use printable characters, such as a UUID or a hash of what makes the call unique"
	if !utf8.ValidString(key) {
		return Errorf(EINVALID, "the idempotency key is not valid UTF-8: %s", rule)
	}
	if n := utf8.RuneCountInString(key); n > MaxIdempotencyKeyLength {
		return Errorf(EINVALID, "the idempotency key is %d characters long, over the limit of %d: use a shorter key, such as a UUID or a hash of what makes the call unique", n, MaxIdempotencyKeyLength)
	}
	i := 0
	for _, r := range key {
		i++
		if unicode.IsControl(r) {
			return Errorf(EINVALID, "the idempotency key has a control character (%U) at character %d: %s", r, i, rule)
		}
	}
	return nil
}

// KeyOwner is in the chain of an EIDEMPOTENCY error: the invocation that
// the idempotency key belongs to, which the answer names.
type KeyOwner struct {
	ID string
}

func (k *KeyOwner) Error() string { return fmt.Sprintf("invocation %s", k.ID) }

// RequestHash is what an idempotency key binds besides its function: the
// payload and the qualifier. A repeat that names another version or alias
// is another request, refused as another payload is, not a replay of the
// first target's result. An unqualified request hashes its payload alone,
// as keys stored before the qualifier counted did.
func RequestHash(qualifier string, payload []byte) string {
	h := sha256.New()
	h.Write(payload)
	if qualifier != "" {
		h.Write([]byte("\x00qualifier="))
		h.Write([]byte(qualifier))
	}
	return hex.EncodeToString(h.Sum(nil))
}
