package sqlite

import (
	"context"
	"testing"

	"github.com/lambdahq/lambda"
)

// A version deployed from git keeps its provenance, without credentials;
// others have none.
func TestVersionGitProvenance(t *testing.T) {
	ctx := context.Background()
	fs := NewFunctionStore(openTestDB(t))
	mustPublish(t, fs, testVersion("greet", 1))
	v2 := testVersion("greet", 2)
	v2.Git = &lambda.Provenance{Repository: "https://tok@example.com/g.git", Ref: "v2", Commit: "0123456789abcdef0123456789abcdef01234567", Subdir: "fn"}
	mustPublish(t, fs, v2)
	v3 := testVersion("other", 1)
	v3.Git = &lambda.Provenance{Repository: "https://example.com/o.git", Commit: "89abcdef0123456789abcdef0123456789abcdef"}
	if err := NewFunctionStore(fs.db).PublishVersions(ctx, []lambda.Publication{{Function: "other", Version: v3}}); err != nil {
		t.Fatal(err)
	}

	want := lambda.Provenance{Repository: "https://example.com/g.git", Ref: "v2", Commit: v2.Git.Commit, Subdir: "fn"}
	vs, err := fs.ListVersions(ctx, "greet")
	if err != nil || len(vs) != 2 {
		t.Fatalf("ListVersions = %v, %v", vs, err)
	}
	if vs[0].Git != nil || vs[1].Git == nil || *vs[1].Git != want {
		t.Fatalf("provenance = %+v, %+v; want none, %+v", vs[0].Git, vs[1].Git, want)
	}
	fn, err := fs.FindFunction(ctx, "greet")
	if err != nil || fn.Active.Git == nil || *fn.Active.Git != want {
		t.Fatalf("active version's provenance = %+v, %v", fn.Active, err)
	}
	v, err := fs.FindVersion(ctx, "other", 1)
	if err != nil || v.Git == nil || v.Git.Commit != v3.Git.Commit || v.Git.Ref != "" {
		t.Fatalf("project version's provenance = %+v, %v", v, err)
	}
}
