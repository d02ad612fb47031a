package main

import (
	"encoding/json"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/lambdahq/lambda"
)

func TestCommands(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		wantCode int
		wantOut  string
		wantErr  string
	}{
		{"rollback to previous", []string{"rollback", "greet"}, 0, "Rolled back function \"greet\" to version 2\n", ""},
		{"rollback --to", []string{"rollback", "greet", "--to", "1"}, 0, "Rolled back function \"greet\" to version 1\n", ""},
		{"rollback to a missing version", []string{"rollback", "greet", "--to", "9"}, 1, "", "Error: version 9 of function \"greet\" not found\n"},
		{"rollback negative", []string{"rollback", "greet", "--to", "-1"}, 1, "",
			"Error: --to -1 is invalid: versions are numbered from 1 (see \"lambda versions greet\"); leave out --to for the version before the active one\nUsage: lambda rollback NAME [flags]\nRun 'lambda rollback --help' for more information.\n"},
		{"delete", []string{"delete", "greet"}, 0, "Deleted function \"greet\"\n", ""},
		{"delete unknown", []string{"delete", "nope"}, 1, "", "Error: function \"nope\" not found\n"},
		{"describe unknown", []string{"describe", "nope"}, 1, "", "Error: function \"nope\" not found\n"},
		{"versions unknown", []string{"versions", "nope"}, 1, "", "Error: function \"nope\" not found\n"},
		{"bad name", []string{"describe", "Nope"}, 1, "",
			"Error: function name \"Nope\" contains 'N': use 1-63 lowercase letters, digits or dashes, not starting or ending with a dash\nUsage: lambda describe NAME [flags]\nRun 'lambda describe --help' for more information.\n"},
		{"missing argument", []string{"describe"}, 1, "",
			"Error: wrong number of arguments: expected NAME, got 0\nUsage: lambda describe NAME [flags]\nRun 'lambda describe --help' for more information.\n"},
		{"unknown flag", []string{"list", "--bogus"}, 1, "",
			"Error: unknown flag: --bogus\nUsage: lambda list [flags]\nRun 'lambda list --help' for more information.\n"},
		{"bad output", []string{"list", "-o", "xml"}, 1, "",
			"Error: --output \"xml\" is not supported: use table, json or yaml\nUsage: lambda list [flags]\nRun 'lambda list --help' for more information.\n"},
		{"unknown command", []string{"deploi"}, 1, "",
			"Error: unknown command \"deploi\" for \"lambda\"\n\nDid you mean this?\n\tdeploy\nRun 'lambda --help' for a list of commands.\n"},
		{"schedule", []string{"schedule", "greet", "--cron", "0 * * * *", "--data", `{"a":1}`, "--tz", "Europe/Paris"}, 0,
			"Scheduled function \"greet\" with cron: 0 * * * *  (id sch_1, next run 2026-11-22T08:00:00Z)\n", ""},
		{"schedule without --cron", []string{"schedule", "greet"}, 1, "",
			"Error: --cron is required, e.g. --cron \"0 * * * *\" for every hour\nUsage: lambda schedule NAME --cron EXPR [flags]\nRun 'lambda schedule --help' for more information.\n"},
		{"schedule overlap queue", []string{"schedule", "greet", "--cron", "0 * * * *", "--overlap", "queue"}, 0,
			"Scheduled function \"greet\" with cron: 0 * * * *  (id sch_1, next run 2026-11-22T08:00:00Z)\n", ""},
		{"schedule bad overlap", []string{"schedule", "greet", "--cron", "* * * * *", "--overlap", "wait"}, 1, "",
			"Error: --overlap \"wait\" is invalid: use skip, queue or allow\nUsage: lambda schedule NAME --cron EXPR [flags]\nRun 'lambda schedule --help' for more information.\n"},
		{"schedule bad data", []string{"schedule", "greet", "--cron", "* * * * *", "--data", "{"}, 1, "",
			"Error: --data is not valid JSON: quote it for your shell, e.g. --data '{\"name\":\"Ada\"}'\nUsage: lambda schedule NAME --cron EXPR [flags]\nRun 'lambda schedule --help' for more information.\n"},
		{"schedule bad cron", []string{"schedule", "greet", "--cron", "hourly"}, 1, "",
			"Error: cron expression \"hourly\" is invalid: use 5 fields\n"},
		{"schedule list empty", []string{"schedule", "list"}, 0, "", "No schedules yet: add one with \"lambda schedule NAME --cron EXPR\".\n"},
		{"schedule delete unknown", []string{"schedule", "delete", "sch_9"}, 1, "", "Error: schedule \"sch_9\" not found\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			api, url := newFakeAPI(t)
			api.add("greet", 3, time.Now())
			stdout, stderr, code := runCLI(t, url, "", tt.args...)
			if code != tt.wantCode || stdout != tt.wantOut || stderr != tt.wantErr {
				t.Errorf("got exit %d\nstdout %q\nstderr %q\nwant exit %d\nstdout %q\nstderr %q", code, stdout, stderr, tt.wantCode, tt.wantOut, tt.wantErr)
			}
		})
	}
}

