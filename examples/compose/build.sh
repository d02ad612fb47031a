#!/bin/sh
# Builds the services' static binaries into DIR/bin (default: this
# directory) for the FROM scratch images of compose.yaml: no image is
# pulled, the host's Go compiles them.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "${1:-$here}/bin"
out=$(cd "${1:-$here}/bin" && pwd)
cd "$here"
export CGO_ENABLED=0
go build -trimpath -o "$out/adder" ./adder
go build -trimpath -o "$out/whoami" ./whoami
go build -trimpath -o "$out/lambda-shim" github.com/lambdahq/lambda/cmd/lambda-shim
