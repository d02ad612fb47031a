package http

import (
	"net"
	"strings"

	"github.com/lambdahq/lambda"
)

// functionFromHost returns the function a Host header addresses under
// domain ("greet.localhost:8080" → "greet"). ok is false when the host is
// not a function subdomain (the control API or path routing apply). A host
// that is malformed under domain (empty labels, "..", nested subdomains) or
// names an invalid function is an EINVALID error rather than a fallthrough,
// so odd hosts never reach the control API by accident.
func functionFromHost(host, domain string) (name string, ok bool, err error) {
	// Without a colon there is no port to split, and SplitHostPort's
	// error would cost an allocation on every request by name.
	if strings.IndexByte(host, ':') >= 0 {
		if h, _, splitErr := net.SplitHostPort(host); splitErr == nil {
			host = h
		}
	}
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	domain = strings.ToLower(strings.TrimSuffix(domain, "."))
	if domain == "" || !strings.HasSuffix(host, "."+domain) {
		return "", false, nil
	}
	label := strings.TrimSuffix(host, "."+domain)
	if label == "" || strings.Contains(label, ".") {
		return "", false, lambda.Errorf(lambda.EINVALID, "host %q is not a function address: use NAME.%s", host, domain)
	}
	if err := lambda.ValidateName(label); err != nil {
		return "", false, err
	}
	return label, true, nil
}
