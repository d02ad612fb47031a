package git_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lambdahq/lambda"
	"github.com/lambdahq/lambda/archive"
	"github.com/lambdahq/lambda/git"
)

func newCloner() *git.Cloner {
	c := git.New()
	c.Timeout = 2 * time.Minute // generous: the machine is loaded
	return c
}

// clone runs c and extracts its tar.gz the way the engine does, returning
// the files of the tree.
func clone(t *testing.T, c *git.Cloner, src lambda.GitSource) (*lambda.Provenance, map[string]string, error) {
	t.Helper()
	var buf bytes.Buffer
	prov, err := c.Clone(context.Background(), src, &buf)
	if err != nil {
		return nil, nil, err
	}
	dir := t.TempDir()
	if _, err := archive.Extract(&buf, dir, archive.Limits{}); err != nil {
		return prov, nil, err
	}
	files := map[string]string{}
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		if d.Type()&fs.ModeSymlink != 0 {
			target, _ := os.Readlink(p)
			files[filepath.ToSlash(rel)] = "-> " + target
			return nil
		}
		b, err := os.ReadFile(p)
		files[filepath.ToSlash(rel)] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return prov, files, nil
}

func TestCloneRefs(t *testing.T) {
	r := newRepo(t, nil)
	c0 := r.commit(map[string]string{"handler.py": "v0", "fn/api/index.js": "api0"})
	c1 := r.commit(map[string]string{"handler.py": "v1", "fn/api/index.js": "api1"})
	r.git("tag", "-a", "-m", "release 1", "v1")
	r.git("tag", "light1")
	r.git("checkout", "-q", "-b", "dev")
	cdev := r.commit(map[string]string{"handler.py": "dev"})
	r.git("checkout", "-q", "main")
	c2 := r.commit(map[string]string{"handler.py": "v2", "fn/api/index.js": ""})
	c := newCloner()

	tests := []struct {
		ref, subdir string
		commit      string
		file, want  string
	}{
		{"", "", c2, "handler.py", "v2"},
		{"main", "", c2, "handler.py", "v2"},
		{"refs/heads/main", "", c2, "handler.py", "v2"},
		{"dev", "", cdev, "handler.py", "dev"},
		{"v1", "", c1, "handler.py", "v1"},     // annotated tag
		{"light1", "", c1, "handler.py", "v1"}, // lightweight tag
		{c1, "", c1, "handler.py", "v1"},       // a SHA a tag points at
		{c1[:10], "fn/api", c1, "index.js", "api1"},
		{c0, "", c0, "handler.py", "v0"}, // a SHA no ref points at: fetched with the history
		{"v1", "fn/api/", c1, "index.js", "api1"},
	}
	for _, tt := range tests {
		t.Run(tt.ref+"/"+tt.subdir, func(t *testing.T) {
			prov, files, err := clone(t, c, lambda.GitSource{URL: r.URL, Ref: tt.ref, Subdir: tt.subdir})
			if err != nil {
				t.Fatal(err)
			}
			if prov.Commit != tt.commit || prov.Ref != tt.ref || prov.Repository != r.URL {
				t.Errorf("provenance = %+v, want commit %s", prov, tt.commit)
			}
			if files[tt.file] != tt.want {
				t.Errorf("%s = %q, want %q (files %v)", tt.file, files[tt.file], tt.want, files)
			}
		})
	}
}

// A push's deploy pins the pushed commit: once the branch has moved on,
// the pinned commit is what is cloned, and the provenance records the
// branch as the ref and the commit as the commit.
func TestClonePinnedCommit(t *testing.T) {
	r := newRepo(t, nil)
	pushed := r.commit(map[string]string{"handler.py": "pushed"})
	r.commit(map[string]string{"handler.py": "later"})
	prov, files, err := clone(t, newCloner(), lambda.GitSource{URL: r.URL, Ref: "main", Commit: pushed})
	if err != nil {
		t.Fatal(err)
	}
	if prov.Ref != "main" || prov.Commit != pushed || files["handler.py"] != "pushed" {
		t.Errorf("provenance %+v, handler.py %q; want ref main at %s, pushed", prov, files["handler.py"], pushed)
	}
	if _, _, err := clone(t, newCloner(), lambda.GitSource{URL: r.URL, Ref: "main", Commit: "abc"}); lambda.ErrorCode(err) != lambda.EINVALID {
		t.Errorf("a short pinned commit: %v", err)
	}
}

