package lambda

import (
	"context"
	"errors"
	"testing"
)

func TestFunctionAuth(t *testing.T) {
	for _, tt := range []struct {
		auth string
		ok   bool
	}{{"", true}, {AuthNone, true}, {AuthKey, true}, {"iam", false}, {"KEY", false}} {
		if err := (Scaling{Auth: tt.auth}).Validate(); (err == nil) != tt.ok {
			t.Errorf("auth %q: %v", tt.auth, err)
		}
	}
	key, none := AuthKey, AuthNone
	sc := ScalingPatch{Auth: &key}.Apply(Scaling{Concurrency: 2})
	if sc.Auth != AuthKey || sc.Concurrency != 2 {
		t.Errorf("patch auth key: %+v", sc)
	}
	if sc = (ScalingPatch{}).Apply(sc); sc.Auth != AuthKey {
		t.Error("a patch without auth changed it")
	}
	if sc = (ScalingPatch{Auth: &none}).Apply(sc); sc.Auth != AuthNone {
		t.Error("patch auth none")
	}
	if (ScalingPatch{Auth: &key}).IsZero() {
		t.Error("a patch of auth alone is zero")
	}
}

func TestAuthorizeInvoke(t *testing.T) {
	if err := AuthorizeInvoke(context.Background(), "f"); ErrorCode(err) != EUNAUTHORIZED {
		t.Errorf("no authorizer: %v, want unauthorized (fail closed)", err)
	}
	refuse := errors.New("no")
	ctx := WithInvokeAuth(context.Background(), func(_ context.Context, fn string) error {
		if fn == "f" {
			return nil
		}
		return refuse
	})
	if err := AuthorizeInvoke(ctx, "f"); err != nil {
		t.Errorf("allowed: %v", err)
	}
	if err := AuthorizeInvoke(ctx, "g"); err != refuse {
		t.Errorf("refused: %v", err)
	}
}
