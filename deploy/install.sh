#!/usr/bin/env bash
# Installs the Lambda server on a systemd host: the static binary, the unit
# (lambda.service) and an example /etc/lambda/lambda.env, a system user
# `lambda` in the docker group, then enables and (re)starts the service.
# Safe to run again: that is how an upgrade is installed (the CI/CD workflow
# does it); an existing lambda.env is never overwritten.
#
#   sudo deploy/install.sh [--prefix /usr/local] [--destdir DIR] [BINARY]
#
# BINARY defaults to bin/lambda (what `make build` writes). With --destdir
# (or DESTDIR=...) every file goes under DIR and nothing touches the host's
# users or systemd: a dry install a test or a package build can inspect.
set -euo pipefail

usage() {
	sed -n '2,12s/^# \{0,1\}//p' "$0"
}

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
prefix=/usr/local
destdir="${DESTDIR:-}"
binary=""
while [ $# -gt 0 ]; do
	case "$1" in
	--prefix) prefix="${2:?--prefix needs a directory}"; shift 2 ;;
	--prefix=*) prefix="${1#*=}"; shift ;;
	--destdir) destdir="${2:?--destdir needs a directory}"; shift 2 ;;
	--destdir=*) destdir="${1#*=}"; shift ;;
	-h | --help) usage; exit 0 ;;
	-*) echo "install.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
	*) binary="$1"; shift ;;
	esac
done
if [ -z "$binary" ]; then
	binary="$here/../bin/lambda"
fi
if [ ! -f "$binary" ] || [ ! -x "$binary" ]; then
	echo "install.sh: no executable at $binary: run \`make build\` first or pass the binary's path" >&2
	exit 1
fi
case "$prefix" in
/*) ;;
*) echo "install.sh: --prefix must be an absolute path, not $prefix" >&2; exit 2 ;;
esac
if [ -z "$destdir" ] && [ "$(id -u)" -ne 0 ]; then
	echo "install.sh: run as root (sudo), or pass --destdir DIR for a dry install" >&2
	exit 1
fi

bindir="$destdir$prefix/bin"
unitdir="$destdir/etc/systemd/system"
confdir="$destdir/etc/lambda"
install -d -m 0755 "$bindir" "$unitdir"
install -d -m 0755 "$confdir"

# A copy then a rename: the running server's binary is replaced in one step,
# never written in place (which fails with "text file busy").
install -m 0755 "$binary" "$bindir/lambda.new"
mv -f "$bindir/lambda.new" "$bindir/lambda"
echo "installed $bindir/lambda"

sed "s#/usr/local/bin/lambda#$prefix/bin/lambda#" "$here/lambda.service" >"$unitdir/lambda.service.new"
chmod 0644 "$unitdir/lambda.service.new"
mv -f "$unitdir/lambda.service.new" "$unitdir/lambda.service"
echo "installed $unitdir/lambda.service"

if [ -e "$confdir/lambda.env" ]; then
	echo "kept $confdir/lambda.env"
else
	install -m 0600 "$here/lambda.env" "$confdir/lambda.env"
	echo "installed $confdir/lambda.env (edit it, then: systemctl restart lambda)"
fi

if [ -n "$destdir" ]; then
	echo "dry install under $destdir: no user created, systemd left alone"
	exit 0
fi

if ! getent group docker >/dev/null; then
	echo "install.sh: no docker group: install Docker first (docs/deploy-vm.md)" >&2
	exit 1
fi
if ! id -u lambda >/dev/null 2>&1; then
	useradd --system --user-group --home-dir /var/lib/lambda --no-create-home --shell /usr/sbin/nologin lambda
	echo "created the system user lambda"
fi
usermod -a -G docker lambda
systemctl daemon-reload
systemctl enable lambda.service
systemctl restart lambda.service
echo "lambda.service restarted; the first start writes the admin key to /var/lib/lambda/admin.key"
