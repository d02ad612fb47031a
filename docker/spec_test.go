package docker

import (
	"regexp"
	"slices"
	"testing"

	"github.com/lambdahq/lambda"
)

func TestValidateSpec(t *testing.T) {
	good := lambda.InstanceSpec{Function: "greet", Version: 1, Image: "func-greet:v1", Port: 8080}
	tests := []struct {
		name   string
		mutate func(*lambda.InstanceSpec)
		code   string
	}{
		{"valid", func(*lambda.InstanceSpec) {}, ""},
		{"bad name", func(s *lambda.InstanceSpec) { s.Function = "Greet" }, lambda.EINVALID},
		{"negative version", func(s *lambda.InstanceSpec) { s.Version = -1 }, lambda.EINVALID},
		{"no image", func(s *lambda.InstanceSpec) { s.Image = "" }, lambda.EINVALID},
		{"port 0", func(s *lambda.InstanceSpec) { s.Port = 0 }, lambda.EINVALID},
		{"port 65536", func(s *lambda.InstanceSpec) { s.Port = 65536 }, lambda.EINVALID},
		{"negative memory", func(s *lambda.InstanceSpec) { s.MemoryBytes = -1 }, lambda.EINVALID},
		{"bad env", func(s *lambda.InstanceSpec) { s.Env = map[string]string{"A-B": "x"} }, lambda.EINVALID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spec := good
			tt.mutate(&spec)
			if got := lambda.ErrorCode(spec.Validate()); got != tt.code {
				t.Errorf("code %q, want %q", got, tt.code)
			}
		})
	}
}

func TestCreateOptions(t *testing.T) {
	tests := []struct {
		name                 string
		spec                 lambda.InstanceSpec
		wantEnv              []string
		memory, pids, shares int64
	}{
		{
			name:    "defaults",
			spec:    lambda.InstanceSpec{Function: "f", Version: 2, Image: "img", Port: 8080},
			wantEnv: []string{"PORT=8080"},
			memory:  lambda.DefaultMemoryBytes, pids: DefaultPidsLimit, shares: DefaultCPUShares,
		},
		{
			name: "explicit limits, env sorted, PORT wins",
			spec: lambda.InstanceSpec{Function: "f", Version: 2, Image: "img", Port: 9000,
				Env:         map[string]string{"Z": "1", "A": "2", "PORT": "1"},
				MemoryBytes: 128 << 20, PidsLimit: 10, CPUShares: 100},
			wantEnv: []string{"A=2", "Z=1", "PORT=9000"},
			memory:  128 << 20, pids: 10, shares: 100,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := createOptions(tt.spec, "lambda-f-v2-abcdef", "netid")
			hc := o.HostConfig
			if !slices.Equal(o.Config.Env, tt.wantEnv) {
				t.Errorf("env %v, want %v", o.Config.Env, tt.wantEnv)
			}
			if hc.Memory != tt.memory || hc.MemorySwap != tt.memory || *hc.PidsLimit != tt.pids || hc.CPUShares != tt.shares {
				t.Errorf("limits memory %d swap %d pids %d shares %d", hc.Memory, hc.MemorySwap, *hc.PidsLimit, hc.CPUShares)
			}
			if o.Config.Labels[labelPort] != "" && o.Config.Labels[labelPort] != o.Config.Env[len(o.Config.Env)-1][5:] {
				t.Errorf("port label %q disagrees with env", o.Config.Labels[labelPort])
			}
			if string(hc.NetworkMode) != "netid" || o.NetworkingConfig.EndpointsConfig["netid"] == nil {
				t.Errorf("not attached to the dedicated network: %v", hc.NetworkMode)
			}
			if o.Config.User != "1000:1000" || !hc.ReadonlyRootfs || hc.Init == nil || !*hc.Init || hc.Privileged {
				t.Errorf("hardening missing: %+v", hc)
			}
		})
	}
}

func TestContainerName(t *testing.T) {
	re := regexp.MustCompile(`^lambda-greet-v12-[0-9a-f]{6}$`)
	a, b := containerName(lambda.InstanceSpec{Function: "greet", Version: 12}), containerName(lambda.InstanceSpec{Function: "greet", Version: 12})
	if !re.MatchString(a) || a == b {
		t.Errorf("names %q, %q: want lambda-greet-v12-<6 random hex>", a, b)
	}
}
