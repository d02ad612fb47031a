package drivertest

import (
	"slices"
	"strings"
	"testing"
)

func TestParseDockerfile(t *testing.T) {
	tests := []struct {
		name    string
		src     string
		want    []string
		wantErr string
	}{
		{"test image", Dockerfile, []string{"FROM scratch", "COPY server /server", `ENTRYPOINT ["/server"]`}, ""},
		{"comments, blanks, continuations, case", "# c\n\nfrom scratch\nRUN a \\\n  b\r\n", []string{"FROM scratch", "RUN a b"}, ""},
		{"ARG before FROM", "ARG V=1\nFROM scratch\n", []string{"ARG V=1", "FROM scratch"}, ""},
		{"unknown instruction", "FROM scratch\nBOGUS x\n", nil, "line 2: unknown instruction: BOGUS"},
		{"no argument", "FROM\n", nil, "FROM requires at least one argument"},
		{"no FROM", "COPY a b\n", nil, "must start with FROM"},
		{"empty", "# only a comment\n", nil, "cannot be empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseDockerfile(tt.src)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want it to contain %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var strs []string
			for _, in := range got {
				strs = append(strs, in.String())
			}
			if !slices.Equal(strs, tt.want) {
				t.Errorf("got %q, want %q", strs, tt.want)
			}
		})
	}
}

func TestCopySources(t *testing.T) {
	tests := []struct {
		args      string
		want      []string
		fromStage bool
		wantErr   bool
	}{
		{"a b", []string{"a"}, false, false},
		{"--chown=1:1 a b c/", []string{"a", "b"}, false, false},
		{"--from=build /out /x", []string{"/out"}, true, false},
		{`["a b", "c"]`, []string{"a b"}, false, false},
		{"onlyone", nil, false, true},
		{`["broken`, nil, false, true},
	}
	for _, tt := range tests {
		got, from, err := copySources(instruction{Line: 1, Cmd: "COPY", Args: tt.args})
		if (err != nil) != tt.wantErr || !slices.Equal(got, tt.want) || from != tt.fromStage {
			t.Errorf("copySources(%q) = %q, %v, %v; want %q, %v, error %v", tt.args, got, from, err, tt.want, tt.fromStage, tt.wantErr)
		}
	}
}

func TestContextHas(t *testing.T) {
	entries := map[string]bool{"server": true, "app": true, "app/main.go": true}
	tests := []struct {
		src  string
		want bool
	}{
		{"server", true}, {"/server", true}, {"./app", true}, {"app/main.go", true},
		{".", true}, {"*.go", false}, {"app/*.go", true}, {"missing", false}, {"app/x", false},
	}
	for _, tt := range tests {
		if got := contextHas(entries, tt.src); got != tt.want {
			t.Errorf("contextHas(%q) = %v, want %v", tt.src, got, tt.want)
		}
	}
}

func FuzzParseDockerfile(f *testing.F) {
	f.Add(Dockerfile)
	f.Add("FROM a AS b\nCOPY --from=b [\"x\", \"y\"]\nRUN \\\n")
	f.Fuzz(func(t *testing.T, src string) {
		ins, err := parseDockerfile(src)
		if err != nil {
			return
		}
		for _, in := range ins {
			if !knownInstructions[in.Cmd] || in.Args == "" {
				t.Fatalf("parsed an invalid instruction %+v", in)
			}
			if in.Cmd == "COPY" || in.Cmd == "ADD" {
				_, _, _ = copySources(in)
			}
		}
	})
}
