#!/usr/bin/env bash
# swarm-bench.sh measures the Swarm backend on the test cluster
# (scripts/swarm-cluster.sh up) against bare Swarm, in interleaved rounds:
#
#   warm     p50 latency at concurrency 1 (one kept-alive connection) through
#            the gateway vs directly to the task address: the added latency
#   cold     a request to a function scaled to zero, through the gateway, vs a
#            bare `docker service create` of the same image until its first 200
#   scale    instances started at once (--min-instances 1 -> N) per second,
#            and as many bare services created at once
#   restore  after a node is killed, the time until the function's minimum
#            instances run again on the other nodes
#
#   sudo scripts/swarm-bench.sh [ROUNDS]      # default 5; LAMBDA=path/to/lambda
#
# It starts its own server in the cluster's client namespace with a temporary
# data directory, deploys e2e/testdata/swarm-whoami, and removes everything
# it created at the end. Results go to stdout (one "name value" per line),
# progress to stderr. docs/scale-out.md reports the figures.
set -euo pipefail

ROUNDS="${1:-5}"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
CLUSTER="$ROOT/scripts/swarm-cluster.sh"
eval "$("$CLUSTER" env)"
NS="$LSW_NETNS"
MGR="$LSW_MANAGER"
PORT=18089
FN=bench-swarm
COLD=bench-swarm-cold
SCALE="${SCALE:-9}"

say() { printf 'swarm-bench: %s\n' "$*" >&2; }
dm() { docker -H "$MGR" "$@"; }
inns() { ip netns exec "$NS" "$@"; }
now() { date +%s.%N; }
since() { echo "$(now) - $1" | bc; }
median() { sort -n | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }

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
DOCKER_HOST="$MGR" ip netns exec "$NS" "$LAMBDA" server --addr "127.0.0.1:$PORT" --data "$work/data" --domain localhost \
	--backend swarm --registry "$LSW_REGISTRY" --swarm-network "$LSW_NETWORK" >"$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 300); do inns curl -sf -o /dev/null "http://127.0.0.1:$PORT/healthz" && break; sleep 0.2; done
export LAMBDA_API_KEY; LAMBDA_API_KEY="$(cat "$work/data/admin.key")"
cli() { inns "$LAMBDA" --server "http://127.0.0.1:$PORT" "$@"; }
gw() { inns curl -s -o /dev/null -w '%{http_code}' -H "Host: $1.localhost:$PORT" "http://127.0.0.1:$PORT/"; }

# running_tasks FN: "node ip" of each running task of FN's services.
running_tasks() {
	local svc id
	for svc in $(dm service ls -q --filter "label=lambda.function=$1"); do
		for id in $(dm service ps -q --filter desired-state=running "$svc" 2>/dev/null); do
			dm inspect -f '{{if eq .Status.State "running"}}{{.NodeID}} {{range .NetworksAttachments}}{{range .Addresses}}{{.}}{{end}}{{end}}{{end}}' "$id" 2>/dev/null
		done
	done | grep . || true
}

say "deploying $FN and $COLD (e2e/testdata/swarm-whoami)"
cli deploy "$ROOT/e2e/testdata/swarm-whoami" --name "$FN" --min-instances 1 >/dev/null
cli deploy "$ROOT/e2e/testdata/swarm-whoami" --name "$COLD" >/dev/null
cli config "$COLD" --min-instances 0 --idle-timeout 1s --standby-timeout 0 >/dev/null

# warm: the same task, through the gateway and directly, interleaved; curl
# sends all of a round's requests on one kept-alive connection.
ip="$(running_tasks "$FN" | head -1 | awk '{print $2}')"; ip="${ip%/*}"
say "warm: $ROUNDS rounds of 200 requests, task $ip"
urls() { for _ in $(seq 200); do printf 'url = "%s"\n' "$1"; done; }
urls "http://$ip:8080/" >"$work/direct.cfg"
urls "http://127.0.0.1:$PORT/" >"$work/gw.cfg"
: >"$work/direct.t"; : >"$work/gw.t"
for _ in $(seq "$ROUNDS"); do
	inns curl -s -K "$work/direct.cfg" -o /dev/null -w '%{time_total}\n' >>"$work/direct.t"
	inns curl -s -K "$work/gw.cfg" -H "Host: $FN.localhost:$PORT" -o /dev/null -w '%{time_total}\n' >>"$work/gw.t"
