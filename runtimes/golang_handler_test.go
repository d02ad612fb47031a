package runtimes

import (
	"slices"
	"strings"
	"testing"
)

// A Go function's handler names the main package that is compiled, in
// the builder image and with the host's toolchain alike.
func TestGoHandlerPackageIsBuilt(t *testing.T) {
	for _, tt := range []struct{ handler, want string }{
		{"", "."}, {".", "."}, {"./cmd/api", "./cmd/api"}, {"./cmd/api/", "./cmd/api"}, {"./cmd//api", "./cmd/api"},
	} {
		pkg, err := goHandlerPackage(tt.handler)
		if err != nil || pkg != tt.want {
			t.Errorf("goHandlerPackage(%q) = %q, %v; want %q", tt.handler, pkg, err, tt.want)
		}
	}
	for _, bad := range []string{"cmd/api", "../x", "./..", "./a/../../b", "./a b", "main.handler"} {
		if _, err := goHandlerPackage(bad); err == nil {
			t.Errorf("goHandlerPackage(%q) accepted", bad)
		}
	}
	p := &goProgram{dir: t.TempDir(), pkg: "./cmd/api", base: "scratch", bin: "/function"}
	if df := builderDockerfile("golang:1", p); !strings.Contains(df, "-o /out/function ./cmd/api\n") {
		t.Errorf("builder Dockerfile does not build ./cmd/api:\n%s", df)
	}
	if args := p.buildArgs("/tmp/out"); args[len(args)-1] != "./cmd/api" {
		t.Errorf("host build args %q", args)
	}
	root := &goProgram{dir: t.TempDir()}
	if args := root.buildArgs("/tmp/out"); !slices.Equal(args[len(args)-1:], []string{"."}) {
		t.Errorf("root build args %q", args)
	}
}
