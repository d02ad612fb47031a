package e2e

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestVersionsStopPilingUp deploys one directory twice (the second deploy
// publishes nothing), forces a version, then deploys new settings past the
// server's --keep-versions: the oldest versions lose their images but stay
// listed as pruned, and a rollback to one is refused with what to do.
func TestVersionsStopPilingUp(t *testing.T) {
	requireDocker(t)
	s := startServer(t, "LAMBDA_KEEP_VERSIONS=2")
	name := s.fn("prune")
	deploy := func(args ...string) result {
		t.Helper()
		return s.mustLambda(append([]string{"deploy", "testdata/fixture", "--name", name}, args...)...)
	}

	start := time.Now()
	deploy("--env", "FIXTURE_TAG=one")
	built := time.Since(start)
	start = time.Now()
	res := deploy("--env", "FIXTURE_TAG=one")
	t.Logf("first deploy (build) %.1fs, identical deploy (nothing built) %.2fs", built.Seconds(), time.Since(start).Seconds())
	if !strings.Contains(res.stdout, "No changes: version 1 stays active") {
		t.Errorf("second identical deploy said:\n%s", res.stdout)
	}
	var out struct {
		Changed *bool `json:"changed"`
		Active  struct {
			Number int `json:"number"`
		} `json:"active"`
	}
	res = deploy("--env", "FIXTURE_TAG=one", "-o", "json")
	if err := json.Unmarshal([]byte(res.stdout), &out); err != nil || out.Changed == nil || *out.Changed || out.Active.Number != 1 {
		t.Errorf("identical deploy -o json: %v\n%s", err, res.stdout)
	}
	if got := versionImages(t, name); strings.Join(got, " ") != "v1" {
		t.Errorf("images after identical deploys: %v, want v1 only", got)
	}
	res = deploy("--env", "FIXTURE_TAG=one", "--force", "-o", "json")
	if err := json.Unmarshal([]byte(res.stdout), &out); err != nil || out.Changed == nil || !*out.Changed || out.Active.Number != 2 {
		t.Errorf("forced deploy -o json: %v\n%s", err, res.stdout)
	}

	// Past the limit of 2: versions 1 and 2 are pruned in the background.
	deploy("--env", "FIXTURE_TAG=two")
	deploy("--env", "FIXTURE_TAG=three")
	var versions []struct {
		Number   int     `json:"number"`
		Active   bool    `json:"active"`
		Pruned   bool    `json:"pruned"`
		PrunedAt *string `json:"pruned_at"`
	}
	start = time.Now()
	waitFor(t, 90*time.Second, func() bool {
		res := s.mustLambda("versions", name, "-o", "json")
		if err := json.Unmarshal([]byte(res.stdout), &versions); err != nil {
			t.Fatalf("versions -o json: %v\n%s", err, res.stdout)
		}
		return len(versions) == 4 && versions[0].Pruned && versions[1].Pruned
	})
	t.Logf("versions 1 and 2 pruned %.1fs after the 4th deploy returned", time.Since(start).Seconds())
	for _, v := range versions {
		wantPruned := v.Number <= 2
		if v.Pruned != wantPruned || (v.PrunedAt != nil) != wantPruned || v.Active != (v.Number == 4) {
			t.Errorf("version %+v, want pruned %v", v, wantPruned)
		}
	}
	if got := versionImages(t, name); strings.Join(got, " ") != "v3 v4" {
		t.Errorf("images after pruning: %v, want v3 v4", got)
	}
	table := s.mustLambda("versions", name).stdout
	if lines := strings.Split(strings.TrimSpace(table), "\n"); len(lines) != 5 || !strings.Contains(lines[0], "PRUNED") ||
		!strings.HasSuffix(lines[1], "yes") || strings.HasSuffix(lines[4], "yes") {
		t.Errorf("versions table:\n%s", table)
	}

	res = s.lambda("rollback", name, "--to", "1")
	if res.code == 0 || !strings.Contains(res.stderr, "version 1 of \""+name+"\" was pruned") || !strings.Contains(res.stderr, "deploy its code again") {
		t.Errorf("rollback to a pruned version: exit %d\n%s", res.code, res.stderr)
	}
	// The function still serves its newest version, and rolling back to a
	// kept one works.
	s.mustLambda("rollback", name, "--to", "3")
	if resp, body := s.request("GET", s.host(name), "/", nil); resp.Header.Get("X-Lambda-Version") != "3" || decodeEcho(t, body).Env != "two" {
		t.Errorf("after rollback to 3: version %s, %s", resp.Header.Get("X-Lambda-Version"), body)
	}
}

// versionImages lists the version tags of name's function images on the host,
// e.g. [v3 v4].
func versionImages(t *testing.T, name string) []string {
	t.Helper()
	tags := strings.Fields(docker(t, "images", "--format", "{{.Tag}}", "func-"+name))
	slices.Sort(tags)
	return tags
}
