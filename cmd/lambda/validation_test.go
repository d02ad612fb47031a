package main

import (
	"strings"
	"testing"
	"time"
)

// The CLI refuses what the server would refuse, with the domain's rules,
// before anything is packed or sent.
func TestValidationRules(t *testing.T) {
	greet := functionDir(t, "greet")
	badCron := manifestDir(t, "badcron", "schedules:\n  - cron: \"0 * * * *\"\n  - cron: \"0 0 * * 5-1\"\n")
	dupCron := manifestDir(t, "dupcron", "schedules:\n  - cron: \"0 * * * *\"\n    data: {a: 1}\n  - cron: \"0  *  * * *\"\n    tz: UTC\n    data: {a: 1}\n")
	badZone := manifestDir(t, "badzone", "schedules:\n  - cron: \"0 * * * *\"\n    tz: Mars/Olympus\n")
	var many strings.Builder
	many.WriteString("schedules:\n")
	for i := range 21 {
		many.WriteString("  - cron: \"" + itoa(i) + " * * * *\"\n")
	}
	tooMany := manifestDir(t, "toomany", many.String())
	tests := []struct {
		name    string
		args    []string
		wantErr string // all of stderr: nothing was packed
	}{
		{"manifest: backwards cron range", []string{"deploy", badCron},
			`Error: lambda.yaml: line 3: schedules[1]: cron expression "0 0 * * 5-1": day-of-week range "5-1" runs backwards: write the lower value first, or split it in two (5-7,0-1)` + "\n"},
		{"manifest: duplicate schedule", []string{"deploy", dupCron},
			`Error: lambda.yaml: line 4: schedules[1]: function "dupcron" already has this schedule (id schedules[0], cron "0 * * * *", time zone UTC, same data)` + "\n"},
		{"manifest: unknown zone", []string{"deploy", badZone},
			`Error: lambda.yaml: line 2: schedules[0]: time zone "Mars/Olympus" is unknown: use an IANA time zone name such as Europe/Paris or America/New_York, or leave it empty for UTC` + "\n"},
		{"manifest: too many schedules", []string{"deploy", tooMany},
			`Error: lambda.yaml: line 22: schedules[20]: function "toomany" has 20 schedules: the limit is 20; delete one with "lambda schedule delete ID"` + "\n"},
		{"rollback --to 0", []string{"rollback", "greet", "--to", "0"},
			"Error: --to 0 is invalid: versions are numbered from 1 (see \"lambda versions greet\"); leave out --to for the version before the active one\n" +
				"Usage: lambda rollback NAME [flags]\nRun 'lambda rollback --help' for more information.\n"},
		{"config --idle-timeout 1ms", []string{"config", "greet", "--idle-timeout", "1ms"},
			"Error: --idle-timeout: idle timeout 1ms is out of range 1s-24h (0 means the default, 5m)\n" +
				"Usage: lambda config NAME [flags]\nRun 'lambda config --help' for more information.\n"},
		{"server --server", []string{"server", "--server", "http://x"},
			"Error: --server is for the commands that call a server: \"lambda server\" runs the platform itself\n" +
				"Usage: lambda server [flags]\nRun 'lambda server --help' for more information.\n"},
		{"deploy --quiet error", []string{"deploy", greet, "-q", "--timeout", "0s"},
			"Error: --timeout 0s is out of range 1s-15m\nUsage: lambda deploy [DIR] [flags]\nRun 'lambda deploy --help' for more information.\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			api, url := newFakeAPI(t)
			api.add("greet", 3, time.Now())
			stdout, stderr, code := runCLI(t, url, "", tt.args...)
			if code != 1 || stdout != "" || stderr != tt.wantErr {
				t.Errorf("exit %d, stdout %q\nstderr:\n%s\nwant:\n%s", code, stdout, stderr, tt.wantErr)
			}
			if api.lastSource != "" {
				t.Errorf("a deploy reached the server (%s)", api.lastSource)
			}
		})
	}
}

func itoa(i int) string { return string(rune('0'+i/10)) + string(rune('0'+i%10)) }

func TestRollbackSendsVersionOnlyWhenGiven(t *testing.T) {
	api, url := newFakeAPI(t)
	api.add("greet", 3, time.Now())
	if _, stderr, code := runCLI(t, url, "", "rollback", "greet"); code != 0 {
		t.Fatalf("rollback: %s", stderr)
	}
	if api.lastRollback.Version != nil {
		t.Errorf("rollback without --to sent version %d, want none", *api.lastRollback.Version)
	}
	if _, stderr, code := runCLI(t, url, "", "rollback", "greet", "--to", "1"); code != 0 {
		t.Fatalf("rollback --to 1: %s", stderr)
	}
	if v := api.lastRollback.Version; v == nil || *v != 1 {
		t.Errorf("rollback --to 1 sent %v, want 1", v)
	}
}

func TestConfigIdleTimeoutZeroIsTheDefault(t *testing.T) {
	api, url := newFakeAPI(t)
	api.add("greet", 1, time.Now())
	stdout, stderr, code := runCLI(t, url, "", "config", "greet", "--idle-timeout", "0")
	if code != 0 || !strings.Contains(stdout, "idle timeout 5m0s") {
		t.Errorf("exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
}

func TestDeployQuietAndVerbose(t *testing.T) {
	tests := []struct {
		name, flag, dir string
		code            int
		wantErr         string
	}{
		{"quiet", "-q", "greet", 0, ""},
		{"quiet failure: the error alone", "--quiet", "broken", 1,
			"Error: build failed: COPY failed: no such file app\nStep 1/2 : FROM scratch\nStep 2/2 : COPY app /app\nNothing was deployed: \"broken\" has no version yet.\n"},
		{"verbose", "-v", "greet", 0, "Packaging function code... Done.\n[1/3] Unpacking function code... Done.\n[2/3] Building image \"func-greet\"...\nStep 1/2 : FROM scratch\nStep 2/2 : COPY app /app\n[3/3] Starting container... Done.\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, url := newFakeAPI(t)
			stdout, stderr, code := runCLI(t, url, "", "deploy", functionDir(t, tt.dir), tt.flag)
			wantOut := ""
			if tt.code == 0 {
				wantOut = "Your function is live at: http://" + tt.dir + ".localhost:8080\n"
			}
			if code != tt.code || stdout != wantOut || stderr != tt.wantErr {
				t.Errorf("exit %d, stdout %q\nstderr:\n%q\nwant:\n%q", code, stdout, stderr, tt.wantErr)
			}
		})
	}
}

func TestServerHelpHidesServerFlag(t *testing.T) {
	for _, args := range [][]string{{"server", "--help"}, {"bench", "--help"}} {
		stdout, _, code := runCLI(t, "", "", args...)
		if code != 0 || !strings.Contains(stdout, "Usage:") || strings.Contains(stdout, "--server") {
			t.Errorf("%v: exit %d, help lists --server:\n%s", args, code, stdout)
		}
	}
	stdout, _, _ := runCLI(t, "", "", "list", "--help")
	if !strings.Contains(stdout, "--server") {
		t.Errorf("list --help does not list --server:\n%s", stdout)
	}
}
