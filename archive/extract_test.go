package archive

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"testing"

	lambda "github.com/lambdahq/lambda"
)

// extractInto extracts data into a fresh dest inside a sandbox directory,
// and fails the test if anything appears in the sandbox besides dest.
func extractInto(t *testing.T, data []byte, limits Limits) (*ExtractResult, string, error) {
	t.Helper()
	sandbox := t.TempDir()
	dest := filepath.Join(sandbox, "dest")
	mustNil(t, os.Mkdir(dest, 0o755))
	res, err := Extract(bytes.NewReader(data), dest, limits)
	names, _ := os.ReadDir(sandbox)
	if len(names) != 1 {
		t.Fatalf("extract wrote outside dest: sandbox holds %v", names)
	}
	return res, dest, err
}

func TestExtractRejects(t *testing.T) {
	tests := []struct {
		name    string
		entries []te
		want    string // part of the message
	}{
		{"absolute path", []te{reg("/etc/evil", "x")}, "absolute"},
		{"dotdot", []te{reg("../evil", "x")}, ".."},
		{"nested dotdot", []te{reg("a/../../evil", "x")}, ".."},
		{"harmless dotdot", []te{reg("a/../b", "x")}, ".."},
		{"dotdot dir", []te{dir("../up/")}, ".."},
		{"backslash", []te{reg(`..\evil`, "x")}, "backslash"},
		{"root as file", []te{reg(".", "x")}, "destination directory itself"},
		{"symlink absolute", []te{symlink("l", "/etc/passwd")}, "absolute"},
		{"symlink up", []te{symlink("l", "../outside")}, "outside"},
		{"symlink up from subdir", []te{dir("a/"), symlink("a/l", "../../x")}, "outside"},
		{"symlink sneaky", []te{symlink("l", "a/../../x")}, "outside"},
		{"symlink empty", []te{symlink("l", "")}, "empty target"},
		{"write through symlink", []te{symlink("l", "sub"), dir("sub/"), reg("l/f", "x")}, "not a directory"},
		{"write through symlink to outside dir", []te{symlink("l", "."), reg("l/f", "x")}, "not a directory"},
		{"file over symlink", []te{reg("target", "t"), symlink("l", "target"), reg("l", "x")}, "twice"},
		{"duplicate file", []te{reg("a", "1"), reg("a", "2")}, "twice"},
		{"dir over file", []te{reg("a", "1"), dir("a/")}, "twice"},
		{"symlink over dir", []te{dir("a/"), symlink("a", ".")}, "twice"},
		{"file under file", []te{reg("a", "1"), reg("a/b", "2")}, "not a directory"},
		{"hardlink absolute", []te{hardlink("h", "/etc/passwd")}, "not a path inside"},
		{"hardlink up", []te{hardlink("h", "../x")}, "not a path inside"},
		{"hardlink missing", []te{hardlink("h", "nope")}, "not an extracted"},
		{"hardlink to dir", []te{dir("d/"), hardlink("h", "d")}, "not an extracted"},
		{"hardlink to symlink", []te{symlink("s", "x"), hardlink("h", "s")}, "not an extracted"},
		{"hardlink through symlink", []te{dir("d/"), reg("d/f", "x"), symlink("s", "d"), hardlink("h", "s/f")}, "not an extracted"},
		{"hardlink over file", []te{reg("a", "1"), reg("b", "2"), hardlink("b", "a")}, "twice"},
		{"char device", []te{{name: "dev", typ: tar.TypeChar}}, "device"},
		{"block device", []te{{name: "dev", typ: tar.TypeBlock}}, "device"},
		{"fifo", []te{{name: "fifo", typ: tar.TypeFifo}}, "fifo"},
		{"unknown type", []te{{name: "x", typ: 'Z'}}, "unsupported"},
		{"no files", []te{dir("a/")}, "no files"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := extractInto(t, tgz(t, tt.entries...), Limits{})
			wantCode(t, err, lambda.EINVALID, tt.want)
		})
	}
}

