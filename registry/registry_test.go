package registry

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/lambdahq/lambda"
)

const digest = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

// TestDeleteImage: the manifest is deleted by digest, over HTTP when the
// registry speaks no HTTPS; gone already is done; a registry that allows
// no deletes or wants credentials says so.
func TestDeleteImage(t *testing.T) {
	tests := []struct {
		name   string
		status int
		code   string
	}{
		{"deleted", http.StatusAccepted, ""},
		{"gone already", http.StatusNotFound, ""},
		{"deletes disabled", http.StatusMethodNotAllowed, lambda.ENOTIMPLEMENTED},
		{"credentials wanted", http.StatusUnauthorized, lambda.EUNAUTHORIZED},
		{"registry failing", http.StatusInternalServerError, lambda.EUNAVAILABLE},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got string
			reg := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				got = r.Method + " " + r.URL.Path
				w.WriteHeader(tt.status)
			}))
			defer reg.Close()
			host := strings.TrimPrefix(reg.URL, "http://")
			err := New().DeleteImage(context.Background(), host+"/func-greet@"+digest)
			if lambda.ErrorCode(err) != tt.code {
				t.Errorf("DeleteImage: %v, want code %q", err, tt.code)
			}
			if want := "DELETE /v2/func-greet/manifests/" + digest; got != want {
				t.Errorf("the registry got %q, want %q", got, want)
			}
		})
	}
}

func TestDeleteImageHTTPS(t *testing.T) {
	var got string
	reg := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r.URL.Path
		w.WriteHeader(http.StatusAccepted)
	}))
	defer reg.Close()
	c := &Client{HTTP: reg.Client()}
	if err := c.DeleteImage(context.Background(), strings.TrimPrefix(reg.URL, "https://")+"/team/func-greet@"+digest); err != nil {
		t.Fatal(err)
	}
	if want := "/v2/team/func-greet/manifests/" + digest; got != want {
		t.Errorf("the registry got %q, want %q", got, want)
	}
}

func TestDeleteImageRefused(t *testing.T) {
	tests := []struct {
		name, ref, code string
	}{
		{"a tag", "127.0.0.1:5000/func-greet:v1", lambda.EINVALID},
		{"garbage", "Not A Ref", lambda.EINVALID},
		{"unreachable", "127.0.0.1:1/func-greet@" + digest, lambda.EUNAVAILABLE},
	}
	for _, tt := range tests {
		if err := New().DeleteImage(context.Background(), tt.ref); lambda.ErrorCode(err) != tt.code {
			t.Errorf("%s: DeleteImage(%q) = %v, want code %q", tt.name, tt.ref, err, tt.code)
		}
	}
}
