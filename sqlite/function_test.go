package sqlite

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/lambdahq/lambda"
)

func TestPublishVersion(t *testing.T) {
	ctx := context.Background()
	fs := NewFunctionStore(openTestDB(t))
	mustPublish(t, fs, testVersion("greet", 1))

	tests := []struct {
		name    string
		v       *lambda.Version
		code    string
		msg     string
		wantAct int
	}{
		{"next version", testVersion("greet", 2), "", "", 2},
		{"skipped number", testVersion("greet", 5), "", "", 5},
		{"existing number", testVersion("greet", 1), lambda.ECONFLICT, `version 1 of function "greet" already exists`, 5},
		{"zero number", testVersion("greet", 0), lambda.EINVALID, "versions start at 1", 5},
		{"no function", testVersion("", 1), lambda.EINVALID, "no function name", 5},
		{"nil", nil, lambda.EINVALID, "", 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkErr(t, fs.PublishVersion(ctx, tt.v), tt.code, tt.msg)
			f, err := fs.FindFunction(ctx, "greet")
			if err != nil {
				t.Fatal(err)
			}
			if f.ActiveVersion != tt.wantAct || f.Active == nil || f.Active.Number != tt.wantAct {
				t.Fatalf("active = %d (%+v), want %d", f.ActiveVersion, f.Active, tt.wantAct)
			}
		})
	}
}

func TestPublishVersionRoundTrip(t *testing.T) {
	ctx := context.Background()
	db := openTestDB(t)
	fs := NewFunctionStore(db)
	v := testVersion("greet", 1)
	v.CreatedAt = time.Time{}
	mustPublish(t, fs, v)
	if !v.CreatedAt.Equal(t0) {
		t.Fatalf("zero CreatedAt set to %v, want the clock's %v", v.CreatedAt, t0)
	}
	got, err := fs.FindVersion(ctx, "greet", 1)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, v) {
		t.Fatalf("FindVersion = %+v\nwant %+v", got, v)
	}

	// A time in another zone comes back as the same instant in UTC.
	v2 := testVersion("greet", 2)
	v2.CreatedAt = time.Date(2030, 1, 2, 3, 4, 5, 6, time.FixedZone("X", -7*3600))
	mustPublish(t, fs, v2)
	got, err = fs.FindVersion(ctx, "greet", 2)
	if err != nil {
		t.Fatal(err)
	}
	if !got.CreatedAt.Equal(v2.CreatedAt) || got.CreatedAt.Location() != time.UTC {
		t.Fatalf("CreatedAt = %v, want %v in UTC", got.CreatedAt, v2.CreatedAt)
	}
}

func TestNextVersion(t *testing.T) {
	ctx := context.Background()
	fs := NewFunctionStore(openTestDB(t))
	mustPublish(t, fs, testVersion("a", 1))
	mustPublish(t, fs, testVersion("a", 2))
	mustPublish(t, fs, testVersion("b", 7))
	tests := []struct {
		name string
		want int
	}{{"a", 3}, {"b", 8}, {"unknown", 1}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := fs.NextVersion(ctx, tt.name)
			if err != nil || got != tt.want {
				t.Fatalf("NextVersion(%q) = %d, %v; want %d", tt.name, got, err, tt.want)
			}
		})
	}
}

func TestActivateVersion(t *testing.T) {
	ctx := context.Background()
	fs := NewFunctionStore(openTestDB(t))
	mustPublish(t, fs, testVersion("greet", 1))
	mustPublish(t, fs, testVersion("greet", 2))
	before, err := fs.FindFunction(ctx, "greet")
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name, fn string
		number   int
		code     string
		msg      string
		wantAct  int
	}{
		{"rollback", "greet", 1, "", "", 1},
		{"forward", "greet", 2, "", "", 2},
		{"missing version", "greet", 9, lambda.ENOTFOUND, `version 9 of function "greet" not found`, 2},
		{"missing function", "nope", 1, lambda.ENOTFOUND, `function "nope" not found`, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkErr(t, fs.ActivateVersion(ctx, tt.fn, tt.number), tt.code, tt.msg)
			f, err := fs.FindFunction(ctx, "greet")
			if err != nil {
				t.Fatal(err)
			}
			if f.ActiveVersion != tt.wantAct || f.Active.Number != tt.wantAct {
				t.Fatalf("active = %d/%d, want %d", f.ActiveVersion, f.Active.Number, tt.wantAct)
			}
		})
	}
	after, _ := fs.FindFunction(ctx, "greet")
	if !after.UpdatedAt.After(before.UpdatedAt) || !after.CreatedAt.Equal(before.CreatedAt) {
		t.Fatalf("times after activate: created %v updated %v; before: created %v updated %v",
			after.CreatedAt, after.UpdatedAt, before.CreatedAt, before.UpdatedAt)
	}
}

