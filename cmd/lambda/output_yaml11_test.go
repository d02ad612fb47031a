package main

import (
	"bytes"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// -o yaml is read by YAML 1.1 parsers too (PyYAML, Ruby's, Ansible), for
// which yes, no, on, off, y and n are booleans and 12:30 a number: a
// function named "yes" must not come back as true there. Such strings are
// quoted; YAML 1.2 readers get the same values.
func TestPrintYAMLForYAML11Readers(t *testing.T) {
	for _, s := range []string{"yes", "no", "on", "off", "y", "n", "Yes", "NO", "On", "OFF", "Y", "N", "12:30", "1:20:30", "-1:30"} {
		var b bytes.Buffer
		if err := printYAML(&b, []map[string]string{{"name": s}}); err != nil {
			t.Fatal(err)
		}
		if want := "- name: \"" + s + "\"\n"; b.String() != want {
			t.Errorf("%q printed %q, want %q", s, b.String(), want)
		}
		var back []map[string]string
		if err := yaml.Unmarshal(b.Bytes(), &back); err != nil || len(back) != 1 || back[0]["name"] != s {
			t.Errorf("%q read back as %v, %v", s, back, err)
		}
	}
	// Plain words stay plain.
	var b bytes.Buffer
	printYAML(&b, map[string]string{"name": "greet", "status": "ready", "image": "busybox:latest"})
	if strings.Contains(b.String(), `"`) {
		t.Errorf("plain strings quoted:\n%s", b.String())
	}
}
