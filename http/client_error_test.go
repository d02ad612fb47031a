package http

import (
	"go/ast"
	"go/parser"
	"go/token"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"

	"github.com/lambdahq/lambda"
)

// domainCodes returns the error codes the root package declares (the
// constants of error.go whose names start with E), read from the source
// so that a code added there and forgotten here fails this test.
func domainCodes(t *testing.T) map[string]string {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), "../error.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	codes := map[string]string{}
	for _, d := range f.Decls {
		gd, ok := d.(*ast.GenDecl)
		if !ok || gd.Tok != token.CONST {
			continue
		}
		for _, spec := range gd.Specs {
			vs := spec.(*ast.ValueSpec)
			for i, name := range vs.Names {
				if len(name.Name) < 2 || name.Name[0] != 'E' || i >= len(vs.Values) {
					continue
				}
				lit, ok := vs.Values[i].(*ast.BasicLit)
				if !ok || lit.Kind != token.STRING {
					continue
				}
				v, _ := strconv.Unquote(lit.Value)
				codes[name.Name] = v
			}
		}
	}
	if len(codes) < 10 {
		t.Fatalf("found %d error codes in error.go, want them all: %v", len(codes), codes)
	}
	return codes
}

// Every code of the domain has a status, and the client reads back, from
// what the server writes, the code and message it was sent.
func TestErrorCodesRoundTrip(t *testing.T) {
	for name, code := range domainCodes(t) {
		t.Run(name, func(t *testing.T) {
			status, ok := statusOf[code]
			if broader, refined := refinedCodes[code]; refined {
				status, ok = statusOf[broader]
			}
			if !ok {
				t.Fatalf("lambda.%s (%q) has no HTTP status in statusOf: the server would answer it 500", name, code)
			}
			rec := httptest.NewRecorder()
			req := httptest.NewRequest(http.MethodGet, "/v1/x", nil)
			sent := lambda.Errorf(code, "what went wrong for %s", name)
			writeError(rec, req, slog.New(slog.DiscardHandler), sent)
			if rec.Code != status {
				t.Fatalf("status %d, want %d", rec.Code, status)
			}
			got := responseError(rec.Result())
			// (an internal error's message is the server's own, not the cause)
			if lambda.ErrorCode(got) != code || lambda.ErrorMessage(got) != lambda.ErrorMessage(sent) {
				t.Errorf("client read %q %q, want %q %q", lambda.ErrorCode(got), lambda.ErrorMessage(got), code, lambda.ErrorMessage(sent))
			}
		})
	}
}

// An answer without the platform's error document (a proxy, an old
// server) gets the code the server's table gives its status.
func TestCodeFromStatus(t *testing.T) {
	for code, status := range statusOf {
		if got := codeFromStatus(status); got != code {
			t.Errorf("codeFromStatus(%d) = %q, want %q", status, got, code)
		}
	}
	for _, tc := range []struct {
		status int
		want   string
	}{
		{http.StatusTeapot, lambda.EINVALID},
		{http.StatusMethodNotAllowed, lambda.EINVALID},
		{http.StatusHTTPVersionNotSupported, lambda.EINTERNAL},
		{http.StatusInternalServerError, lambda.EINTERNAL},
	} {
		if got := codeFromStatus(tc.status); got != tc.want {
			t.Errorf("codeFromStatus(%d) = %q, want %q", tc.status, got, tc.want)
		}
	}
}

// A body that names a code the server never sends is not taken for the
// platform's error document.
func TestParseErrorBodyUnknownCode(t *testing.T) {
	if e := parseErrorBody([]byte(`{"error":{"code":"made_up","message":"x"}}`)); e != nil {
		t.Errorf("parseErrorBody accepted an unknown code: %+v", e)
	}
	if e := parseErrorBody([]byte(`{"error":{"code":"idempotency_key_reused","message":"x"}}`)); e == nil || e.Code != lambda.EIDEMPOTENCY {
		t.Errorf("parseErrorBody of an idempotency conflict: %+v", e)
	}
}
