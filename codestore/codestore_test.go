package codestore

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"testing"

	"github.com/lambdahq/lambda"
)

func TestDir(t *testing.T) {
	ctx := context.Background()
	d := New(t.TempDir())
	sum := sha256.Sum256([]byte("code"))
	hexSum := hex.EncodeToString(sum[:])
	if _, err := d.LoadCode(ctx, "fn", hexSum); lambda.ErrorCode(err) != lambda.ENOTFOUND {
		t.Fatalf("load before save: %v", err)
	}
	if err := d.SaveCode(ctx, "fn", hexSum, []byte("code")); err != nil {
		t.Fatal(err)
	}
	if b, err := d.LoadCode(ctx, "fn", hexSum); err != nil || string(b) != "code" {
		t.Fatalf("load = %q, %v", b, err)
	}
	if m, err := d.Meta(ctx, "fn"); err != nil || m != (lambda.FunctionMeta{}) {
		t.Fatalf("meta before set = %+v, %v", m, err)
	}
	want := lambda.FunctionMeta{Description: "d", Role: "arn:aws:iam::000000000000:role/r"}
	if err := d.SetMeta(ctx, "fn", want); err != nil {
		t.Fatal(err)
	}
	if m, err := d.Meta(ctx, "fn"); err != nil || m != want {
		t.Fatalf("meta = %+v, %v", m, err)
	}
	if err := d.Forget(ctx, "fn"); err != nil {
		t.Fatal(err)
	}
	if _, err := d.LoadCode(ctx, "fn", hexSum); lambda.ErrorCode(err) != lambda.ENOTFOUND {
		t.Fatalf("load after forget: %v", err)
	}
	for _, bad := range []struct{ fn, sum string }{{"../x", hexSum}, {"fn", "../../etc"}, {"fn", "abc"}} {
		if err := d.SaveCode(ctx, bad.fn, bad.sum, nil); lambda.ErrorCode(err) != lambda.EINVALID {
			t.Errorf("SaveCode(%q, %q) = %v, want invalid", bad.fn, bad.sum, err)
		}
	}
}