// A submodule (a gitlink) is left out, as git archive leaves it, and an
// LFS pointer is deployed as the pointer file it is in the tree.
func TestCloneSubmoduleAndLFSPointer(t *testing.T) {
	r := newRepo(t, nil)
	sha := r.commit(map[string]string{"handler.py": "x"})
	pointer := "version https://git-lfs.github.com/spec/v1\noid sha256:" + strings.Repeat("0", 64) + "\nsize 12\n"
	r.git("update-index", "--add", "--cacheinfo", "160000,"+sha+",vendor/lib")
	if err := os.WriteFile(filepath.Join(r.work, "model.bin"), []byte(pointer), 0o644); err != nil {
		t.Fatal(err)
	}
	r.git("add", "model.bin")
	r.git("commit", "-q", "-m", "submodule and lfs")
	r.push()
	_, files, err := clone(t, newCloner(), lambda.GitSource{URL: r.URL})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := files["vendor/lib"]; ok {
		t.Errorf("the submodule became a file: %v", files)
	}
	if files["model.bin"] != pointer || files["handler.py"] != "x" {
		t.Errorf("files %v", files)
	}
}

// The same commit gives the same bytes: the engine's code digest sees an
// unchanged tree as unchanged.
func TestCloneIsDeterministic(t *testing.T) {
	r := newRepo(t, nil)
	r.commit(map[string]string{"a.py": "a", "b/c.py": "c"})
	c := newCloner()
	var first, second bytes.Buffer
	if _, err := c.Clone(context.Background(), lambda.GitSource{URL: r.URL}, &first); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Clone(context.Background(), lambda.GitSource{URL: r.URL}, &second); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(first.Bytes(), second.Bytes()) {
		t.Error("two clones of one commit differ")
	}
}

