package deploy

import (
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
)

// codeBlocks returns the lines of the fenced code blocks of a Markdown file.
func codeBlocks(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	in := false
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(strings.TrimSpace(l), "```") {
			in = !in
			continue
		}
		if in {
			lines = append(lines, l)
		}
	}
	return lines
}

// The walkthrough's lambda commands, flags and LAMBDA_ variables are the
// binary's: a renamed flag breaks this test, not a reader's VM.
func TestDeployDocUsesRealCommands(t *testing.T) {
	bin := lambdaBinary(t)
	helpCache := map[string]string{}
	help := func(args ...string) string {
		key := strings.Join(args, " ")
		if h, ok := helpCache[key]; ok {
			return h
		}
		out, err := exec.Command(bin, append(args, "--help")...).CombinedOutput()
		if err != nil {
			t.Fatalf("lambda %s --help: %v\n%s", key, err, out)
		}
		helpCache[key] = string(out)
		return string(out)
	}
	// "lambda" followed by a command word: not lambda.service, lambda-install/,
	// `-u lambda` or `-g lambda`.
	command := regexp.MustCompile(`(?:^|[\s|(])lambda ([a-z][a-z-]*)((?: [^|;&#]*)?)`)
	flag := regexp.MustCompile(`(?:^|\s)(--[a-z][a-z-]*)`)
	envVar := regexp.MustCompile(`\b(LAMBDA_[A-Z0-9_]+)=`)

	lines := codeBlocks(t, "../docs/deploy-vm.md")
	commands, vars := 0, 0
	comment := regexp.MustCompile(`(^|\s)#.*`)
	for _, line := range lines {
		code := comment.ReplaceAllString(line, "")
		for _, m := range command.FindAllStringSubmatch(code, -1) {
			args := []string{m[1]}
			rest := m[2]
			// A command with subcommands (keys create): take the next word.
			if h := help(m[1]); strings.Contains(h, "Available Commands:") {
				if words := strings.Fields(rest); len(words) > 0 {
					args = append(args, words[0])
				}
			}
			h := help(args...)
			if !strings.Contains(h, "Usage:") {
				t.Errorf("%q: `lambda %s --help` shows no usage:\n%s", line, strings.Join(args, " "), h)
			}
			for _, f := range flag.FindAllStringSubmatch(rest, -1) {
				if !regexp.MustCompile(`(?m)^\s+(-\w, )?` + regexp.QuoteMeta(f[1]) + `\b`).MatchString(h) {
					t.Errorf("%q: lambda %s has no flag %s", line, strings.Join(args, " "), f[1])
				}
			}
			commands++
		}
		for _, m := range envVar.FindAllStringSubmatch(line, -1) {
			if !strings.Contains(help("server")+help(), "env "+m[1]) {
				t.Errorf("%q: neither `lambda server --help` nor `lambda --help` names %s", line, m[1])
			}
			vars++
		}
	}
	// The checks above must have had something to check.
	if commands < 4 || vars < 4 {
		t.Fatalf("found %d lambda commands and %d LAMBDA_ variables in docs/deploy-vm.md's code blocks: is the parsing broken?", commands, vars)
	}
	t.Logf("checked %d lambda commands and %d LAMBDA_ variables", commands, vars)
}
