package shim

import (
	"net"
	"net/http"
	"strings"
)

// furlTime is the layout of requestContext.time in Function URL events.
const furlTime = "02/Jan/2006:15:04:05 -0700"

// appendFunctionURLEvent appends the Lambda Function URL event (payload
// format 2.0) of request r with body: what an unmodified AWS function
// receives for an HTTP request.
func appendFunctionURLEvent(dst []byte, r *http.Request, body []byte, inv *invocation, fn *function) []byte {
	dst = append(dst, `{"version":"2.0","routeKey":"$default"`...)
	dst = appendStringField(dst, "rawPath", r.URL.EscapedPath(), false)
	dst = appendStringField(dst, "rawQueryString", r.URL.RawQuery, false)
	if cookies := r.Header["Cookie"]; len(cookies) > 0 {
		dst = appendKey(dst, "cookies", false)
		dst = appendCookies(dst, cookies)
	}
	dst = appendKey(dst, "headers", false)
	dst = appendHeaders(dst, r, true)
	if q := parseQuery(r.URL.RawQuery); len(q) > 0 {
		dst = appendKey(dst, "queryStringParameters", false)
		dst = appendQuery(dst, q)
	}
	host := hostOnly(r.Host)
	prefix, _, _ := strings.Cut(host, ".")
	dst = append(dst, `,"requestContext":{"accountId":"anonymous"`...)
	dst = appendStringField(dst, "apiId", fn.name, false)
	dst = appendStringField(dst, "domainName", host, false)
	dst = appendStringField(dst, "domainPrefix", prefix, false)
	dst = append(dst, `,"http":{`...)
	dst = appendStringField(dst, "method", r.Method, true)
	dst = appendStringField(dst, "path", r.URL.Path, false)
	dst = appendStringField(dst, "protocol", r.Proto, false)
	dst = appendStringField(dst, "sourceIp", sourceIP(r), false)
	dst = appendStringField(dst, "userAgent", r.UserAgent(), false)
	dst = append(dst, '}')
	dst = appendStringField(dst, "requestId", inv.id, false)
	dst = append(dst, `,"routeKey":"$default","stage":"$default","time":"`...)
	dst = inv.received.UTC().AppendFormat(dst, furlTime)
	dst = append(dst, '"')
	dst = appendIntField(dst, "timeEpoch", inv.received.UnixMilli(), false)
	dst = append(dst, '}')
	if len(body) > 0 {
		dst = appendBody(dst, body)
	} else {
		dst = appendBoolField(dst, "isBase64Encoded", false, false)
	}
	return append(dst, '}')
}

// appendCookies appends the cookies of the Cookie headers as a JSON array.
func appendCookies(dst []byte, headers []string) []byte {
	dst = append(dst, '[')
	n := 0
	for _, h := range headers {
		for _, c := range strings.Split(h, ";") {
			if c = strings.TrimSpace(c); c == "" {
				continue
			}
			if n > 0 {
				dst = append(dst, ',')
			}
			dst = appendString(dst, c)
			n++
		}
	}
	return append(dst, ']')
}

// sourceIP is the client's address: the first X-Forwarded-For entry the
// platform's gateway set, else the peer.
func sourceIP(r *http.Request) string {
	if xff := r.Header.Get("X-Forwarded-For"); xff != "" {
		first, _, _ := strings.Cut(xff, ",")
		return strings.TrimSpace(first)
	}
	return hostOnly(r.RemoteAddr)
}

// hostOnly strips a port from host:port.
func hostOnly(hostport string) string {
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		return h
	}
	return hostport
}