func TestCloneErrors(t *testing.T) {
	r := newRepo(t, nil)
	r.commit(map[string]string{"handler.py": "x", "sub/a.py": "a"})
	r.git("tag", "v1")
	r.push()
	big := newRepo(t, nil)
	noise := make([]byte, 256<<10) // random: the pack cannot compress it
	rand.Read(noise)
	big.commit(map[string]string{"blob.bin": hex.EncodeToString(noise)})
	many := newRepo(t, nil)
	files := map[string]string{}
	for i := range 30 {
		files[fmt.Sprintf("f%02d.txt", i)] = fmt.Sprint(i)
	}
	many.commit(files)
	// Few files, many directories: the upload's extraction counts every
	// entry, so the clone's limit does too (else the extraction refuses
	// the tree with advice that does not apply to a clone).
	deep := newRepo(t, nil)
	dirs := map[string]string{}
	for i := range 6 {
		dirs[fmt.Sprintf("d%d/e%d/f.txt", i, i)] = "x"
	}
	deep.commit(dirs)
	escape := newRepo(t, nil)
	escape.commit(map[string]string{"handler.py": "x"})
	if err := os.Symlink("../../../etc/passwd", filepath.Join(escape.work, "leak")); err != nil {
		t.Fatal(err)
	}
	escape.commit(nil)

	small := newCloner()
	small.MaxBytes = 64 << 10
	fewFiles := newCloner()
	fewFiles.MaxFiles = 10
	quick := newCloner()
	quick.Timeout = 2 * time.Second

	tests := []struct {
		name   string
		c      *git.Cloner
		src    lambda.GitSource
		code   string
		phrase string
	}{
		{"missing ref", newCloner(), lambda.GitSource{URL: r.URL, Ref: "nope"}, lambda.EINVALID, `ref "nope" does not exist in ` + r.URL + `: its branches are main and its tags v1`},
		{"missing SHA", newCloner(), lambda.GitSource{URL: r.URL, Ref: strings.Repeat("ab", 20)}, lambda.EINVALID, "does not exist"},
		{"missing subdir", newCloner(), lambda.GitSource{URL: r.URL, Subdir: "nope"}, lambda.EINVALID, `directory "nope" does not exist in commit`},
		{"missing repository", newCloner(), lambda.GitSource{URL: r.URL + "x"}, lambda.EINVALID, "was not found"},
		{"over the size limit", small, lambda.GitSource{URL: big.URL}, lambda.ETOOLARGE, "larger than the limit of 65536 bytes"},
		{"over the file limit", fewFiles, lambda.GitSource{URL: many.URL}, lambda.ETOOLARGE, "more than the limit of 10 files and directories"},
		{"over the file limit in directories", fewFiles, lambda.GitSource{URL: deep.URL}, lambda.ETOOLARGE, "more than the limit of 10 files and directories"},
		{"no answer", quick, lambda.GitSource{URL: silentURL(t)}, lambda.ETIMEOUT, "took longer than the limit of 2s"},
		{"nothing listens", newCloner(), lambda.GitSource{URL: "http://127.0.0.1:1/app.git"}, lambda.EINVALID, "cannot reach repository"},
		{"file URL", newCloner(), lambda.GitSource{URL: "file://" + r.bare}, lambda.EINVALID, "not supported"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			_, err := tt.c.Clone(context.Background(), tt.src, &buf)
			if lambda.ErrorCode(err) != tt.code || !strings.Contains(lambda.ErrorMessage(err), tt.phrase) {
				t.Fatalf("err = %v (%s), want %s containing %q", err, lambda.ErrorCode(err), tt.code, tt.phrase)
			}
		})
	}

	t.Run("symlink out of the tree", func(t *testing.T) {
		_, _, err := clone(t, newCloner(), lambda.GitSource{URL: escape.URL})
		if lambda.ErrorCode(err) != lambda.EINVALID || !strings.Contains(err.Error(), "points outside the code directory") {
			t.Fatalf("err = %v, want the extraction to refuse the link", err)
		}
	})
}

func TestCloneToken(t *testing.T) {
	const token = "s3cr3t-t0ken"
	r := newRepo(t, func(req *http.Request) bool {
		_, pass, ok := req.BasicAuth()
		return ok && pass == token
	})
	sha := r.commit(map[string]string{"handler.py": "private"})
	c := newCloner()

	prov, files, err := clone(t, c, lambda.GitSource{URL: r.URL, Token: token})
	if err != nil || prov.Commit != sha || files["handler.py"] != "private" {
		t.Fatalf("with the token: %v, %+v, %v", err, prov, files)
	}
	for _, src := range []lambda.GitSource{{URL: r.URL}, {URL: r.URL, Token: "wrong-" + token}} {
		_, _, err := clone(t, c, src)
		if lambda.ErrorCode(err) != lambda.EINVALID || strings.Contains(err.Error(), token) {
			t.Errorf("token %q: err = %v, want EINVALID without the token", src.Token, err)
		}
		if !strings.Contains(err.Error(), "--git-token") {
			t.Errorf("token %q: err = %v, want advice about --git-token", src.Token, err)
		}
	}
	// A user name in the URL is not kept in the provenance.
	u := strings.Replace(r.URL, "http://", "http://someone@", 1)
	prov, _, err = clone(t, c, lambda.GitSource{URL: u, Token: token})
	if err != nil || strings.Contains(prov.Repository, "someone") {
		t.Errorf("provenance %+v, err %v: want the URL without its user", prov, err)
	}
}
