#!/usr/bin/env bash
# What a pod would be charged: one server alone in a fresh memory cgroup, the page cache dropped
# first, so every page it touches (node, ONNX Runtime, the mapped weights) is charged to it once, as
# in a container. Prints the cgroup's usage, its working set (usage − inactive file pages: what
# Kubernetes reports as container_memory_working_set_bytes and evicts on), the anonymous part, and
# the process's RSS for comparison (RSS counts a page once per mapping, and every session maps the
# weights). Warm = 200 requests, 4 at a time, then 2 s. Needs root and cgroup v1's memory
# controller or cgroup v2; drops the host's page cache. From the repository root, after
# `npm run build`:
#
#   bench/tools/pod-memory.sh NAME [KEY=VALUE ...]          # our server, with these variables
#   PEER_MODEL=DIR bench/tools/pod-memory.sh NAME           # bench/peers/gliner-js-server.mjs instead
#
# Figures: bench/RESULTS.md, "Memory".
set -euo pipefail
cd "$(dirname "$0")/../.."
name=$1
shift
if [ -d /sys/fs/cgroup/memory ]; then
  cg=/sys/fs/cgroup/memory/gliner-$name
  usage_file=memory.usage_in_bytes anon_key=total_rss inactive_key=total_inactive_file
else
  cg=/sys/fs/cgroup/gliner-$name
  usage_file=memory.current anon_key=anon inactive_key=inactive_file
fi
rmdir "$cg" 2>/dev/null || true
mkdir "$cg"
sync
echo 3 >/proc/sys/vm/drop_caches
port=$((47400 + RANDOM % 100))
log=$(mktemp)
if [ -n "${PEER_MODEL:-}" ]; then
  (echo "$BASHPID" >"$cg/cgroup.procs" && exec node bench/peers/gliner-js-server.mjs --port "$port" --model "$PEER_MODEL" >"$log" 2>&1) &
  ready='listening'
else
  (echo "$BASHPID" >"$cg/cgroup.procs" && exec env "$@" PORT="$port" ADMIN_PORT=$((port + 100)) CACHE_MAX_BYTES=0 RATE_LIMIT_PER_SECOND=0 node dist/src/cli.js serve >"$log" 2>&1) &
  ready='"msg":"ready"'
fi
pid=$!
cleanup() {
  kill -TERM "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  rm -f "$log"
  rmdir "$cg" 2>/dev/null || true
}
trap cleanup EXIT
for _ in $(seq 1 600); do
  grep -q "$ready" "$log" && break
  sleep 1
done
body='{"text":"Ada Lovelace was born in London and worked with Charles Babbage at the University of Cambridge.","labels":["person","city","organization"]}'
for _ in $(seq 1 50); do
  pids=()
  for _ in 1 2 3 4; do
    curl -s -o /dev/null -X POST "http://127.0.0.1:$port/api/v1/predict" -H 'content-type: application/json' -d "$body" &
    pids+=($!)
  done
  wait "${pids[@]}"
done
sleep 2
mb() { awk '{ printf "%.0f", $1 / 1e6 }'; }
stat_mb() { awk -v key="$1" '$1 == key { printf "%.0f", $2 / 1e6 }' "$cg/memory.stat"; }
usage=$(mb <"$cg/$usage_file")
inactive=$(stat_mb "$inactive_key")
rss=$(awk '/^Rss:/ { printf "%.0f", $2 * 1.024 / 1000 }' "/proc/$pid/smaps_rollup")
echo "$name: cgroup usage $usage MB, working set $((usage - inactive)) MB, anon $(stat_mb "$anon_key") MB; process RSS $rss MB"
