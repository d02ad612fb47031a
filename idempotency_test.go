package lambda

import (
	"strings"
	"testing"
)

// The limit counts characters, not bytes: a key of 256 two-byte
// characters is 512 bytes and fits.
func TestValidateIdempotencyKey(t *testing.T) {
	tests := []struct {
		name, key, want string
	}{
		{"uuid", "0f8fad5b-d9cb-469f-a165-70867728950e", ""},
		{"empty", "", ""},
		{"256 ASCII", strings.Repeat("k", MaxIdempotencyKeyLength), ""},
		{"256 two-byte characters", strings.Repeat("é", MaxIdempotencyKeyLength), ""},
		{"257 ASCII", strings.Repeat("k", MaxIdempotencyKeyLength+1), "is 257 characters long, over the limit of 256"},
		{"257 two-byte characters", strings.Repeat("é", MaxIdempotencyKeyLength+1), "is 257 characters long"},
		{"tab", "a\tb", "control character (U+0009) at character 2"},
		{"newline", "ab\n", "control character (U+000A) at character 3"},
		{"DEL", "\x7f", "control character (U+007F)"},
		{"C1 control", "a\u0085", "control character (U+0085)"},
		{"invalid UTF-8", "a\xffb", "not valid UTF-8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkErr(t, "ValidateIdempotencyKey", ValidateIdempotencyKey(tt.key), EINVALID, tt.want)
		})
	}
}
