#!/usr/bin/env bash
# Runs every fuzz target of the module for FUZZTIME each (default 10s).
# The list is found, not kept: every `func FuzzX(f *testing.F)` in a
# package's test files, so a new target runs without touching the Makefile.
# `go test -fuzz` takes one target of one package at a time, hence the loop.
# Usage: FUZZTIME=30s scripts/fuzz.sh [-l] [package-pattern...]   (default ./...)
#   -l  list the targets (package directory and name) and exit
set -euo pipefail
cd "$(dirname "$0")/.."
GO="${GO:-go}"
FUZZTIME="${FUZZTIME:-10s}"
list=
if [ "${1:-}" = -l ]; then
	list=1
	shift
fi

# Listed first so that a package that does not load fails the run instead
# of silently dropping its targets.
dirs=$("$GO" list -f '{{.Dir}}' "${@:-./...}")
targets=()
while IFS= read -r dir; do
	for file in "$dir"/*_test.go; do
		[ -e "$file" ] || continue
		while IFS= read -r name; do
			targets+=("$dir $name")
		done < <(sed -n 's/^func \(Fuzz[A-Za-z0-9_]*\)(.*\*testing\.F).*/\1/p' "$file")
	done
done <<<"$dirs"

if [ ${#targets[@]} -eq 0 ]; then
	echo "fuzz: no fuzz targets found" >&2
	exit 1
fi
if [ -n "$list" ]; then
	printf '%s\n' "${targets[@]}" | sed "s|^$PWD/||"
	exit 0
fi
echo "fuzz: ${#targets[@]} targets, $FUZZTIME each" >&2
failed=()
for t in "${targets[@]}"; do
	dir="${t% *}" name="${t##* }"
	echo "== $name (${dir#"$PWD"/})" >&2
	# A finding is written under the package's testdata/fuzz and fails the
	# run; keep going so one run reports every failing target.
	if ! "$GO" test -run '^$' -fuzz "^${name}\$" -fuzztime "$FUZZTIME" "$dir"; then
		failed+=("$name (${dir#"$PWD"/})")
	fi
done
if [ ${#failed[@]} -gt 0 ]; then
	printf 'fuzz: FAILED %s\n' "${failed[@]}" >&2
	exit 1
fi
echo "fuzz: all ${#targets[@]} targets passed" >&2
