#!/usr/bin/env bash
# swarm-bench.sh measures the Swarm backend on the test cluster
# (scripts/swarm-cluster.sh; started if it is not up) against bare Swarm, in
# interleaved rounds:
#
#   warm     p50 latency at concurrency 1 (one kept-alive connection) through
#            the gateway vs directly to the task address: the added latency
#   cold     a request to a function scaled to zero, through the gateway, vs a
#            bare service of the same image (the function's pushed digest,
#            already on every node: neither side pulls) from its creation on
#            the manager until its first 200; alternately first and second
#   scale    instances started at once (--min-instances 1 -> SCALE) per
#            second, and as many bare services created at once
#   restore  after node3 is killed, the time until the function's SCALE
#            minimum instances run again on the other nodes
#
#   sudo scripts/swarm-bench.sh [ROUNDS [PHASES]]   # ROUNDS 5, PHASES warm,cold,scale,restore
#   sudo scripts/swarm-bench.sh 5 cold             # one figure: its own command
#   LAMBDA=path/to/lambda SCALE=9 ...              # the binary to measure (default: built here)
#   BARE=hardened ... 5 cold                       # the bare cold side with the platform's hardening
#   BARE_OPTS="--init" ... 5 cold                  # or with these `service create` flags (A/B of a part)
#   BARE_NODE=lsw-n3 ... 5 cold                    # bare on that node once nothing there is on the overlay
#   COLD_SETTLE=5 ... 5 cold                       # seconds more before each gateway round
#   COLD_TRACE=1 ... 5 cold                        # where each cold start's time went (stderr, and
#                                                  # /tmp/swarm-bench-spec.SIDE, /tmp/swarm-bench-server.log)
#
# It starts its own server in the cluster's client namespace with a temporary
# data directory, deploys e2e/testdata/swarm-whoami, and removes everything
# it created at the end. It uses the cluster as the tests do: /run/lsw.lock
# shared (no test's end takes the cluster down under it) and /run/lsw.use.lock
# shared, exclusively for restore (a node kill must not land in a running
# test). Results go to stdout (one "name value" per line, with the load
# average), progress to stderr. docs/scale-out.md reports the figures.
set -euo pipefail

ROUNDS="${1:-5}"
PHASES=",${2:-warm,cold,scale,restore},"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
CLUSTER="$ROOT/scripts/swarm-cluster.sh"
PORT=18089
FN=bench-swarm
COLD=bench-swarm-cold
SCALE="${SCALE:-9}"
# The platform's hardening as docker/swarm_spec.go sets it (the default
# function's memory and pids limits, the engine's 5 s stop grace).
HARDENED="--init --read-only --mount type=tmpfs,dst=/tmp,tmpfs-size=67108864,tmpfs-mode=1777 --user 1000:1000
	--cap-drop ALL --ulimit nofile=1024:1024 --limit-memory 256m --limit-pids 256 --stop-grace-period 5s
	--log-driver json-file --log-opt max-size=25m --log-opt max-file=6"
case "${BARE:-}" in
hardened) BARE_OPTS="$HARDENED" ;;
"") BARE_OPTS="${BARE_OPTS:-}" ;;
*) echo "swarm-bench: BARE is hardened or unset" >&2; exit 2 ;;
esac

