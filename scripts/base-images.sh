#!/usr/bin/env bash
# base-images.sh makes busybox:latest available to the local Docker engine
# when it is missing, without any registry: it builds the image from
# Debian's busybox-static package. The examples (hello-docker, whose
# Dockerfile says FROM busybox) and tests that need a shell image use it.
#
# The image holds Debian's busybox (1.35 on Debian 12), not Docker Hub's, so
# it is tagged first under a name that says so, lambda-base/busybox:1.35-debian12,
# and labelled with the version; busybox:latest is an alias for the examples.
#
# On machines that can pull from Docker Hub you do not need this script:
# `docker pull busybox:latest` gets the official image, and this script does
# nothing when the image is already present.
#
# Needs: docker, apt-get and dpkg (Debian or Ubuntu); root, or sudo, only if
# the apt package lists must be updated first.
set -euo pipefail

IMAGE="${IMAGE:-busybox:latest}"

say() { printf 'base-images: %s\n' "$*" >&2; }

if docker image inspect "$IMAGE" >/dev/null 2>&1; then
	say "$IMAGE is already present; nothing to do"
	exit 0
fi

for tool in docker apt-get dpkg tar; do
	command -v "$tool" >/dev/null || { say "$tool is required but not installed"; exit 1; }
done

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"

say "downloading the busybox-static package"
if ! apt-get download busybox-static >/dev/null 2>&1; then
	sudo=""
	[ "$(id -u)" -eq 0 ] || sudo="sudo"
	say "the package lists look stale: running ${sudo:+sudo }apt-get update"
	$sudo apt-get update -qq
	apt-get download busybox-static
fi

say "unpacking $(ls busybox-static_*.deb)"
dpkg -x busybox-static_*.deb pkg
bin="$(find pkg -type f -path '*/bin/busybox' | head -n1)"
[ -n "$bin" ] || { say "busybox-static contains no busybox binary"; exit 1; }

say "assembling a minimal root filesystem"
root="$work/rootfs"
mkdir -p "$root"/{bin,dev,etc,home,proc,root,sys,tmp,usr/bin,usr/sbin,var/www}
chmod 1777 "$root/tmp"
cp "$bin" "$root/bin/busybox"
chmod 0755 "$root/bin/busybox"
# What `busybox --install -s` would do inside the image, done from the host
# since the image has no shell yet.
applets="$("$root/bin/busybox" --list)"
count=0
for applet in $applets; do
	[ "$applet" = busybox ] && continue
	ln -s busybox "$root/bin/$applet"
	count=$((count + 1))
done
[ -e "$root/bin/sh" ] && [ -e "$root/bin/httpd" ] || { say "busybox lacks sh or httpd"; exit 1; }
say "linked $count applets (sh, httpd, wget, ...)"
cat >"$root/etc/passwd" <<'PASSWD'
root:x:0:0:root:/root:/bin/sh
www-data:x:33:33:www-data:/var/www:/bin/false
nobody:x:65534:65534:nobody:/home:/bin/false
PASSWD
cat >"$root/etc/group" <<'GROUP'
root:x:0:
www-data:x:33:
nogroup:x:65534:
GROUP

# The name says what the image holds: Debian's version, Debian's release.
debver="$(dpkg-deb -f busybox-static_*.deb Version)"   # e.g. 1:1.35.0-4+b3
upstream="${debver#*:}"
upstream="${upstream%-*}"
upstream="${upstream%%[+~]*}"                          # 1.35.0
short="$(printf '%s' "$upstream" | cut -d. -f1-2)"     # 1.35
distro="$(. /etc/os-release 2>/dev/null; printf '%s%s' "${ID:-debian}" "${VERSION_ID:-}" | tr -cd 'A-Za-z0-9_.-')"
LOCAL="lambda-base/busybox:${short}-${distro}"

say "importing it as $LOCAL (busybox $upstream from $distro packages)"
tar --numeric-owner --owner=0 --group=0 -C "$root" -cf - . |
	docker import --change 'CMD ["sh"]' \
		--change "LABEL lambda.source=debian lambda.package-version=$debver lambda.language-version=$upstream" \
		--message "busybox-static $debver from $distro, by scripts/base-images.sh" - "$LOCAL" >/dev/null
if [ "$IMAGE" != "$LOCAL" ]; then
	say "tagging it $IMAGE as well, for the examples (it holds Debian's busybox $upstream, not Docker Hub's)"
	docker tag "$LOCAL" "$IMAGE"
fi
say "done: $(docker image inspect --format '{{.Id}}' "$LOCAL")"
