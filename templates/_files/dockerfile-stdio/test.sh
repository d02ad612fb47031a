#!/bin/sh
# Unit test of greet.sh: sh test.sh
set -u
dir=$(dirname "$0")
failed=0

# check NAME WANT QUERY BODY [GREETING]
check() {
	got=$(printf '%s' "$4" | QUERY_STRING="$3" GREETING="${5:-}" sh "$dir/greet.sh" 2>/dev/null)
	if [ "$got" = "$2" ]; then
		echo "ok   $1"
	else
		echo "FAIL $1: got $got, want $2"
		failed=1
	fi
}

check "json body" '{"message": "Hello, World!"}' "" '{"name": "World"}'
check "nobody" '{"message": "Hello, World!"}' "" ""
check "query" '{"message": "Hello, Ada Lovelace!"}' "a=1&name=Ada%20Lovelace" ""
check "query with +" '{"message": "Hello, Ada L!"}' "name=Ada+L" ""
check "body before query" '{"message": "Hello, Bob!"}' "name=Ada" '{"name":"Bob"}'
check "quotes removed" '{"message": "Hello, Ada!"}' 'name=%22Ada%22' ""
check "greeting" '{"message": "Hi, Ada!"}' "name=Ada" "" Hi
exit $failed
