package engine

import (
	"bufio"
	"bytes"
	"strconv"
	"strings"
)

// dockerfileImages returns the images a Dockerfile reads as the classic
// builder resolves them: each FROM's image (the ARGs declared before the
// first FROM expanded with their defaults: the platform passes no build
// arguments) and each COPY --from that names no stage (taken as written:
// the classic builder does not expand it), ONBUILD COPY --from included.
func dockerfileImages(dockerfile []byte) []string {
	var refs []string
	meta := map[string]string{}
	stages := map[string]bool{}
	seenFrom := false
	for _, line := range dockerfileInstructions(dockerfile) {
		keyword, rest, _ := strings.Cut(line, " ")
		rest = strings.TrimSpace(rest)
		switch strings.ToUpper(keyword) {
		case "ARG":
			if !seenFrom {
				for _, f := range strings.Fields(rest) {
					name, value, _ := strings.Cut(f, "=")
					meta[name] = expandArgs(strings.Trim(value, `"'`), meta)
				}
			}
		case "FROM":
			seenFrom = true
			args := withoutFlags(strings.Fields(rest))
			if len(args) == 0 {
				continue
			}
			refs = append(refs, expandArgs(args[0], meta))
			if len(args) == 3 && strings.EqualFold(args[1], "as") {
				stages[strings.ToLower(args[2])] = true
			}
		case "COPY":
			if from := copyFrom(rest); from != "" && !stages[strings.ToLower(from)] && !isIndex(from) {
				refs = append(refs, from)
			}
		case "ONBUILD":
			// Run by the build of an image FROM this one, where this
			// file's stage names mean nothing.
			if k, r, _ := strings.Cut(strings.TrimSpace(rest), " "); strings.EqualFold(k, "COPY") {
				if from := copyFrom(r); from != "" && !isIndex(from) {
					refs = append(refs, from)
				}
			}
		}
	}
	return refs
}

// dockerfileInstructions splits a Dockerfile into its instructions, one
// line each: comments dropped, continued lines joined (the escape
// character is \ or the one its escape directive sets).
func dockerfileInstructions(dockerfile []byte) []string {
	escape := byte('\\')
	var out []string
	var cur strings.Builder
	directives := true
	sc := bufio.NewScanner(bytes.NewReader(dockerfile))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if directives {
			if d, ok := strings.CutPrefix(line, "#"); ok {
				if k, v, ok := strings.Cut(d, "="); ok && strings.EqualFold(strings.TrimSpace(k), "escape") && len(strings.TrimSpace(v)) == 1 {
					escape = strings.TrimSpace(v)[0]
				}
				continue
			}
			directives = false
		}
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if line[len(line)-1] == escape {
			cur.WriteString(line[:len(line)-1])
			cur.WriteByte(' ')
			continue
		}
		cur.WriteString(line)
		out = append(out, cur.String())
		cur.Reset()
	}
	if cur.Len() > 0 {
		out = append(out, cur.String())
	}
	return out
}

// withoutFlags drops the leading --flag=value arguments.
func withoutFlags(args []string) []string {
	for len(args) > 0 && strings.HasPrefix(args[0], "--") {
		args = args[1:]
	}
	return args
}

// copyFrom is the value of a COPY's --from flag, "" without one.
func copyFrom(args string) string {
	for _, f := range strings.Fields(args) {
		if !strings.HasPrefix(f, "--") {
			break
		}
		if v, ok := strings.CutPrefix(f, "--from="); ok {
			return strings.Trim(v, `"'`)
		}
	}
	return ""
}

func isIndex(s string) bool {
	_, err := strconv.Atoi(s)
	return err == nil
}

// expandArgs expands $NAME, ${NAME}, ${NAME:-word} and ${NAME:+word} as
// the builder does; an ARG without a value is empty.
func expandArgs(s string, args map[string]string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\' && i+1 < len(s):
			i++
			b.WriteByte(s[i])
		case c == '$' && i+1 < len(s) && s[i+1] == '{':
			end := strings.IndexByte(s[i:], '}')
			if end < 0 {
				b.WriteString(s[i:])
				return b.String()
			}
			inner := s[i+2 : i+end]
			i += end
			name, word, mod := inner, "", ""
			if j := strings.Index(inner, ":"); j >= 0 && j+1 < len(inner) {
				name, mod, word = inner[:j], inner[j+1:j+2], inner[j+2:]
			}
			v := args[name]
			switch {
			case mod == "-" && v == "":
				v = expandArgs(word, args)
			case mod == "+" && v != "":
				v = expandArgs(word, args)
			case mod == "+":
				v = ""
			}
			b.WriteString(v)
		case c == '$':
			j := i + 1
			for j < len(s) && (s[j] == '_' || s[j] >= 'a' && s[j] <= 'z' || s[j] >= 'A' && s[j] <= 'Z' || s[j] >= '0' && s[j] <= '9') {
				j++
			}
			if j == i+1 {
				b.WriteByte(c)
				continue
			}
			b.WriteString(args[s[i+1:j]])
			i = j - 1
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}
