#!/bin/sh
# One log line per request; a CGI's stderr goes to the container's log.
echo "$REQUEST_METHOD ${REQUEST_URI:-/}" >&2
printf 'Content-Type: application/json\r\n\r\n'
printf '{"message":"Hello from a Dockerfile"}\n'
