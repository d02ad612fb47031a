package runtimes

import (
	"encoding/json"
	"strings"

	"github.com/lambdahq/lambda"
)

// shimPath is where function images keep the shim.
const shimPath = "/lambda/shim"

func badProtocol(p string) error {
	return lambda.Errorf(lambda.EINVALID, "protocol %q is not supported: use %s", p, strings.Join(lambda.Protocols, ", "))
}

// shimEntrypoint is the ENTRYPOINT that runs command behind the shim.
func shimEntrypoint(protocol string, command ...string) []string {
	return append([]string{shimPath, "--protocol", protocol, "--"}, command...)
}

// execForm renders args as the JSON array of an exec-form instruction;
// JSON escaping keeps any newline in an argument from ending the line.
func execForm(args []string) string {
	b, _ := json.Marshal(args)
	return string(b)
}

// shimMeta configures an image whose command runs behind the shim. PORT is a default for running the image by hand.
func shimMeta(protocol string, command ...string) string {
	return "ENV PORT=8080\nEXPOSE 8080\nENTRYPOINT " + execForm(shimEntrypoint(protocol, command...)) + "\nCMD []\n"
}

// wrappable reports whether protocol runs an image's command behind the
// shim, as WrapContext does.
func wrappable(protocol string) bool {
	return protocol == lambda.ProtocolAWS || protocol == lambda.ProtocolStdio
}
