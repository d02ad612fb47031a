#!/bin/sh
# __NAME__: busybox httpd runs this CGI script for every request to "/".
# It answers {"message": "Hello, NAME!"}: the name comes from a JSON body
# ({"name": "Ada"}, what `lambda invoke --data` sends) or the query
# (?name=Ada); World when there is none.
set -eu

# query_name prints the name parameter of a query string, URL-decoded.
query_name() {
	printf '%s\n' "$1" | tr '&' '\n' | sed -n 's/^name=//p' | head -n 1 | awk '
		function hex(c) { return index("0123456789abcdef", tolower(c)) - 1 }
		{
			gsub(/\+/, " ")
			out = ""
			while (match($0, /%[0-9A-Fa-f][0-9A-Fa-f]/)) {
				out = out substr($0, 1, RSTART - 1) sprintf("%c", hex(substr($0, RSTART + 1, 1)) * 16 + hex(substr($0, RSTART + 2, 1)))
				$0 = substr($0, RSTART + 3)
			}
			print out $0
		}'
}

# body_name prints the string value of "name" in a JSON body (without
# escapes: a plain shell has no JSON parser).
body_name() {
	tr '\n' ' ' | sed -n 's/.*"name"[[:space:]]*:[[:space:]]*"\([^"\\]*\)".*/\1/p'
}

name=""
if [ "${CONTENT_LENGTH:-0}" -gt 0 ]; then
	name=$(head -c "$CONTENT_LENGTH" | body_name)
fi
if [ -z "$name" ]; then
	name=$(query_name "${QUERY_STRING:-}")
fi
# Keep the answer valid JSON whatever the name holds.
name=$(printf '%s' "$name" | tr -d '"\\\000-\037' | sed 's/^[[:space:]]*//; s/[[:space:]]*$//')
[ -n "$name" ] || name=World
echo "${REQUEST_METHOD:-GET} ${REQUEST_URI:-/}: greeting $name" >&2 # stderr goes to `lambda logs`
printf 'Content-Type: application/json\r\n\r\n'
printf '{"message": "%s, %s!"}\n' "${GREETING:-Hello}" "$name"
