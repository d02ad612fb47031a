package lambda

import (
	"strings"
	"testing"
)

func TestExposedAs(t *testing.T) {
	tests := []struct {
		name   string
		labels map[string]string
		fn     string
		port   int
		ok     bool
		err    string // in the message; "" = no error
	}{
		{"none", map[string]string{"com.docker.compose.service": "adder"}, "", 0, false, ""},
		{"platform's own", map[string]string{LabelManaged: "true", LabelExposePort: "8080"}, "", 0, false, ""},
		{"lambda", map[string]string{LabelExpose: "adder", LabelExposePort: "8080"}, "adder", 8080, true, ""},
		{"spaces", map[string]string{LabelExpose: "adder", LabelExposePort: " 80 "}, "adder", 80, true, ""},
		{"faas", map[string]string{LabelFaasName: "figlet", LabelFaasPort: "8081"}, "figlet", 8081, true, ""},
		{"lambda wins", map[string]string{LabelExpose: "a", LabelExposePort: "1", LabelFaasName: "b", LabelFaasPort: "2"}, "a", 1, true, ""},
		{"no port", map[string]string{LabelExpose: "adder"}, "", 0, true, "has no lambda.port label"},
		{"faas port", map[string]string{LabelFaasName: "adder", LabelExposePort: "80"}, "", 0, true, "has no faas.port label"},
		{"word port", map[string]string{LabelExpose: "adder", LabelExposePort: "http"}, "", 0, true, `lambda.port="http" is not a port number`},
		{"empty port", map[string]string{LabelExpose: "adder", LabelExposePort: ""}, "", 0, true, "is not a port number"},
		{"zero", map[string]string{LabelExpose: "adder", LabelExposePort: "0"}, "", 0, true, "out of range 1-65535"},
		{"too big", map[string]string{LabelExpose: "adder", LabelExposePort: "65536"}, "", 0, true, "out of range 1-65535"},
		{"bad name", map[string]string{LabelExpose: "Adder", LabelExposePort: "80"}, "", 0, true, "label lambda.expose: function name"},
		{"empty name", map[string]string{LabelFaasName: "", LabelFaasPort: "80"}, "", 0, true, "label faas.name: function name is empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fn, port, ok, err := ExposedAs(tt.labels)
			if ok != tt.ok || fn != tt.fn || port != tt.port {
				t.Errorf("ExposedAs = %q, %d, %v, %v; want %q, %d, %v", fn, port, ok, err, tt.fn, tt.port, tt.ok)
			}
			if tt.err == "" {
				if err != nil {
					t.Errorf("error %v, want none", err)
				}
				return
			}
			checkCode(t, tt.name, err, EINVALID)
			if !strings.Contains(ErrorMessage(err), tt.err) {
				t.Errorf("error %q, want it to say %q", ErrorMessage(err), tt.err)
			}
		})
	}
}

// FuzzExposedAs: labels are anyone's input on the Docker host. They expose
// a valid name and port, or nothing, or fail with EINVALID; never panic.
func FuzzExposedAs(f *testing.F) {
	for _, s := range [][2]string{{"adder", "8080"}, {"adder", "http"}, {"", ""}, {"a-b", "65535"}, {"x", "-1"}, {"x", "99999999999999999999"}, {"UP", "1"}} {
		f.Add(s[0], s[1], false)
	}
	f.Fuzz(func(t *testing.T, name, port string, faas bool) {
		labels := map[string]string{LabelExpose: name, LabelExposePort: port}
		if faas {
			labels = map[string]string{LabelFaasName: name, LabelFaasPort: port}
		}
		fn, p, ok, err := ExposedAs(labels)
		if !ok {
			t.Fatalf("labels %v not seen as exposing", labels)
		}
		if err != nil {
			checkCode(t, "ExposedAs", err, EINVALID)
			return
		}
		if ValidateName(fn) != nil || p < 1 || p > 65535 || fn != name {
			t.Fatalf("ExposedAs(%v) = %q, %d: not a valid function and port", labels, fn, p)
		}
	})
}
