#!/bin/sh
# Unit test of handler.sh: sh test.sh
set -u
dir=$(dirname "$0")
failed=0

# check NAME WANT EVENT [GREETING]
check() {
	got=$(printf '%s' "$3" | GREETING="${4:-}" sh "$dir/handler.sh" 2>/dev/null)
	if [ "$got" = "$2" ]; then
		echo "ok   $1"
	else
		echo "FAIL $1: got $got, want $2"
		failed=1
	fi
}

check "invoke" '{"message": "Hello, World!"}' '{"name": "World"}'
check "no name" '{"message": "Hello, World!"}' '{}'
check "function URL event" '{"message": "Hello, Ada!"}' '{"version":"2.0","rawPath":"/","rawQueryString":"name=Ada","queryStringParameters":{"name":"Ada"},"body":""}'
check "escaped body not read" '{"message": "Hello, World!"}' '{"rawPath":"/","body":"{\"name\": \"Bob\"}"}'
check "spaces trimmed" '{"message": "Hello, Ada!"}' '{"name": "  Ada  "}'
check "greeting" '{"message": "Hi, Ada!"}' '{"name": "Ada"}' Hi
exit $failed