func TestScheduleListAndDelete(t *testing.T) {
	api, url := newFakeAPI(t)
	ran := time.Date(2026, 11, 22, 7, 0, 0, 0, time.UTC)
	for _, args := range [][]string{
		{"schedule", "greet", "--cron", "0 * * * *"},
		{"schedule", "hello", "--cron", "*/5 * * * *", "--tz", "Europe/Paris", "--overlap", "allow"},
	} {
		if _, stderr, code := runCLI(t, url, "", args...); code != 0 {
			t.Fatalf("%v: %s", args, stderr)
		}
	}
	api.schedules[0].LastRunAt = &ran

	stdout, _, code := runCLI(t, url, "", "schedule", "list")
	want := `ID      FUNCTION   CRON          TZ             OVERLAP   NEXT RUN               LAST RUN
sch_1   greet      0 * * * *     UTC            skip      2026-11-22T08:00:00Z   2026-11-22T07:00:00Z
sch_2   hello      */5 * * * *   Europe/Paris   allow     2026-11-22T08:00:00Z   -
`
	if code != 0 || stdout != want {
		t.Errorf("exit %d, stdout:\n%s\nwant:\n%s", code, stdout, want)
	}

	stdout, _, code = runCLI(t, url, "", "schedule", "list", "hello", "-o", "json")
	var got []*lambda.Schedule
	if err := json.Unmarshal([]byte(stdout), &got); err != nil || code != 0 || len(got) != 1 || got[0].ID != "sch_2" {
		t.Errorf("json: exit %d, %v, stdout %q", code, err, stdout)
	}

	stdout, stderr, code := runCLI(t, url, "", "schedule", "delete", "sch_1")
	if code != 0 || stdout != "Deleted schedule sch_1\n" {
		t.Errorf("delete: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	if len(api.schedules) != 1 {
		t.Errorf("%d schedules left, want 1", len(api.schedules))
	}
}

func TestUnreachableServer(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	for _, args := range [][]string{{"list"}, {"invoke", "greet"}, {"deploy", functionDir(t, "greet")}} {
		stdout, stderr, code := runCLI(t, "http://"+addr, "", args...)
		lastLine := stderr[strings.LastIndex(strings.TrimSuffix(stderr, "\n"), "\n")+1:]
		wantPrefix := "Error: cannot reach the Lambda server at http://" + addr + ": dial tcp " + addr + ": connect: connection refused"
		wantSuffix := `; start it with "lambda server" or point --server / LAMBDA_SERVER at it` + "\n"
		if code != 1 || stdout != "" || !strings.HasPrefix(lastLine, wantPrefix) || !strings.HasSuffix(lastLine, wantSuffix) {
			t.Errorf("%v: exit %d, stdout %q, stderr %q", args, code, stdout, stderr)
		}
	}
}

func TestServerFromEnvironment(t *testing.T) {
	api, url := newFakeAPI(t)
	api.add("greet", 1, time.Now())
	t.Setenv("LAMBDA_SERVER", strings.TrimPrefix(url, "http://"))
	stdout, stderr, code := runCLI(t, "", "", "delete", "greet")
	if code != 0 || stdout != "Deleted function \"greet\"\n" {
		t.Errorf("exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
}

func TestAge(t *testing.T) {
	now := time.Date(2026, 11, 22, 8, 0, 0, 0, time.UTC)
	tests := []struct {
		ago  time.Duration
		want string
	}{
		{0, "just now"},
		{-time.Minute, "just now"},
		{5 * time.Second, "5s ago"},
		{3*time.Minute + 59*time.Second, "3m ago"},
		{47 * time.Hour, "47h ago"},
		{72 * time.Hour, "3d ago"},
	}
	for _, tt := range tests {
		if got := age(now, now.Add(-tt.ago)); got != tt.want {
			t.Errorf("age(-%s) = %q, want %q", tt.ago, got, tt.want)
		}
	}
	if got := age(now, time.Time{}); got != "-" {
		t.Errorf("age(zero) = %q", got)
	}
}
