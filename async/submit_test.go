package async

import (
	"strings"
	"testing"

	"github.com/lambdahq/lambda"
)

func TestCheckPayload(t *testing.T) {
	for _, tc := range []struct {
		payload string
		says    string // "" accepted
	}{
		{"", ""},
		{`{"a":1}`, ""},
		{` [1, 2] `, ""},
		{`"text"`, ""},
		{`{"a":}`, "at byte 6"},
		{`{} {}`, "at byte 4"},
		{`{"a":1`, "unexpected end"},
		{"\xff", "at byte 1"},
		{" \n\t", ""},
		{"\"caf\xe9\"", "not valid UTF-8"},
		{"{\"k\":\"\xc3\x28\"}", "not valid UTF-8"},
		{"\"café\"", ""},
	} {
		err := checkPayload([]byte(tc.payload))
		switch {
		case tc.says == "" && err != nil:
			t.Errorf("checkPayload(%q) = %v, want nil", tc.payload, err)
		case tc.says != "" && (lambda.ErrorCode(err) != lambda.EINVALID || !strings.Contains(err.Error(), tc.says)):
			t.Errorf("checkPayload(%q) = %v, want invalid saying %q", tc.payload, err, tc.says)
		}
	}
}

func TestAsJSON(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`{"a":1}`, `{"a":1}`},
		{"plain", `"plain"`},
		{`{"cut":"abc`, `"{\"cut\":\"abc"`},
		{"", `{}`},
	} {
		if got := string(asJSON([]byte(tc.in))); got != tc.want {
			t.Errorf("asJSON(%q) = %s, want %s", tc.in, got, tc.want)
		}
	}
}
