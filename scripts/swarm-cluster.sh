#!/usr/bin/env bash
# swarm-cluster.sh starts (up) or removes (down) a 3-node Docker Swarm on one
# machine for the tests of the Swarm backend: three extra dockerds, each in a
# network namespace of its own, joined by a bridge in a "hub" namespace; a
# registry (the CNCF distribution registry, built from its Go module into a
# FROM scratch image: nothing is pulled) on node1; an attachable overlay
# network; and a client network namespace attached to that overlay, where a
# server under test runs and reaches the task addresses.
#
#   scripts/swarm-cluster.sh up            # idempotent; prints the addresses
#   scripts/swarm-cluster.sh env           # the addresses as shell variables
#   scripts/swarm-cluster.sh kill N        # SIGKILL node N: dockerd, containerd, shims, containers
#   scripts/swarm-cluster.sh start N       # start node N's dockerd again (it rejoins the swarm)
#   scripts/swarm-cluster.sh load IMAGE... # copy images from the host's engine to every node
#   scripts/swarm-cluster.sh down          # removes everything up created, nothing else
#
# Everything it creates is named lsw*: namespaces lsw-hub, lsw-n1..3, lsw-cl;
# sockets, pids and exec roots under /run/lsw (short: unix socket paths have a
# length limit); data roots under /var/lib/lsw; cgroups /lsw-nN. The node
# addresses are in 192.168.240.0/24 and Swarm's networks in 10.231.0.0/16,
# which exist only inside the namespaces: the root namespace gets unreachable
# routes to both while the cluster runs, so that a request meant for a node
# or a task never leaves the machine by the default gateway. Needs root, iproute2, util-linux (unshare), dockerd 20.10+ and go
# (once, to build the registry; the binary is cached in /var/cache/lsw).
#
# Why each step is done as it is: ../shared/REFERENCE.md "A multi-node Docker
# Swarm on one machine" and docs/scale-out.md.
set -euo pipefail

RUN=/run/lsw
DATA=/var/lib/lsw
CACHE="${LSW_CACHE:-/var/cache/lsw}"
SUBNET=192.168.240
OVERLAY=lsw-overlay
# Every Swarm network (ingress, the overlay) comes from this pool, so that
# the root namespace can route all of it nowhere too: without that route a
# request to a task address from the host leaves by the default gateway.
ADDR_POOL=10.231.0.0/16
OVERLAY_SUBNET=10.231.16.0/20
REGISTRY_VERSION=v3.1.2
REGISTRY_IMAGE=lsw/registry:$REGISTRY_VERSION
NODES=(1 2 3)
HERE="$(cd "$(dirname "$0")" && pwd)"

