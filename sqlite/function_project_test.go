package sqlite

import (
	"context"
	"testing"

	"github.com/lambdahq/lambda"
)

// A project's publications are recorded together: one that fails (an
// existing version) leaves none of the others recorded.
func TestPublishVersionsAllOrNone(t *testing.T) {
	ctx := context.Background()
	fs := NewFunctionStore(openTestDB(t))
	mustPublish(t, fs, testVersion("report", 1))
	sc := lambda.Scaling{Concurrency: 3}

	err := fs.PublishVersions(ctx, []lambda.Publication{
		{Function: "api", Version: testVersion("api", 1), Project: "shop", Scaling: &sc},
		{Function: "report", Version: testVersion("report", 1), Project: "shop"},
	})
	checkErr(t, err, lambda.ECONFLICT, `version 1 of function "report" already exists`)
	if _, err := fs.FindFunction(ctx, "api"); lambda.ErrorCode(err) != lambda.ENOTFOUND {
		t.Fatalf("api after a failed publication: %v, want ENOTFOUND", err)
	}

	err = fs.PublishVersions(ctx, []lambda.Publication{
		{Function: "api", Version: testVersion("api", 1), Project: "shop", Scaling: &sc},
		{Function: "report", Version: testVersion("report", 2), Project: "shop"},
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name        string
		active, con int
	}{{"api", 1, 3}, {"report", 2, 0}} {
		f, err := fs.FindFunction(ctx, tt.name)
		if err != nil {
			t.Fatal(err)
		}
		if f.Project != "shop" || f.ActiveVersion != tt.active || f.Scaling.Concurrency != tt.con {
			t.Errorf("%s = project %q, version %d, scaling %+v", tt.name, f.Project, f.ActiveVersion, f.Scaling)
		}
	}

	// A publication without a version changes the scaling only, and an
	// empty project leaves the function's.
	sc2 := lambda.Scaling{Concurrency: 7}
	if err := fs.PublishVersions(ctx, []lambda.Publication{{Function: "api", Scaling: &sc2}}); err != nil {
		t.Fatal(err)
	}
	f, err := fs.FindFunction(ctx, "api")
	if err != nil || f.ActiveVersion != 1 || f.Scaling.Concurrency != 7 || f.Project != "shop" {
		t.Fatalf("api = %+v, %v", f, err)
	}
	checkErr(t, fs.PublishVersions(ctx, []lambda.Publication{{Function: "ghost", Scaling: &sc2}}), lambda.ENOTFOUND, `function "ghost" not found`)
	checkErr(t, fs.PublishVersions(ctx, []lambda.Publication{{Function: "api", Version: testVersion("other", 3)}}), lambda.EINVALID, "")

	list, err := fs.ListFunctions(ctx)
	if err != nil || len(list) != 2 || list[0].Project != "shop" {
		t.Fatalf("ListFunctions = %+v, %v", list, err)
	}
}
