package lambda

import (
	"bytes"
	"regexp"
	"strings"
	"testing"
	"time"
)

func testSecrets() KeySecrets {
	return KeySecrets{Master: bytes.Repeat([]byte{7}, MasterKeyBytes)}
}

func TestKeySecretsIDAndSecret(t *testing.T) {
	s := testSecrets()
	id := s.NewID()
	if !regexp.MustCompile(`^LK[A-Z2-7]{18}$`).MatchString(id) {
		t.Fatalf("NewID() = %q, want LK and 18 base32 characters", id)
	}
	if other := s.NewID(); other == id {
		t.Fatalf("two NewID() calls returned %q", id)
	}
	secret := s.Secret(id)
	if !regexp.MustCompile(`^lmb_[A-Za-z0-9_-]{43}$`).MatchString(secret) {
		t.Fatalf("Secret(%q) = %q, want lmb_ and 43 base64url characters", id, secret)
	}
	if again := s.Secret(id); again != secret {
		t.Fatalf("Secret is not deterministic: %q then %q", secret, again)
	}
	if other := (KeySecrets{Master: bytes.Repeat([]byte{8}, MasterKeyBytes)}).Secret(id); other == secret {
		t.Fatal("two master keys derive the same secret")
	}
	if s.Secret(s.NewID()) == secret {
		t.Fatal("two IDs derive the same secret")
	}
	h := s.Hash(secret)
	if len(h) != 32 || bytes.Contains(h, []byte(secret)) || !bytes.Equal(h, s.Hash(secret)) {
		t.Fatalf("Hash(secret) = %x, want a stable 32-byte digest", h)
	}
}

func TestKeySecretsNewKey(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	tests := []struct {
		name, keyName, scope string
		functions            []string
		expires              time.Duration
		wantErr              string
	}{
		{name: "admin", keyName: "laptop", scope: ScopeAdmin},
		{name: "functions sorted and deduplicated", keyName: "ci", scope: ScopeDeploy, functions: []string{"b", "a", "b"}},
		{name: "expiring", keyName: "tmp", scope: ScopeRead, expires: 48 * time.Hour},
		{name: "empty name", keyName: " ", scope: ScopeRead, wantErr: "key name is empty"},
		{name: "bad scope", keyName: "x", scope: "root", wantErr: `key scope "root" is unknown`},
		{name: "no scope", keyName: "x", scope: "", wantErr: "key scope is empty"},
		{name: "bad function", keyName: "x", scope: ScopeInvoke, functions: []string{"Bad_Name"}, wantErr: "function name"},
		{name: "negative expiry", keyName: "x", scope: ScopeRead, expires: -time.Hour, wantErr: "in the past"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := testSecrets()
			k, secret, hash, err := s.NewKey(tt.keyName, tt.scope, tt.functions, tt.expires, now)
			if tt.wantErr != "" {
				if ErrorCode(err) != EINVALID || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("NewKey error = %v, want invalid containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("NewKey: %v", err)
			}
			if k.Name != tt.keyName || k.Scope != tt.scope || !k.CreatedAt.Equal(now) || !k.Active(now) {
				t.Fatalf("key = %+v", k)
			}
			if secret != s.Secret(k.ID) || !bytes.Equal(hash, s.Hash(secret)) {
				t.Fatal("secret or hash not derived from the key's ID")
			}
			if tt.expires > 0 && (k.ExpiresAt == nil || !k.ExpiresAt.Equal(now.Add(tt.expires)) || k.Active(now.Add(tt.expires))) {
				t.Fatalf("ExpiresAt = %v, want %v and inactive then", k.ExpiresAt, now.Add(tt.expires))
			}
			if tt.expires == 0 && k.ExpiresAt != nil {
				t.Fatalf("ExpiresAt = %v, want none", k.ExpiresAt)
			}
			if len(tt.functions) > 0 && strings.Join(k.Functions, ",") != "a,b" {
				t.Fatalf("Functions = %v, want [a b]", k.Functions)
			}
		})
	}
	if _, _, _, err := (KeySecrets{}).NewKey("x", ScopeRead, nil, 0, now); ErrorCode(err) != EINTERNAL {
		t.Fatalf("NewKey without a master key: %v, want internal", err)
	}
}

func TestValidateKeyName(t *testing.T) {
	tests := []struct {
		name string
		ok   bool
	}{
		{"a", true},
		{"Alice's laptop", true},
		{strings.Repeat("é", 64), true},
		{strings.Repeat("x", 65), false},
		{"", false},
		{"tab\there", false},
		{"new\nline", false},
	}
	for _, tt := range tests {
		if err := ValidateKeyName(tt.name); (err == nil) != tt.ok {
			t.Errorf("ValidateKeyName(%q) = %v, want ok=%v", tt.name, err, tt.ok)
		}
	}
}

func TestParseKeyExpiry(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"30d", 30 * 24 * time.Hour, true},
		{"1d", 24 * time.Hour, true},
		{"12h", 12 * time.Hour, true},
		{"90m", 90 * time.Minute, true},
		{"0d", 0, false},
		{"-1d", 0, false},
		{"-5h", 0, false},
		{"0s", 0, false},
		{"d", 0, false},
		{"1.5d", 0, false},
		{"99999d", 0, false},
		{"tomorrow", 0, false},
		{"", 0, false},
	}
	for _, tt := range tests {
		got, err := ParseKeyExpiry(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("ParseKeyExpiry(%q) = %v, %v; want %v ok=%v", tt.in, got, err, tt.want, tt.ok)
		}
		if err != nil && ErrorCode(err) != EINVALID {
			t.Errorf("ParseKeyExpiry(%q) error code = %q, want invalid", tt.in, ErrorCode(err))
		}
	}
}
