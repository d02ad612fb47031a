package runtimes

import (
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/mod/modfile"

	"github.com/lambdahq/lambda"
)

// Modules whose presence in a function's go.mod changes how it is built.
const (
	sdkModule    = "github.com/lambdahq/lambda"
	sdkPackage   = sdkModule + "/sdk"
	awsModule    = "github.com/aws/aws-lambda-go"
	awsPackage   = awsModule + "/lambda"
	awsNoRPCTag  = "lambda.norpc"
	sdkStandIn   = ".lambda-sdk" // where the stand-in SDK module goes in a builder context
	zeroVersion  = "v0.0.0-00010101000000-000000000000"
	goModVersion = "1.26"
)

// readGoMod parses dir/go.mod, naming the problem when it is invalid.
func readGoMod(dir string) (*modfile.File, error) {
	data, err := os.ReadFile(filepath.Join(dir, "go.mod"))
	if err != nil {
		return nil, lambda.Errorf(lambda.EINVALID, "cannot read go.mod: %w", err)
	}
	return parseGoMod(data)
}

func parseGoMod(data []byte) (*modfile.File, error) {
	f, err := modfile.Parse("go.mod", data, nil)
	if err != nil {
		return nil, lambda.Errorf(lambda.EINVALID, "go.mod is invalid: %v", err)
	}
	return f, nil
}

// requires reports whether f requires module path directly.
func requires(f *modfile.File, path string) bool {
	for _, r := range f.Require {
		if r.Mod.Path == path && !r.Indirect {
			return true
		}
	}
	return false
}

// checkReplaces rejects replace directives that point at directories
// outside the function: built on the host, they would compile (and could
// embed) the server's own files into the function. A replace of skip
// (the SDK module, which the build replaces itself) is allowed.
func checkReplaces(f *modfile.File, skip string) error {
	for _, rep := range f.Replace {
		if rep.New.Version != "" || rep.Old.Path == skip { // a module, not a directory
			continue
		}
		p := filepath.FromSlash(rep.New.Path)
		if filepath.IsAbs(p) || strings.HasPrefix(rep.New.Path, "/") {
			return replaceOutside(rep.New.Path)
		}
		clean := filepath.Clean(p)
		if clean == ".." || strings.HasPrefix(clean, ".."+string(filepath.Separator)) {
			return replaceOutside(rep.New.Path)
		}
	}
	return nil
}

func replaceOutside(path string) error {
	return lambda.Errorf(lambda.EINVALID, "go.mod replaces a module with the directory %s, outside the function: "+
		"keep replaced modules inside the function's directory (e.g. ./lib) or vendor them (go mod vendor)", path)
}

// sdkGoMod rewrites a function's go.mod so that the SDK module resolves to
// the stand-in directory at path, whatever the function replaced it with
// (the examples use ../..), and requires it when the go.mod does not.
func sdkGoMod(data []byte, path string) ([]byte, error) {
	f, err := parseGoMod(data)
	if err != nil {
		return nil, err
	}
	for _, rep := range append([]*modfile.Replace(nil), f.Replace...) {
		if rep.Old.Path == sdkModule {
			if err := f.DropReplace(rep.Old.Path, rep.Old.Version); err != nil {
				return nil, lambda.Errorf(lambda.EINVALID, "go.mod: %v", err)
			}
		}
	}
	if err := f.AddReplace(sdkModule, "", path, ""); err != nil {
		return nil, lambda.Errorf(lambda.EINVALID, "go.mod: %v", err)
	}
	found := false
	for _, r := range f.Require {
		found = found || r.Mod.Path == sdkModule
	}
	if !found {
		f.AddNewRequire(sdkModule, zeroVersion, false)
	}
	f.Cleanup()
	out, err := f.Format()
	if err != nil {
		return nil, lambda.Errorf(lambda.EINVALID, "go.mod: %v", err)
	}
	return out, nil
}

// standInGoMod is the go.mod of the stand-in SDK module.
const standInGoMod = "module " + sdkModule + "\n\ngo " + goModVersion + "\n"