say() { printf 'swarm-cluster: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }
addr() { echo "$SUBNET.1$1"; }
sock() { echo "unix://$RUN/n$1.sock"; }
dk() { local n=$1; shift; docker -H "$(sock "$n")" "$@"; }
registry() { echo "$(addr 1):5000"; }

# wait_for SECONDS WHAT CMD...: every wait is bounded.
wait_for() {
	local secs=$1 what=$2; shift 2
	local deadline=$((SECONDS + secs))
	until "$@" >/dev/null 2>&1; do
		[ $SECONDS -lt $deadline ] || die "timed out after ${secs}s waiting for $what"
		sleep 0.2
	done
}

netns_exists() { [ -e "/run/netns/$1" ]; }

# node_alive: is a dockerd of node N running (found by its command line, not
# its pidfile, which a half-finished run may have lost)?
node_alive() {
	local pid
	for pid in $(node_pids "$1"); do
		[ "$(cat "/proc/$pid/comm" 2>/dev/null)" = dockerd ] && return 0
	done
	return 1
}

network_up() {
	netns_exists lsw-hub || ip netns add lsw-hub
	ip -n lsw-hub link show br0 >/dev/null 2>&1 || ip -n lsw-hub link add br0 type bridge
	ip -n lsw-hub link set lo up
	ip -n lsw-hub link set br0 up
	for n in "${NODES[@]}"; do
		netns_exists "lsw-n$n" || ip netns add "lsw-n$n"
		if ! ip -n "lsw-n$n" link show eth0 >/dev/null 2>&1; then
			ip -n lsw-hub link del "v$n" >/dev/null 2>&1 || true
			ip -n lsw-hub link add "v$n" type veth peer name eth0 netns "lsw-n$n"
		fi
		ip -n lsw-hub link set "v$n" master br0 up
		ip -n "lsw-n$n" addr replace "$(addr "$n")/24" dev eth0
		ip -n "lsw-n$n" link set lo up
		ip -n "lsw-n$n" link set eth0 up
	done
	ip route replace unreachable "$SUBNET.0/24"
	ip route replace unreachable "$ADDR_POOL"
}

# node_start N starts node N's dockerd in its namespace: a mount namespace of
# its own (ip netns exec makes one) where the cgroup v1 hierarchies are
# mounted again (ip netns exec's fresh /sys hides them: "Devices cgroup isn't
# mounted"), the host daemon's netns mounts are dropped, and /run/containerd
# and /etc/docker are private (shims, trust key); a UTS namespace for the
# node's hostname, which Swarm uses as the node's name.
node_start() {
	local n=$1
	if node_alive "$n"; then
		wait_for 60 "node$n's dockerd (log: $RUN/n$n.log)" dk "$n" version
		node_socket "$n"
		return 0
	fi
	mkdir -p "$RUN/n$n" "$DATA/n$n"
	[ -f "$DATA/n$n/daemon.json" ] || cat >"$DATA/n$n/daemon.json" <<EOF
{"storage-driver": "${LSW_STORAGE_DRIVER:-$(docker info --format '{{.Driver}}' 2>/dev/null || echo overlay2)}",
 "insecure-registries": ["$(registry)"], "mtu": 1400,
 "log-driver": "json-file", "log-opts": {"max-size": "10m", "max-file": "2"}}
EOF
	local inner
	inner=$(cat <<EOF
set -e
hostname lsw-n$n
mount -t tmpfs -o mode=755 lsw-cgroup /sys/fs/cgroup
for c in cpu cpuacct cpuset memory devices freezer blkio pids; do
	mkdir -p /sys/fs/cgroup/\$c && mount -t cgroup -o \$c cgroup /sys/fs/cgroup/\$c
done
mkdir -p /sys/fs/cgroup/systemd /sys/fs/cgroup/unified
mount -t cgroup -o none,name=systemd cgroup /sys/fs/cgroup/systemd
mount -t cgroup2 cgroup2 /sys/fs/cgroup/unified || true
for m in \$(awk '\$5 ~ "^/run/docker/netns/" {print \$5}' /proc/self/mountinfo); do umount -l "\$m" || true; done
mkdir -p /run/containerd && mount -t tmpfs lsw-containerd /run/containerd
mount -t tmpfs lsw-etc-docker /etc/docker
exec dockerd --config-file $DATA/n$n/daemon.json --data-root $DATA/n$n/root --exec-root $RUN/n$n \\
	--pidfile $RUN/n$n.pid -H $(sock "$n") --cgroup-parent /lsw-n$n
EOF
	)
	say "starting node$n ($(addr "$n"))"
	rm -f "$RUN/n$n.pid"
	# 3>&- … 9>&-: the node must not inherit a lock, the script's (fd 9, see
	# lock below) or its caller's (flock(1) passes its lock as fd 3), or it
	# would hold it for as long as it runs: a node started by `flock -x
	# /run/lsw.use.lock … start N` kept every exclusive user out.
	setsid ip netns exec "lsw-n$n" unshare --uts sh -c "$inner" >>"$RUN/n$n.log" 2>&1 </dev/null \
		3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&- &
	wait_for 60 "node$n's dockerd (log: $RUN/n$n.log)" dk "$n" version
	node_socket "$n"
}

# node_socket N binds node N's socket over /run/docker.sock (= /var/run/
# docker.sock) in node N's mount namespace, once its dockerd answers: a task
# that mounts the default socket (the Swarm backend's node-sweep job, which
# removes the images a node pulled) then reaches its own node's engine, as
# on a real node, not the host's. ip netns exec made that namespace a slave
# of the host's: the bind does not propagate back, and the host's
# /run/docker.sock stays the host daemon's. The target must exist (the
# host's socket): creating it here would create it on the host.
node_socket() {
	local n=$1 pid="" p
	for p in $(node_pids "$n"); do
		[ "$(cat "/proc/$p/comm" 2>/dev/null)" = dockerd ] && { pid=$p; break; }
	done
	[ -n "$pid" ] || die "node$n's dockerd is not running"
	if [ ! -S /run/docker.sock ]; then
		say "no /run/docker.sock on the host: node$n's tasks cannot mount their node's socket"
		return 0
	fi
	nsenter -t "$pid" -m sh -c "grep -q ' /run/docker.sock ' /proc/self/mountinfo || mount --bind $RUN/n$n.sock /run/docker.sock"
}

swarm_up() {
	local state
	state="$(dk 1 info --format '{{.Swarm.LocalNodeState}}/{{.Swarm.ControlAvailable}}')"
	if [ "$state" != "active/true" ]; then
		say "swarm init on node1"
		dk 1 swarm init --advertise-addr "$(addr 1)" --listen-addr "$(addr 1):2377" --dispatcher-heartbeat 3s \
			--default-addr-pool "$ADDR_POOL" --default-addr-pool-mask-length 24 >/dev/null
	fi
	local token; token="$(dk 1 swarm join-token -q worker)"
	for n in "${NODES[@]:1}"; do
		state="$(dk "$n" info --format '{{.Swarm.LocalNodeState}}')"
		[ "$state" = active ] && continue
		say "node$n joins as a worker"
		dk "$n" swarm join --token "$token" --advertise-addr "$(addr "$n")" --listen-addr "$(addr "$n"):2377" "$(addr 1):2377" >/dev/null
	done
	wait_for 60 "3 ready nodes" sh -c "[ \$(docker -H $(sock 1) node ls --format '{{.Status}}' | grep -c Ready) -eq ${#NODES[@]} ]"
	dk 1 network inspect "$OVERLAY" >/dev/null 2>&1 ||
		dk 1 network create -d overlay --attachable --subnet "$OVERLAY_SUBNET" \
			--label lsw=1 "$OVERLAY" >/dev/null
}

# registry_image builds the registry binary once (cached) and its FROM
# scratch image on node1.
registry_image() {
	dk 1 image inspect "$REGISTRY_IMAGE" >/dev/null 2>&1 && return 0
	local bin="$CACHE/registry-$REGISTRY_VERSION"
	if [ ! -x "$bin" ]; then
		say "building the distribution registry $REGISTRY_VERSION (first time only; minutes on a cold Go cache)"
		mkdir -p "$CACHE"
		local tmp; tmp="$(mktemp -d)"
		(cd "$tmp" && CGO_ENABLED=0 GOBIN="$tmp" GOFLAGS=-buildvcs=false go install -trimpath -ldflags='-s -w' \
			"github.com/distribution/distribution/v3/cmd/registry@$REGISTRY_VERSION")
		mv "$tmp/registry" "$bin"
		rm -rf "$tmp"
	fi
	local ctx; ctx="$(mktemp -d)"
	cp "$bin" "$ctx/registry"
	cat >"$ctx/config.yml" <<'EOF'
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: /var/lib/registry
  delete:
    enabled: true
http:
  addr: :5000
EOF
	cat >"$ctx/Dockerfile" <<'EOF'
FROM scratch
COPY registry /registry
COPY config.yml /etc/distribution/config.yml
VOLUME /var/lib/registry
EXPOSE 5000
ENTRYPOINT ["/registry"]
CMD ["serve", "/etc/distribution/config.yml"]
EOF
	# The legacy builder's deprecation notice is noise; its errors are not.
	if ! dk 1 build -q -t "$REGISTRY_IMAGE" "$ctx" >"$ctx/build.log" 2>&1; then
		cat "$ctx/build.log" >&2
		die "building $REGISTRY_IMAGE failed"
	fi
	rm -rf "$ctx"
}

registry_up() {
	registry_image
	if ! dk 1 service inspect lsw-registry >/dev/null 2>&1; then
		say "registry service on node1, published on $(registry)"
		dk 1 service create -d --name lsw-registry --label lsw=1 --no-resolve-image \
			--constraint node.hostname==lsw-n1 --publish mode=host,target=5000,published=5000 \
			--mount type=volume,source=lsw-registry,target=/var/lib/registry "$REGISTRY_IMAGE" >/dev/null
	fi
	wait_for 60 "the registry at $(registry)" ip netns exec lsw-n2 \
		bash -c "exec 3<>/dev/tcp/$(addr 1)/5000 && printf 'GET /v2/ HTTP/1.0\r\n\r\n' >&3 && head -1 <&3 | grep -q 200"
}

# busybox_up makes busybox:latest present on every node (the client
# container runs it; tests use it); built from Debian's busybox-static by
# scripts/base-images.sh when the host engine lacks it too.
busybox_up() {
	if ! dk 1 image inspect busybox:latest >/dev/null 2>&1; then
		# From the host's engine, else the cache, else built (and cached).
		if docker image inspect busybox:latest >/dev/null 2>&1; then
			docker save busybox:latest | dk 1 load -q >/dev/null
		elif [ -f "$CACHE/busybox.tar" ]; then
			dk 1 load -q -i "$CACHE/busybox.tar" >/dev/null
		else
			DOCKER_HOST="$(sock 1)" "$HERE/base-images.sh"
			mkdir -p "$CACHE"
			dk 1 save -o "$CACHE/busybox.tar" busybox:latest
		fi
	fi
	for n in "${NODES[@]:1}"; do
		dk "$n" image inspect busybox:latest >/dev/null 2>&1 || dk 1 save busybox:latest | dk "$n" load -q >/dev/null
	done
}

# client_up runs a small container on node1 attached to the overlay and names
# its network namespace lsw-cl: from there task addresses and tasks.SERVICE
# names resolve and answer, and the host's files (the manager's socket) are
# still there.
client_up() {
	if [ "$(dk 1 inspect -f '{{.State.Running}}' lsw-client 2>/dev/null)" != true ]; then
		dk 1 rm -f lsw-client >/dev/null 2>&1 || true
		dk 1 run -d --name lsw-client --label lsw=1 --network "$OVERLAY" --restart unless-stopped \
			busybox:latest sleep 2147483647 >/dev/null
	fi
	local pid; pid="$(dk 1 inspect -f '{{.State.Pid}}' lsw-client)"
	ip netns del lsw-cl >/dev/null 2>&1 || true
	ip netns attach lsw-cl "$pid"
	# ip netns exec lsw-cl binds this over /etc/resolv.conf: Docker's DNS
	# in the container's namespace resolves SERVICE and tasks.SERVICE.
	mkdir -p /etc/netns/lsw-cl
	echo "nameserver 127.0.0.11" >/etc/netns/lsw-cl/resolv.conf
}

print_env() {
	cat <<EOF
LSW_MANAGER=$(sock 1)
LSW_WORKERS="$(sock 2) $(sock 3)"
LSW_REGISTRY=$(registry)
LSW_NETWORK=$OVERLAY
LSW_NETNS=lsw-cl
LSW_NODE_ADDRS="$(addr 1) $(addr 2) $(addr 3)"
EOF
}

up() {
	[ "$(id -u)" -eq 0 ] || die "needs root (network namespaces, mounts)"
	for tool in ip unshare setsid dockerd docker; do command -v "$tool" >/dev/null || die "$tool is required"; done
	mkdir -p "$RUN" "$DATA"
	network_up
	for n in "${NODES[@]}"; do node_start "$n"; done
	swarm_up
	busybox_up
	registry_up
	client_up
	print_env
}

# kill_node N stops node N as a power cut would: its dockerd, containerd,
# shims and container processes all get SIGKILL at once.
kill_node() {
	local n=$1 pids
	pids="$(node_pids "$n")"
	[ -z "$pids" ] || kill -KILL $pids 2>/dev/null || true
	rm -f "$RUN/n$n.pid"
}

# node_pids lists node N's processes: those whose command line names its
# exec or data root (dockerd, containerd, shims, fuse-overlayfs) and those in
# its containers' cgroups. One grep over /proc each; the bracket keeps the
# pattern from matching grep's own command line.
node_pids() {
	local n=$1
	{
		grep -lsaE "$RUN/n[$n](/|\.sock)|$DATA/n[$n]/" /proc/[0-9]*/cmdline
		grep -ls ":/lsw-n[$n]/" /proc/[0-9]*/cgroup
	} | awk -F/ -v self=$$ '$3 != self {print $3}' | sort -u || true
}

load_images() {
	for image in "$@"; do
		for n in "${NODES[@]}"; do
			say "loading $image on node$n"
			docker save "$image" | dk "$n" load -q >/dev/null
		done
	done
}

down() {
	# Services first, while the manager answers: their tasks stop cleanly.
	if node_alive 1; then
		dk 1 rm -f lsw-client >/dev/null 2>&1 || true
		local svcs; svcs="$(dk 1 service ls -q 2>/dev/null || true)"
		[ -z "$svcs" ] || dk 1 service rm $svcs >/dev/null 2>&1 || true
	fi
	ip netns del lsw-cl >/dev/null 2>&1 || true
	rm -rf /etc/netns/lsw-cl
	for n in "${NODES[@]}"; do
		# Its dockerd by what names it, not only by its pidfile: a dockerd
		# whose exec root is gone is still this cluster's.
		local pid
		for pid in $(node_pids "$n"); do
			[ "$(cat "/proc/$pid/comm" 2>/dev/null)" = dockerd ] || continue
			kill -TERM "$pid" 2>/dev/null || true
			for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
		done
		# A dockerd killed before leaves shims, containers and
		# fuse-overlayfs mounts behind: end them by what names them.
		local left; left="$(node_pids "$n")"
		[ -z "$left" ] || kill -KILL $left 2>/dev/null || true
	done
	sleep 0.5
	for n in "${NODES[@]}"; do
		ip netns del "lsw-n$n" >/dev/null 2>&1 || true
		# The nodes' cgroups in the host hierarchy, deepest first.
		local d
		for d in /sys/fs/cgroup/*/lsw-n$n; do
			[ -d "$d" ] || continue
			find "$d" -depth -type d -exec rmdir {} \; 2>/dev/null || true
		done
	done
	ip netns del lsw-hub >/dev/null 2>&1 || true
	ip route del unreachable "$SUBNET.0/24" >/dev/null 2>&1 || true
	ip route del unreachable "$ADDR_POOL" >/dev/null 2>&1 || true
	# Mounts left under the data roots (fuse-overlayfs, shm) pin them.
	awk -v d="$DATA/" -v r="$RUN/" 'index($5, d) == 1 || index($5, r) == 1 {print $5}' /proc/self/mountinfo |
		sort -r | while read -r m; do umount -l "$m" 2>/dev/null || true; done
	rm -rf "$RUN" "$DATA"
	say "down"
}

# A test process using the cluster holds the lock shared (internal/swarmtest)
# and runs this script with LSW_LOCKED=1; up and down run under it
# exclusively, so that one never runs in the middle of the other, and down
# never pulls the cluster from under a running test.
LOCK=/run/lsw.lock
lock() {
	[ "${LSW_LOCKED:-}" = 1 ] && return 0
	exec 9>>"$LOCK"
	if [ "$1" = down ]; then
		flock -n -x 9 || [ "${LSW_FORCE:-}" = 1 ] ||
			die "a test process is using the cluster (it holds $LOCK); LSW_FORCE=1 takes it down anyway"
	else
		flock -w 300 -x 9 || die "$LOCK is still held after 300 s"
	fi
}

case "${1:-}" in
up) lock up; up ;;
down) lock down; down ;;
env) print_env ;;
kill) kill_node "${2:?node number}" ;;
start)
	node_start "${2:?node number}"
	# node1 restarted the client container: name its new namespace.
	[ "$2" != 1 ] || { wait_for 60 "the client container" sh -c "[ \"\$(docker -H $(sock 1) inspect -f '{{.State.Running}}' lsw-client)\" = true ]"; client_up; }
	;;
load) shift; load_images "$@" ;;
*) die "usage: $0 up|down|env|kill N|start N|load IMAGE..." ;;
esac