func TestFindFunction(t *testing.T) {
	ctx := context.Background()
	fs := NewFunctionStore(openTestDB(t))
	v1, v2 := testVersion("greet", 1), testVersion("greet", 2)
	mustPublish(t, fs, v1) // clock t0
	mustPublish(t, fs, v2) // clock t0+1s

	tests := []struct {
		name string
		want *lambda.Function
		code string
		msg  string
	}{
		{"greet", &lambda.Function{Name: "greet", ActiveVersion: 2, Active: v2, CreatedAt: t0, UpdatedAt: t0.Add(time.Second)}, "", ""},
		{"nope", nil, lambda.ENOTFOUND, `function "nope" not found`},
		{"", nil, lambda.ENOTFOUND, `function "" not found`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := fs.FindFunction(ctx, tt.name)
			checkErr(t, err, tt.code, tt.msg)
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("FindFunction = %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestListFunctions(t *testing.T) {
	ctx := context.Background()
	fs := NewFunctionStore(openTestDB(t))
	got, err := fs.ListFunctions(ctx)
	if err != nil || got == nil || len(got) != 0 {
		t.Fatalf("empty ListFunctions = %v, %v; want an empty non-nil list", got, err)
	}
	for _, v := range []*lambda.Version{testVersion("zeta", 1), testVersion("alpha", 1), testVersion("alpha", 2), testVersion("mid", 3)} {
		mustPublish(t, fs, v)
	}
	if err := fs.ActivateVersion(ctx, "alpha", 1); err != nil {
		t.Fatal(err)
	}
	got, err = fs.ListFunctions(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		name   string
		active int
	}{{"alpha", 1}, {"mid", 3}, {"zeta", 1}}
	if len(got) != len(want) {
		t.Fatalf("ListFunctions returned %d functions, want %d", len(got), len(want))
	}
	for i, w := range want {
		f := got[i]
		if f.Name != w.name || f.ActiveVersion != w.active || f.Active == nil ||
			f.Active.Function != w.name || f.Active.Number != w.active {
			t.Errorf("ListFunctions[%d] = %s v%d (%+v), want %s v%d", i, f.Name, f.ActiveVersion, f.Active, w.name, w.active)
		}
	}
}

func TestFindVersion(t *testing.T) {
	ctx := context.Background()
	fs := NewFunctionStore(openTestDB(t))
	v1 := testVersion("greet", 1)
	mustPublish(t, fs, v1)
	mustPublish(t, fs, testVersion("greet", 2))
	tests := []struct {
		name, fn string
		number   int
		want     *lambda.Version
		code     string
		msg      string
	}{
		{"found", "greet", 1, v1, "", ""},
		{"missing version", "greet", 3, nil, lambda.ENOTFOUND, `version 3 of function "greet" not found`},
		{"missing function", "nope", 1, nil, lambda.ENOTFOUND, `function "nope" not found`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := fs.FindVersion(ctx, tt.fn, tt.number)
			checkErr(t, err, tt.code, tt.msg)
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("FindVersion = %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestListVersions(t *testing.T) {
	ctx := context.Background()
	fs := NewFunctionStore(openTestDB(t))
	for _, n := range []int{3, 1, 2} {
		mustPublish(t, fs, testVersion("greet", n))
	}
	mustPublish(t, fs, testVersion("other", 1))
	tests := []struct {
		name string
		want []int
		code string
		msg  string
	}{
		{"greet", []int{1, 2, 3}, "", ""},
		{"other", []int{1}, "", ""},
		{"nope", nil, lambda.ENOTFOUND, `function "nope" not found`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			vs, err := fs.ListVersions(ctx, tt.name)
			checkErr(t, err, tt.code, tt.msg)
			var got []int
			for _, v := range vs {
				if v.Function != tt.name {
					t.Errorf("version %d belongs to %q", v.Number, v.Function)
				}
				got = append(got, v.Number)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("ListVersions numbers = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestDeleteFunction(t *testing.T) {
	ctx := context.Background()
	fs := NewFunctionStore(openTestDB(t))
	mustPublish(t, fs, testVersion("greet", 1))
	tests := []struct {
		name string
		code string
		msg  string
	}{
		{"greet", "", ""},
		{"greet", lambda.ENOTFOUND, `function "greet" not found`},
		{"nope", lambda.ENOTFOUND, `function "nope" not found`},
	}
	for _, tt := range tests {
		checkErr(t, fs.DeleteFunction(ctx, tt.name), tt.code, tt.msg)
	}
	_, err := fs.FindFunction(ctx, "greet")
	checkErr(t, err, lambda.ENOTFOUND, "")
}

// TestDeleteFunctionCascades checks that versions and schedules go with
// their function, and only those.
func TestDeleteFunctionCascades(t *testing.T) {
	ctx := context.Background()
	db := openTestDB(t)
	fs, ss := NewFunctionStore(db), NewScheduleStore(db)
	for _, v := range []*lambda.Version{testVersion("greet", 1), testVersion("greet", 2), testVersion("keep", 1)} {
		mustPublish(t, fs, v)
	}
	for _, fn := range []string{"greet", "greet", "keep"} {
		if err := ss.CreateSchedule(ctx, testSchedule(fn)); err != nil {
			t.Fatal(err)
		}
	}
	if err := fs.DeleteFunction(ctx, "greet"); err != nil {
		t.Fatal(err)
	}

	var versions, schedules int
	if err := db.read.QueryRow(`SELECT COUNT(*) FROM versions WHERE function = 'greet'`).Scan(&versions); err != nil {
		t.Fatal(err)
	}
	if err := db.read.QueryRow(`SELECT COUNT(*) FROM schedules WHERE function = 'greet'`).Scan(&schedules); err != nil {
		t.Fatal(err)
	}
	if versions != 0 || schedules != 0 {
		t.Fatalf("after delete: %d versions and %d schedules of greet remain", versions, schedules)
	}
	if n, _ := fs.NextVersion(ctx, "greet"); n != 1 {
		t.Fatalf("NextVersion after delete = %d, want 1", n)
	}
	if vs, err := fs.ListVersions(ctx, "keep"); err != nil || len(vs) != 1 {
		t.Fatalf("ListVersions(keep) = %v, %v; want its one version", vs, err)
	}
	if list, err := ss.ListSchedules(ctx, ""); err != nil || len(list) != 1 || list[0].Function != "keep" {
		t.Fatalf("ListSchedules = %v, %v; want only keep's schedule", list, err)
	}
}

func TestSetScaling(t *testing.T) {
	db := openTestDB(t)
	s := NewFunctionStore(db)
	ctx := context.Background()
	if err := s.SetScaling(ctx, "nosuch", lambda.Scaling{}); lambda.ErrorCode(err) != lambda.ENOTFOUND {
		t.Fatalf("unknown function: %v", err)
	}
	if err := s.PublishVersion(ctx, &lambda.Version{Function: "greet", Number: 1}); err != nil {
		t.Fatal(err)
	}
	fn, _ := s.FindFunction(ctx, "greet")
	if fn.Scaling != (lambda.Scaling{}) {
		t.Errorf("new function scaling %+v, want zero", fn.Scaling)
	}
	zero := 0
	want := lambda.Scaling{Concurrency: 4, MinInstances: 1, MaxInstances: 3, IdleTimeout: lambda.Duration(time.Minute), Reserved: &zero}
	if err := s.SetScaling(ctx, "greet", want); err != nil {
		t.Fatal(err)
	}
	// A new version keeps the function's scaling.
	if err := s.PublishVersion(ctx, &lambda.Version{Function: "greet", Number: 2}); err != nil {
		t.Fatal(err)
	}
	fn, _ = s.FindFunction(ctx, "greet")
	if !reflect.DeepEqual(fn.Scaling, want) {
		t.Errorf("scaling %+v, want %+v", fn.Scaling, want)
	}
	list, _ := s.ListFunctions(ctx)
	if len(list) != 1 || !reflect.DeepEqual(list[0].Scaling, want) {
		t.Errorf("listed scaling %+v", list)
	}
}
