#!/bin/sh
# __NAME__'s handler: the event on stdin, the result on stdout (bootstrap
# posts it to the Runtime API); a non-zero exit is an error, its last line
# of stderr the error's message.
#
# The event is the payload of `lambda invoke` ({"name": "Ada"}), or, for an
# HTTP request, a Function URL event whose queryStringParameters hold
# ?name=Ada: either way a "name" string, which a plain shell can find
# without a JSON parser (the request's own body is a string in the event,
# escaped, so it is not read). The answer is {"message": "Hello, NAME!"}.
set -eu

name=$(tr '\n' ' ' | sed -n 's/.*"name"[[:space:]]*:[[:space:]]*"\([^"\\]*\)".*/\1/p')
# Keep the answer valid JSON whatever the name holds.
name=$(printf '%s' "$name" | tr -d '"\\\000-\037' | sed 's/^[[:space:]]*//; s/[[:space:]]*$//')
[ -n "$name" ] || name=World
echo "greeting $name" >&2 # stderr goes to `lambda logs`
printf '{"message": "%s, %s!"}\n' "${GREETING:-Hello}" "$name"