func TestCleanName(t *testing.T) {
	tests := []struct{ in, want string }{
		{"a", "a"}, {"./a", "a"}, {"a/", "a"}, {"a//b", "a/b"}, {"./", "."},
		{"a\x00b", ""}, {"", ""}, {"/a", ""}, {"..", ""}, {"a/..", ""}, {`a\b`, ""},
	}
	for _, tt := range tests {
		got, err := cleanName(tt.in)
		if (err != nil) != (tt.want == "") || got != tt.want {
			t.Errorf("cleanName(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

func TestExtractBadStream(t *testing.T) {
	good := tgz(t, reg("a", "hello"))
	tests := []struct {
		name string
		data []byte
	}{
		{"empty", nil},
		{"not gzip", []byte("hello world, not an archive")},
		{"plain tar", rawTar(t, reg("a", "x"))},
		{"truncated", good[:len(good)/2]},
		{"bad checksum", append(append([]byte{}, good[:len(good)-8]...), 1, 2, 3, 4, 5, 6, 7, 8)},
		{"trailing garbage", append(append([]byte{}, good...), "garbage"...)},
		{"gzip of garbage", gz(t, bytes.Repeat([]byte("not a tar header "), 100))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := extractInto(t, tt.data, Limits{})
			wantCode(t, err, lambda.EINVALID, "not a valid tar.gz")
		})
	}
}

func TestExtractLimits(t *testing.T) {
	big := string(bytes.Repeat([]byte("a"), 1000))
	tests := []struct {
		name    string
		data    []byte
		limits  Limits
		mention string
	}{
		{"entries", tgz(t, reg("a", "1"), reg("b", "2"), reg("c", "3")), Limits{MaxEntries: 2}, "more than 2 entries"},
		{"file size", tgz(t, reg("a", big)), Limits{MaxFileBytes: 999}, "larger than the limit of 999"},
		{"total size", tgz(t, reg("a", big), reg("b", big)), Limits{MaxBytes: 1500}, "limit of 1500"},
		{"gzip bomb", tgz(t, reg("zeros", string(make([]byte, 64<<20)))), Limits{MaxBytes: 1 << 20}, "limit of 1048576"},
		{"pax header bomb", gz(t, paxBomb(t, 40)), Limits{MaxBytes: 1 << 20, MaxEntries: 10}, "tar stream"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := extractInto(t, tt.data, tt.limits)
			wantCode(t, err, lambda.ETOOLARGE, tt.mention)
		})
	}
}

// paxBomb returns n consecutive PAX extended headers of ~1 MiB each, which
// archive/tar reads within a single Next call, followed by one file.
func paxBomb(t *testing.T, n int) []byte {
	record := "comment=" + string(bytes.Repeat([]byte("z"), 1000000)) + "\n"
	record = strconv.Itoa(len(record)+8) + " " + record // the length counts itself: 7 digits + space
	var out bytes.Buffer
	for range n {
		var buf bytes.Buffer
		tw := tar.NewWriter(&buf)
		mustNil(t, tw.WriteHeader(&tar.Header{Name: "pax", Typeflag: tar.TypeReg, Size: int64(len(record)), Mode: 0o644}))
		_, err := tw.Write([]byte(record))
		mustNil(t, err)
		mustNil(t, tw.Flush())
		blk := buf.Bytes()
		blk[156] = tar.TypeXHeader
		fixChecksum(blk[:512])
		out.Write(blk)
	}
	out.Write(rawTar(t, reg("a", "x")))
	return out.Bytes()
}

func fixChecksum(blk []byte) {
	copy(blk[148:156], "        ")
	sum := 0
	for _, c := range blk {
		sum += int(c)
	}
	copy(blk[148:156], []byte(octal6(sum)+"\x00 "))
}

func octal6(n int) string {
	s := []byte("000000")
	for i := 5; i >= 0; i-- {
		s[i] = byte('0' + n%8)
		n /= 8
	}
	return string(s)
}

func TestExtractTree(t *testing.T) {
	data := tgz(t,
		te{typ: tar.TypeXGlobalHeader, body: "git commit id"},
		dir("./"),
		te{name: "bin/run", body: "#!/bin/sh", mode: 0o4755}, // parent created implicitly, setuid dropped
		te{name: "secret", body: "s", mode: 0o600},
		te{name: "shared/", typ: tar.TypeDir, mode: 0o1777},
		dir("shared/"), // a repeated directory is harmless
		reg("shared/data.txt", "data"),
		symlink("shared/up", ".."),
		symlink("run", "bin/run"),
		symlink("dangling", "nope"),
		hardlink("secret2", "secret"),
		dir("a/b/"),
		symlink("a/b/up", ".."),
		// Cleaned to ".", so the kernel never resolves a/b/up then climbs.
		symlink("sneaky", "a/b/up/../../.."),
	)
	res, dest, err := extractInto(t, data, Limits{})
	mustNil(t, err)
	want := map[string]string{
		"a":               "dir 755",
		"a/b":             "dir 755",
		"a/b/up":          "link ..",
		"bin":             "dir 755",
		"bin/run":         "file 755 #!/bin/sh",
		"dangling":        "link nope",
		"run":             "link bin/run",
		"secret":          "file 644 s",
		"secret2":         "file 644 s",
		"shared":          "dir 755",
		"shared/data.txt": "file 644 data",
		"shared/up":       "link ..",
		"sneaky":          "link .",
	}
	if got := readTree(t, dest); !reflect.DeepEqual(got, want) {
		t.Errorf("tree:\n got %v\nwant %v", got, want)
	}
	sum := sha256.Sum256(data)
	wantRes := ExtractResult{Files: 4, Bytes: int64(len("#!/bin/sh") + len("s") + len("data")), SHA256: hex.EncodeToString(sum[:])}
	if *res != wantRes {
		t.Errorf("result %+v, want %+v", *res, wantRes)
	}
	real, err := filepath.EvalSymlinks(filepath.Join(dest, "sneaky"))
	mustNil(t, err)
	if destReal, _ := filepath.EvalSymlinks(dest); real != destReal {
		t.Errorf("sneaky resolves to %s, want %s", real, destReal)
	}
}

func TestExtractDestination(t *testing.T) {
	data := tgz(t, reg("a", "x"))
	t.Run("not empty", func(t *testing.T) {
		dest := t.TempDir()
		mustNil(t, os.WriteFile(filepath.Join(dest, "old"), nil, 0o644))
		_, err := Extract(bytes.NewReader(data), dest, Limits{})
		if err == nil || lambda.ErrorCode(err) != lambda.EINTERNAL {
			t.Fatalf("got %v, want an internal error", err)
		}
	})
	t.Run("missing", func(t *testing.T) {
		_, err := Extract(bytes.NewReader(data), filepath.Join(t.TempDir(), "nope"), Limits{})
		if err == nil {
			t.Fatal("no error")
		}
	})
}

var errUpload = errors.New("upload broke")

type brokenReader struct {
	r io.Reader
	n int
}

func (b *brokenReader) Read(p []byte) (int, error) {
	if b.n <= 0 {
		return 0, errUpload
	}
	if len(p) > b.n {
		p = p[:b.n]
	}
	n, err := b.r.Read(p)
	b.n -= n
	return n, err
}

func TestExtractReadErrorKeepsCause(t *testing.T) {
	data := tgz(t, reg("a", string(bytes.Repeat([]byte("abc"), 10000))))
	for _, cause := range []error{errUpload, lambda.Errorf(lambda.ETOOLARGE, "body too large")} {
		src := &brokenReader{r: bytes.NewReader(data), n: len(data) / 2}
		dest := t.TempDir()
		_, err := Extract(&errAfter{src, cause}, dest, Limits{})
		if !errors.Is(err, cause) {
			t.Errorf("got %v, want it to wrap %v", err, cause)
		}
		if lambda.ErrorCode(err) == lambda.EINVALID {
			t.Errorf("read failure %v reported as an invalid archive", err)
		}
	}
}

// errAfter replaces the error of r with cause.
type errAfter struct {
	r     io.Reader
	cause error
}

func (e *errAfter) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	if err != nil {
		err = e.cause
	}
	return n, err
}