done
d50="$(median <"$work/direct.t")"; g50="$(median <"$work/gw.t")"
echo "warm_direct_p50_ms $(echo "$d50 * 1000" | bc -l | xargs printf '%.3f')"
echo "warm_gateway_p50_ms $(echo "$g50 * 1000" | bc -l | xargs printf '%.3f')"
echo "warm_added_p50_ms $(echo "($g50 - $d50) * 1000" | bc -l | xargs printf '%.3f')"

# cold: bare service create until 200 vs a request to the scaled-to-zero
# function, interleaved; the same image (the function's pushed digest).
image="$(dm service inspect -f '{{.Spec.TaskTemplate.ContainerSpec.Image}}' "$(dm service ls -q --filter "label=lambda.function=$FN" | head -1)")"
say "cold: $ROUNDS rounds, image $image"
: >"$work/bare.t"; : >"$work/gwcold.t"
for r in $(seq "$ROUNDS"); do
	t0="$(now)"
	dm service create -d -q --name "bench-bare-$r" --label lsw.bench=1 --network "$LSW_NETWORK" --endpoint-mode dnsrr \
		--restart-condition none --env PORT=8080 "$image" >/dev/null
	until [ "$(inns curl -s -o /dev/null -w '%{http_code}' --max-time 1 "http://tasks.bench-bare-$r:8080/" 2>/dev/null)" = 200 ]; do sleep 0.05; done
	since "$t0" >>"$work/bare.t"
	dm service rm "bench-bare-$r" >/dev/null
	for _ in $(seq 600); do [ -z "$(running_tasks "$COLD")" ] && break; sleep 0.1; done
	t0="$(now)"
	code="$(gw "$COLD")"
	[ "$code" = 200 ] || say "cold request answered $code"
	since "$t0" >>"$work/gwcold.t"
done
b50="$(median <"$work/bare.t")"; c50="$(median <"$work/gwcold.t")"
echo "cold_bare_service_p50_s $(printf '%.3f' "$b50")"
echo "cold_gateway_p50_s $(printf '%.3f' "$c50")"
echo "cold_ratio $(echo "$c50 / $b50" | bc -l | xargs printf '%.2f')"

# scale: min instances 1 -> SCALE, until all run.
say "scale: $FN from 1 to $SCALE instances"
t0="$(now)"
cli config "$FN" --min-instances "$SCALE" >/dev/null
until [ "$(running_tasks "$FN" | wc -l)" -ge "$SCALE" ]; do sleep 0.1; done
s="$(since "$t0")"
echo "scale_instances $((SCALE - 1))"
echo "scale_seconds $(printf '%.2f' "$s")"
echo "scale_instances_per_second $(echo "($SCALE - 1) / $s" | bc -l | xargs printf '%.2f')"

# scale_bare: as many bare services created at once, until all run.
say "scale: $((SCALE - 1)) bare services at once"
t0="$(now)"
creates=()
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
for sv in $(dm service ls -q --filter label=lsw.bench=1); do dm service rm "$sv" >/dev/null; done

# restore: kill node 3 (not node1: it holds the registry and this server's
# namespace), until SCALE instances run on the others again.
n3="$(dm node inspect -f '{{.ID}}' lsw-n3)"
say "restore: killing node3"
t0="$(now)"
"$CLUSTER" kill 3
until [ "$(running_tasks "$FN" | grep -vc "^$n3 ")" -ge "$SCALE" ]; do sleep 0.2; done
echo "restore_seconds $(printf '%.2f' "$(since "$t0")")"
"$CLUSTER" start 3 >/dev/null
echo "load $(cut -d' ' -f1-3 /proc/loadavg)"