say() { printf 'swarm-bench: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }
phase() { [[ "$PHASES" == *",$1,"* ]]; }
dm() { docker -H "$MGR" "$@"; }
inns() { ip netns exec "$NS" "$@"; }
now() { date +%s.%N; }
since() { echo "$(now) - $1" | bc; }
median() { sort -n | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }
load() { echo "load_$1 $(cut -d' ' -f1-3 /proc/loadavg | tr ' ' /)"; }

# The cluster as internal/swarmtest uses it: started (exclusively) when no
# one uses it, else joined as it is; held shared until the end.
exec 9>>/run/lsw.lock
if flock -n -x 9; then
	LSW_LOCKED=1 "$CLUSTER" up >/dev/null 9>&- # it locks nothing more; its nodes must not inherit the lock
	flock -s 9
else
	flock -w 600 -s 9 || die "/run/lsw.lock is still held exclusively after 600 s"
fi
eval "$("$CLUSTER" env)"
NS="$LSW_NETNS"
MGR="$LSW_MANAGER"
[ "$(dm node ls --format '{{.Status}}' 2>/dev/null | grep -c Ready)" = 3 ] || die "the cluster's nodes are not all ready: $(dm node ls 2>&1)"
exec 8>>/run/lsw.use.lock
flock -w 1200 -s 8 || die "/run/lsw.use.lock is still held exclusively after 1200 s"

work="$(mktemp -d)"
server_pid=""
cleanup() {
	set +e
	if [ -n "$server_pid" ]; then
		LAMBDA_API_KEY="$(cat "$work/data/admin.key" 2>/dev/null)" inns "$LAMBDA" --server "http://127.0.0.1:$PORT" delete "$FN" >/dev/null 2>&1
		LAMBDA_API_KEY="$(cat "$work/data/admin.key" 2>/dev/null)" inns "$LAMBDA" --server "http://127.0.0.1:$PORT" delete "$COLD" >/dev/null 2>&1
		kill -INT "$server_pid"
		wait "$server_pid"
	fi
	for s in $(dm service ls -q --filter label=lsw.bench=1); do dm service rm "$s" >/dev/null; done
	[ -z "${COLD_TRACE:-}" ] || cp "$work/server.log" /tmp/swarm-bench-server.log
	rm -rf "$work"
}
trap cleanup EXIT

if [ -z "${LAMBDA:-}" ]; then
	say "building lambda"
	(cd "$ROOT" && CGO_ENABLED=0 go build -o "$work/lambda" ./cmd/lambda)
	LAMBDA="$work/lambda"
fi

say "starting a server in $NS on 127.0.0.1:$PORT"
mkdir -p "$work/data"
# Not through inns: $! must be the server itself (ip netns exec execs it),
# not a subshell that would not pass the interrupt on.
# 8>&- 9>&-: nothing this script starts may hold its locks (a node's dockerd
# started by restore held /run/lsw.use.lock for as long as it ran, and no
# exclusive user could ever have the cluster again).
DOCKER_HOST="$MGR" ip netns exec "$NS" "$LAMBDA" server --addr "127.0.0.1:$PORT" --data "$work/data" --domain localhost \
	--backend swarm --registry "$LSW_REGISTRY" --swarm-network "$LSW_NETWORK" >"$work/server.log" 2>&1 8>&- 9>&- &
server_pid=$!
for _ in $(seq 300); do inns curl -sf -o /dev/null "http://127.0.0.1:$PORT/healthz" && break; sleep 0.2; done
export LAMBDA_API_KEY; LAMBDA_API_KEY="$(cat "$work/data/admin.key")"
cli() { inns "$LAMBDA" --server "http://127.0.0.1:$PORT" "$@"; }

# running_tasks FN: "node ip" of each running task of FN's services.
running_tasks() {
	local svc id
	for svc in $(dm service ls -q --filter "label=lambda.function=$1"); do
		for id in $(dm service ps -q --filter desired-state=running "$svc" 2>/dev/null); do
			dm inspect -f '{{if eq .Status.State "running"}}{{.NodeID}} {{range .NetworksAttachments}}{{range .Addresses}}{{.}}{{end}}{{end}}{{end}}' "$id" 2>/dev/null
		done
	done | grep . || true
}

# running_nodes FN: the node of each running task of FN's services, in two
# docker calls (running_tasks makes two per task: seconds for 9 at load 20,
# which would count in scale's and restore's figures).
running_nodes() {
	local svcs; svcs="$(dm service ls -q --filter "label=lambda.function=$1")"
	[ -z "$svcs" ] || dm service ps --filter desired-state=running --format '{{.Node}} {{.CurrentState}}' $svcs 2>/dev/null |
		awk '$2 == "Running" {print $1}'
}

say "deploying $FN (e2e/testdata/swarm-whoami)"
cli deploy "$ROOT/e2e/testdata/swarm-whoami" --name "$FN" --min-instances 1 >/dev/null
image="$(dm service inspect -f '{{.Spec.TaskTemplate.ContainerSpec.Image}}' "$(dm service ls -q --filter "label=lambda.function=$FN" | head -1)")"

warm() {
	# The same task, through the gateway and directly, interleaved; curl
	# sends all of a round's requests on one kept-alive connection.
	local ip; ip="$(running_tasks "$FN" | head -1 | awk '{print $2}')"; ip="${ip%/*}"
	say "warm: $ROUNDS rounds of 200 requests, task $ip"
	urls() { for _ in $(seq 200); do printf 'url = "%s"\n' "$1"; done; }
	urls "http://$ip:8080/" >"$work/direct.cfg"
	urls "http://127.0.0.1:$PORT/" >"$work/gw.cfg"
	: >"$work/direct.t"; : >"$work/gw.t"
	load warm_start
	for _ in $(seq "$ROUNDS"); do
		inns curl -s -K "$work/direct.cfg" -o /dev/null -w '%{time_total}\n' >>"$work/direct.t"
		inns curl -s -K "$work/gw.cfg" -H "Host: $FN.localhost:$PORT" -o /dev/null -w '%{time_total}\n' >>"$work/gw.t"
	done
	local d50 g50; d50="$(median <"$work/direct.t")"; g50="$(median <"$work/gw.t")"
	echo "warm_direct_p50_ms $(echo "$d50 * 1000" | bc -l | xargs printf '%.3f')"
	echo "warm_gateway_p50_ms $(echo "$g50 * 1000" | bc -l | xargs printf '%.3f')"
	echo "warm_added_p50_ms $(echo "($g50 - $d50) * 1000" | bc -l | xargs printf '%.3f')"
	load warm_end
}

# trace SIDE SERVICE END: with COLD_TRACE=1, where a cold start's time went
# (seconds since the service's creation): its container created and started
# on the node (that node's engine says), and the first 200 at END.
trace() {
	[ -n "${COLD_TRACE:-}" ] || return 0
	local c0 node cid
	c0="$(dm service inspect -f '{{.CreatedAt.UnixNano}}' "$2")"
	dm service inspect -f '{{json .Spec}}' "$2" >"/tmp/swarm-bench-spec.$1"
	read -r node cid < <(dm service ps --no-trunc --format '{{.Node}} {{.ID}}' "$2" | head -1)
	cid="$(dm inspect -f '{{.Status.ContainerStatus.ContainerID}}' "$cid")"
	docker -H "unix:///run/lsw/${node#lsw-}.sock" inspect -f '{{.Created}} {{.State.StartedAt}}' "$cid" 2>/dev/null |
		while read -r cr st; do echo "$(date -d "$cr" +%s.%N) $(date -d "$st" +%s.%N)"; done |
		awk -v c0="$c0" -v end="$3" -v side="$1" -v node="$node" \
			'{printf "trace %s %s (created %s): container created %.3f, started %.3f, 200 at %.3f s\n", side, node, strftime("%H:%M:%S", c0/1e9), $1-c0/1e9, $2-c0/1e9, end-c0/1e9}' >&2 || true
}

# cold_bare ROUND: a bare service of the cold function's image, from its
# creation on the manager (the CLI's own start is not Swarm's) until its
# task's address answers 200. As the platform does, it dials the address
# only once the manager reports the task running: a SYN sent before the
# task's endpoint exists leaves the client's neighbour entry unresolved for
# a second (the first 200 came 0.4-1 s after the task ran).
cold_bare() {
	local name="bench-bare-$1" created ip t pin=()
	if [ -n "${BARE_NODE:-}" ]; then
		# Until no container on that node is on the overlay: Swarm then sets
		# the network up there for this task, as for the platform's tasks.
		pin=(--constraint "node.hostname==$BARE_NODE")
		for _ in $(seq 600); do
			[ -z "$(docker -H "unix:///run/lsw/${BARE_NODE#lsw-}.sock" ps -aq --filter "network=$LSW_NETWORK")" ] && break
			sleep 0.1
		done
	fi
	dm service create -d -q --name "$name" --label lsw.bench=1 --network "$LSW_NETWORK" --endpoint-mode dnsrr \
		--restart-condition none --env PORT=8080 "${pin[@]}" $BARE_OPTS "$cold_image" >/dev/null
	created="$(dm service inspect -f '{{.CreatedAt.UnixNano}}' "$name")"
	created="$(echo "scale=9; $created / 1000000000" | bc)"
	# The address first (the manager allocates it before the task runs):
	# after "running" the bare side makes one call, as the platform does.
	ip=""
	until [ -n "$ip" ]; do
		ip="$(dm inspect -f '{{range .NetworksAttachments}}{{if eq .Network.Spec.Name "'"$LSW_NETWORK"'"}}{{range .Addresses}}{{.}}{{end}}{{end}}{{end}}' \
			$(dm service ps -q "$name") 2>/dev/null || true)"
	done
	ip="${ip%/*}"
	until [ "$(dm service ps --filter desired-state=running --format '{{.CurrentState}}' "$name" 2>/dev/null | cut -d' ' -f1)" = Running ]; do
		sleep 0.01
	done
	until [ "$(inns curl -s -o /dev/null -w '%{http_code}' --max-time 1 "http://$ip:8080/" 2>/dev/null)" = 200 ]; do
		sleep 0.01
	done
	local end; end="$(now)"
	t="$(echo "$end - $created" | bc)"
	echo "$t" >>"$work/bare.t"
	trace bare "$name" "$end"
	say "cold round $1: bare $t s"
	dm service rm "$name" >/dev/null
}

# cold_gateway ROUND: one request to the function scaled to zero, as curl
# times it, once its last instance is gone.
cold_gateway() {
	# Until its last instance's service is gone (a stopped instance's is
	# removed): a listing that failed is not an empty one.
	local svcs
	for _ in $(seq 600); do
		svcs="$(dm service ls -q --filter "label=lambda.function=$COLD")" && [ -z "$svcs" ] && break
		sleep 0.1
	done
	sleep "${COLD_SETTLE:-0}"
	local t0 out; t0="$(now)"
	out="$(inns curl -s -o /dev/null -w '%{http_code} %{time_total}' -H "Host: $COLD.localhost:$PORT" "http://127.0.0.1:$PORT/")"
	if [ -n "${COLD_TRACE:-}" ]; then
		local end svc; end="$(now)"; svc="$(dm service ls -q --filter "label=lambda.function=$COLD" | head -1)"
		say "trace gateway: request at $(echo "$t0 - $(dm service inspect -f '{{.CreatedAt.UnixNano}}' "$svc") / 1000000000" | bc -l | xargs printf '%.3f') s"
		trace gateway "$svc" "$end"
	fi
	[ "${out% *}" = 200 ] || say "cold request answered ${out% *}"
	echo "${out#* }" >>"$work/gwcold.t"
	say "cold round $1: gateway ${out#* } s"
}

cold() {
	say "deploying $COLD"
	cli deploy "$ROOT/e2e/testdata/swarm-whoami" --name "$COLD" >/dev/null
	cold_image="$(dm service inspect -f '{{.Spec.TaskTemplate.ContainerSpec.Image}}' "$(dm service ls -q --filter "label=lambda.function=$COLD" | head -1)")"
	cli config "$COLD" --min-instances 0 --idle-timeout 1s --standby-timeout 0 >/dev/null
	# Every node holds the image before the first round: a task by digest
	# then starts from the node's copy, bare or not, and neither side pulls.
	local n
	for n in $LSW_MANAGER $LSW_WORKERS; do docker -H "$n" pull -q "$cold_image" >/dev/null; done
	say "cold: $ROUNDS rounds, image $cold_image, bare options: ${BARE_OPTS:-none}"
	echo "cold_bare_options ${BARE_OPTS:-none}" | tr -s '\n\t' '  '; echo
	: >"$work/bare.t"; : >"$work/gwcold.t"
	load cold_start
	local r
	for r in $(seq "$ROUNDS"); do
		if [ $((r % 2)) = 1 ]; then cold_bare "$r"; cold_gateway "$r"; else cold_gateway "$r"; cold_bare "$r"; fi
	done
	local b50 c50; b50="$(median <"$work/bare.t")"; c50="$(median <"$work/gwcold.t")"
	echo "cold_bare_service_p50_s $(printf '%.3f' "$b50")"
	echo "cold_gateway_p50_s $(printf '%.3f' "$c50")"
	echo "cold_ratio $(echo "$c50 / $b50" | bc -l | xargs printf '%.2f')"
	echo "cold_rounds bare $(tr '\n' ' ' <"$work/bare.t")gateway $(tr '\n' ' ' <"$work/gwcold.t")"
	load cold_end
}

# scale_to N: --min-instances N, until N run; prints the seconds taken.
scale_to() {
	local t0; t0="$(now)"
	cli config "$FN" --min-instances "$1" >/dev/null
	until [ "$(running_nodes "$FN" | wc -l)" -ge "$1" ]; do sleep 0.1; done
	since "$t0"
}

scale() {
	say "scale: $FN from 1 to $SCALE instances"
	load scale_start
	local s
	s="$(scale_to "$SCALE")"
	echo "scale_instances $((SCALE - 1))"
	echo "scale_seconds $(printf '%.2f' "$s")"
	echo "scale_instances_per_second $(echo "($SCALE - 1) / $s" | bc -l | xargs printf '%.2f')"
	scale_to 1 >/dev/null

	say "scale: $((SCALE - 1)) bare services at once"
	local t0 i creates=()
	t0="$(now)"
	for i in $(seq $((SCALE - 1))); do
		dm service create -d -q --name "bench-scale-$i" --label lsw.bench=1 --network "$LSW_NETWORK" --endpoint-mode dnsrr \
			--restart-condition none --env PORT=8080 "$image" >/dev/null &
		creates+=($!)
	done
	wait "${creates[@]}" # not a bare wait: the server runs in the background too
	until [ "$(dm service ls --filter label=lsw.bench=1 --format '{{.Replicas}}' | grep -c '^1/1')" -ge $((SCALE - 1)) ]; do sleep 0.1; done
	s="$(since "$t0")"
	echo "scale_bare_seconds $(printf '%.2f' "$s")"
	echo "scale_bare_instances_per_second $(echo "($SCALE - 1) / $s" | bc -l | xargs printf '%.2f')"
	for i in $(dm service ls -q --filter label=lsw.bench=1); do dm service rm "$i" >/dev/null; done
	load scale_end
}

# restore: node3 killed (not node1: it holds the registry and this server's
# namespace), until SCALE instances run on the others again. The cluster is
# this run's alone meanwhile.
restore() {
	say "restore: waiting for the cluster to be ours alone (/run/lsw.use.lock)"
	flock -u 8 # a shared lock waiting to become exclusive could deadlock with another such
	flock -w 1200 -x 8 || die "/run/lsw.use.lock: other users kept the cluster for 1200 s"
	scale_to "$SCALE" >/dev/null
	local t0
	say "restore: killing node3"
	load restore_start
	t0="$(now)"
	"$CLUSTER" kill 3 8>&- 9>&-
	until [ "$(running_nodes "$FN" | grep -vc '^lsw-n3$')" -ge "$SCALE" ]; do sleep 0.1; done
	echo "restore_instances $SCALE"
	echo "restore_seconds $(printf '%.2f' "$(since "$t0")")"
	load restore_end
	"$CLUSTER" start 3 >/dev/null 8>&- 9>&-
	for _ in $(seq 300); do [ "$(dm node ls --format '{{.Status}}' | grep -c Ready)" = 3 ] && break; sleep 0.2; done
	flock -s 8
}

for p in warm cold scale restore; do
	if phase "$p"; then "$p"; fi
done
