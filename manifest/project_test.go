package manifest

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/lambdahq/lambda"
)

func TestParseProject(t *testing.T) {
	src := `project: shop
runtime: node
memory: 256m
max_retries: 2
env: {STAGE: prod, REGION: eu}
functions:
  api:     {handler: functions.api}
  report:  {handler: functions.report, schedule: "0 8 * * 1-5"}
  resize:  {handler: functions.resize, memory: 512m, max_retries: 1, env: {REGION: us}}
  nightly:
    handler: functions.nightly
    timeout: 5m
    schedules:
      - cron: "*/30 * * * * *"
        data: {full: true}
  plain:
`
	m, err := Parse([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if !m.IsProject() || m.Project != "shop" {
		t.Fatalf("project = %q", m.Project)
	}
	var names []string
	for _, f := range m.Functions {
		names = append(names, f.Name)
	}
	if want := []string{"api", "report", "resize", "nightly", "plain"}; !reflect.DeepEqual(names, want) {
		t.Fatalf("functions = %v, want %v (the file's order)", names, want)
	}
	get := func(name string) Function {
		for _, f := range m.Functions {
			if f.Name == name {
				return f
			}
		}
		t.Fatalf("no function %s", name)
		return Function{}
	}
	api := get("api")
	if api.Runtime != "node" || api.Handler != "functions.api" || api.MemoryBytes != 256<<20 || *api.Scaling.MaxRetries != 2 ||
		!reflect.DeepEqual(api.Env, map[string]string{"STAGE": "prod", "REGION": "eu"}) || api.Line != 7 || api.Schedules != nil {
		t.Errorf("api = %+v", api)
	}
	resize := get("resize")
	if resize.MemoryBytes != 512<<20 || *resize.Scaling.MaxRetries != 1 || resize.Env["REGION"] != "us" || resize.Env["STAGE"] != "prod" {
		t.Errorf("resize = %+v: its own memory, max_retries and REGION win over the project's", resize)
	}
	if api.Env["REGION"] != "eu" {
		t.Errorf("resize's env leaked into api's: %v", api.Env)
	}
	if s := get("report").Schedules; len(s) != 1 || s[0].Cron != "0 8 * * 1-5" || s[0].Line != 8 {
		t.Errorf("report's schedules = %+v", s)
	}
	nightly := get("nightly")
	if nightly.Timeout != 5*time.Minute || len(nightly.Schedules) != 1 || string(nightly.Schedules[0].Data) != `{"full":true}` {
		t.Errorf("nightly = %+v", nightly)
	}
	if plain := get("plain"); plain.Handler != "" || plain.Runtime != "node" {
		t.Errorf("plain = %+v: an empty entry takes the project's settings", plain)
	}

	pm := m.DeployProject()
	if pm.Project != "shop" || len(pm.Functions) != 5 || pm.Functions[1].Schedules[0].Cron != "0 8 * * 1-5" ||
		pm.Functions[2].Config.MemoryBytes != 512<<20 || pm.Functions[0].Config.Handler != "functions.api" {
		t.Errorf("DeployProject = %+v", pm)
	}
	if got := pm.Functions[3].Schedules[0].Data; !json.Valid(got) {
		t.Errorf("schedule data %q", got)
	}
}

func TestParseProjectErrors(t *testing.T) {
	tests := []struct{ name, src, want string }{
		{"duplicate function", "project: shop\nfunctions:\n  api: {}\n  api: {}\n",
			`lambda.yaml: line 4: functions.api: function "api" is declared twice (first on line 3): keep one`},
		{"invalid function name", "project: shop\nfunctions:\n  Api_1: {}\n",
			`lambda.yaml: line 3: functions.Api_1: function name "Api_1" contains 'A'`},
		{"invalid project name", "project: My Shop\nfunctions:\n  api: {}\n",
			`lambda.yaml: line 1: project: project name "My Shop"`},
		{"unknown key in a function", "project: shop\nfunctions:\n  api:\n    handler: a.b\n    memroy: 1g\n",
			`lambda.yaml: line 5: unknown key "functions.api.memroy": did you mean "memory"?`},
		{"name in a function", "project: shop\nfunctions:\n  api: {name: x}\n",
			`lambda.yaml: line 3: unknown key "functions.api.name"`},
		{"functions without project", "runtime: node\nfunctions:\n  api: {}\n",
			`lambda.yaml: line 2: functions: needs project: NAME`},
		{"project without functions", "project: shop\n",
			`lambda.yaml: line 1: project: a project lists its functions under functions:`},
		{"empty functions", "project: shop\nfunctions: {}\n",
			`lambda.yaml: line 2: functions: project "shop" declares no function: add one, e.g. functions: {api: {handler: functions.api}}`},
		{"empty functions, block", "project: shop\nfunctions:\n",
			`lambda.yaml: line 2: functions: project "shop" declares no function: add one`},
		{"functions is a list", "project: shop\nfunctions: [api]\n",
			`lambda.yaml: line 2: functions: must be a mapping of function names`},
		{"name at the top", "project: shop\nname: x\nfunctions:\n  api: {}\n",
			`lambda.yaml: line 2: name: a project's functions are named by their keys`},
		{"top-level schedules", "project: shop\nschedules: []\nfunctions:\n  api: {}\n",
			`lambda.yaml: line 2: schedules: in a project, schedules belong to a function`},
		{"entry not a mapping", "project: shop\nfunctions:\n  api: functions.api\n",
			`lambda.yaml: line 3: functions.api: must be a mapping of settings`},
		{"bad value in a function", "project: shop\nfunctions:\n  api: {memory: lots}\n",
			`lambda.yaml: line 3: memory: "lots" is not a size`},
		{"schedule and schedules", "project: shop\nfunctions:\n  api:\n    schedule: '@daily'\n    schedules: [{cron: '@hourly'}]\n",
			`lambda.yaml: line 5: functions.api.schedules: is set with schedule (line 4)`},
		{"empty schedule", "project: shop\nfunctions:\n  api: {schedule: ''}\n",
			`lambda.yaml: line 3: functions.api.schedule: is empty`},
		{"min above max after merge", "project: shop\nmax_instances: 2\nfunctions:\n  api: {min_instances: 3}\n",
			`lambda.yaml: line 4: functions.api: min_instances 3 is above max_instances 2`},
		{"own destination", "project: shop\nfunctions:\n  api: {on_failure: api}\n",
			`lambda.yaml: line 3: functions.api.on_failure: "api" is this function`},
		{"unknown top key", "project: shop\nfunction:\n  api: {}\n",
			`lambda.yaml: line 2: unknown key "function": did you mean "functions"?`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.src))
			if err == nil {
				t.Fatalf("Parse(%q) succeeded, want %q", tt.src, tt.want)
			}
			if lambda.ErrorCode(err) != lambda.EINVALID || !strings.HasPrefix(lambda.ErrorMessage(err), tt.want) {
				t.Errorf("err = %q (%s), want it to start %q", lambda.ErrorMessage(err), lambda.ErrorCode(err), tt.want)
			}
		})
	}
}

// A single-function manifest is not a project and reads as before.
func TestParseSingleIsNotProject(t *testing.T) {
	m, err := Parse([]byte("name: greet\nmemory: 128m\n"))
	if err != nil || m.IsProject() || m.DeployProject() != nil || m.Functions != nil {
		t.Fatalf("Parse = %+v, %v", m, err)
	}
}
