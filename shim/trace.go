package shim

// hdrTraceParent is the W3C traceparent the platform forwards with every
// invocation: its own span, of the caller's trace or a new one.
const hdrTraceParent = "Traceparent"

// xrayTrace converts a version-00 traceparent into the X-Ray trace header
// that AWS runtimes take from Lambda-Runtime-Trace-Id (and put in
// _X_AMZN_TRACE_ID): Root=1-{the trace ID's first 8 hex digits}-{its other
// 24};Parent={the parent ID};Sampled={0|1}, the mapping AWS's
// OpenTelemetry propagators use. "" when tp is not valid: the shim makes
// one up then, as before the platform forwarded traces.
func xrayTrace(tp string) string {
	if len(tp) != 55 || tp[0:3] != "00-" || tp[35] != '-' || tp[52] != '-' || tp[53] != '0' || !lowerHex(tp[3:35]) || !lowerHex(tp[36:52]) || !lowerHex(tp[54:55]) {
		return ""
	}
	sampled := "0"
	if (tp[54]-'0')&1 == 1 || tp[54] >= 'a' && (tp[54]-'a'+10)&1 == 1 {
		sampled = "1"
	}
	return "Root=1-" + tp[3:11] + "-" + tp[11:35] + ";Parent=" + tp[36:52] + ";Sampled=" + sampled
}

func lowerHex(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}
