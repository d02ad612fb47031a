package drivertest

import (
	"encoding/json"
	"fmt"
	"path"
	"strings"
)

// instruction is one Dockerfile instruction, continuations joined.
type instruction struct {
	Line int    // where it starts, 1-based
	Cmd  string // upper case
	Args string // the rest, whitespace collapsed
}

func (in instruction) String() string { return in.Cmd + " " + in.Args }

// Instructions the classic builder knows; anything else fails the build.
var knownInstructions = map[string]bool{
	"FROM": true, "RUN": true, "CMD": true, "LABEL": true, "MAINTAINER": true, "EXPOSE": true,
	"ENV": true, "ADD": true, "COPY": true, "ENTRYPOINT": true, "VOLUME": true, "USER": true,
	"WORKDIR": true, "ARG": true, "ONBUILD": true, "STOPSIGNAL": true, "HEALTHCHECK": true, "SHELL": true,
}

// parseDockerfile splits a Dockerfile into instructions, failing as the
// classic builder does on unknown instructions, missing arguments and a
// missing FROM. It does not interpret the instructions.
func parseDockerfile(src string) ([]instruction, error) {
	var out []instruction
	var cur strings.Builder
	start := 0
	for i, line := range strings.Split(strings.ReplaceAll(src, "\r\n", "\n"), "\n") {
		trimmed := strings.TrimSpace(line)
		if strings.HasPrefix(trimmed, "#") || (trimmed == "" && cur.Len() == 0) {
			continue
		}
		if cur.Len() == 0 {
			start = i + 1
		}
		if cont, ok := strings.CutSuffix(trimmed, "\\"); ok {
			cur.WriteString(cont + " ")
			continue
		}
		cur.WriteString(trimmed)
		in, err := splitInstruction(start, cur.String())
		if err != nil {
			return nil, err
		}
		out = append(out, in)
		cur.Reset()
	}
	if cur.Len() > 0 {
		in, err := splitInstruction(start, cur.String())
		if err != nil {
			return nil, err
		}
		out = append(out, in)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("the Dockerfile (Dockerfile) cannot be empty")
	}
	for _, in := range out {
		if in.Cmd == "FROM" {
			break
		}
		if in.Cmd != "ARG" {
			return nil, fmt.Errorf("no build stage in current context: the Dockerfile must start with FROM")
		}
	}
	return out, nil
}

func splitInstruction(line int, s string) (instruction, error) {
	cmd, args, _ := strings.Cut(strings.TrimSpace(s), " ")
	cmd = strings.ToUpper(cmd)
	if !knownInstructions[cmd] {
		return instruction{}, fmt.Errorf("dockerfile parse error line %d: unknown instruction: %s", line, cmd)
	}
	args = strings.Join(strings.Fields(args), " ")
	if args == "" {
		return instruction{}, fmt.Errorf("dockerfile parse error line %d: %s requires at least one argument", line, cmd)
	}
	return instruction{Line: line, Cmd: cmd, Args: args}, nil
}

// copySources returns the sources of a COPY or ADD instruction that must
// come from the build context (none for COPY --from), and its flags.
func copySources(in instruction) (sources []string, fromStage bool, err error) {
	args := in.Args
	var words []string
	for {
		flag, rest, _ := strings.Cut(args, " ")
		if !strings.HasPrefix(flag, "--") {
			break
		}
		fromStage = fromStage || strings.HasPrefix(flag, "--from=")
		args = rest
	}
	if strings.HasPrefix(args, "[") {
		if err := json.Unmarshal([]byte(args), &words); err != nil {
			return nil, false, fmt.Errorf("dockerfile parse error line %d: %s has an invalid JSON array: %v", in.Line, in.Cmd, err)
		}
	} else {
		words = strings.Fields(args)
	}
	if len(words) < 2 {
		return nil, false, fmt.Errorf("dockerfile parse error line %d: %s requires at least two arguments", in.Line, in.Cmd)
	}
	return words[:len(words)-1], fromStage, nil
}

// contextHas reports whether src (a path or glob) names something in the
// build context, whose files and directories are given as cleaned paths.
func contextHas(entries map[string]bool, src string) bool {
	src = path.Clean(strings.TrimPrefix(src, "/"))
	if src == "." || entries[src] {
		return true
	}
	if !strings.ContainsAny(src, "*?[") {
		return false
	}
	for e := range entries {
		if ok, _ := path.Match(src, e); ok {
			return true
		}
	}
	return false
}
