#!/usr/bin/env bash
# Blue/green rollouts of gliner-serve on Kubernetes (deploy/k8s: Deployments gliner-blue and
# gliner-green behind the Service `gliner`, whose selector `color` is the switch).
#
#   deploy/bluegreen.sh [-n NAMESPACE] status
#   deploy/bluegreen.sh [-n NAMESPACE] deploy --image IMAGE [--model ID] [--revision REV]
#                                              [--overlay DIR] [--replicas N] [--no-switch]
#   deploy/bluegreen.sh [-n NAMESPACE] smoke  blue|green
#   deploy/bluegreen.sh [-n NAMESPACE] switch blue|green
#   deploy/bluegreen.sh [-n NAMESPACE] rollback
#   deploy/bluegreen.sh [-n NAMESPACE] scale-idle N
#
# deploy: re-applies the overlay's shared objects and the idle colour (if --overlay), sets the new
#   image (and MODEL / MODEL_REVISION) on the idle colour, scales it to the live colour's size,
#   waits for the rollout and for every pod to be ready, smoke-tests each idle pod through
#   kubectl port-forward, then points the Service at it. The previous colour keeps running, so
#   `rollback` is one selector switch (it scales the other colour back up first if needed).
#
# Environment: SMOKE_API_KEY (API key for the smoke request; needed when the server requires
# keys), SMOKE_AUTH_HEADER (default "Authorization: Bearer"), ROLLOUT_TIMEOUT (default 900s),
# KUBECTL (default kubectl), SERVICE (default gliner), APP (Deployment prefix, default gliner),
# CONTAINER (default server), SMOKE_MAX_PODS (default 3), LOCAL_PORT (default 18000).
set -euo pipefail

KUBECTL="${KUBECTL:-kubectl}"
NAMESPACE="${NAMESPACE:-gliner}"
SERVICE="${SERVICE:-gliner}"
APP="${APP:-gliner}"
CONTAINER="${CONTAINER:-server}"
ROLLOUT_TIMEOUT="${ROLLOUT_TIMEOUT:-900s}"
SMOKE_AUTH_HEADER="${SMOKE_AUTH_HEADER:-Authorization: Bearer}"
SMOKE_MAX_PODS="${SMOKE_MAX_PODS:-3}"
LOCAL_PORT="${LOCAL_PORT:-18000}"
SMOKE_BODY='{"text":"I work at Microsoft based in Seattle, Washington.","entity_type":"ORGANIZATION"}'

PF_PID=""

log() { printf '[bluegreen] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

cleanup() {
  if [[ -n "${PF_PID}" ]]; then
    kill "${PF_PID}" 2>/dev/null || true
    wait "${PF_PID}" 2>/dev/null || true
    PF_PID=""
  fi
}
trap cleanup EXIT

usage() {
  sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'
  exit "${1:-2}"
}

k() { "${KUBECTL}" --namespace "${NAMESPACE}" "$@"; }

check_color() {
  case "$1" in
    blue | green) ;;
    *) die "colour must be blue or green, got '$1'" ;;
  esac
}

other_color() {
  if [[ "$1" == "blue" ]]; then echo green; else echo blue; fi
}

active_color() {
  local color
  color="$(k get service "${SERVICE}" -o jsonpath='{.spec.selector.color}')"
  check_color "${color}"
  echo "${color}"
}

replicas_of() {
  local n
  n="$(k get deployment "${APP}-$1" -o jsonpath='{.spec.replicas}')"
  echo "${n:-0}"
}

# Scale a colour; a KEDA ScaledObject (if there is one) is paused at 0 and resumed above 0.
scale_color() {
  local color="$1" replicas="$2"
  if k get scaledobject "${APP}-${color}" >/dev/null 2>&1; then
    if [[ "${replicas}" -eq 0 ]]; then
      k annotate --overwrite scaledobject "${APP}-${color}" autoscaling.keda.sh/paused-replicas=0 >/dev/null
    else
      k annotate scaledobject "${APP}-${color}" autoscaling.keda.sh/paused-replicas- >/dev/null 2>&1 || true
    fi
  fi
  k scale deployment "${APP}-${color}" --replicas="${replicas}" >/dev/null
  log "scaled ${APP}-${color} to ${replicas}"
}

wait_ready() {
  local color="$1"
  log "waiting for ${APP}-${color} to roll out (timeout ${ROLLOUT_TIMEOUT})"
  k rollout status deployment "${APP}-${color}" --timeout="${ROLLOUT_TIMEOUT}"
  k wait --for=condition=Available deployment "${APP}-${color}" --timeout="${ROLLOUT_TIMEOUT}"
  k wait --for=condition=Ready pod --selector "color=${color},app.kubernetes.io/component=api" --timeout="${ROLLOUT_TIMEOUT}"
}

# POST the seed example to one pod through a port-forward and require Microsoft in the answer.
smoke_pod() {
  local pod="$1" response i rc=0
  curl -s -o /dev/null --max-time 2 "http://127.0.0.1:${LOCAL_PORT}/" 2>/dev/null || rc=$?
  # curl's 7: nothing listens there. Anything else would be smoke-tested instead of the pod.
  [[ "${rc}" -eq 7 ]] || die "${pod}: something already listens on 127.0.0.1:${LOCAL_PORT}; set LOCAL_PORT to a free port"
  # kubectl itself in the background (not the k function: that would background a subshell, and
  # killing the subshell would leave kubectl holding LOCAL_PORT for the next pod's smoke test).
  "${KUBECTL}" --namespace "${NAMESPACE}" port-forward "pod/${pod}" "${LOCAL_PORT}:8000" >/dev/null 2>&1 &
  PF_PID=$!
  for i in $(seq 1 50); do
    # A port-forward that exited (LOCAL_PORT taken by something else) must not let curl test that.
    if ! kill -0 "${PF_PID}" 2>/dev/null; then PF_PID=""; die "${pod}: kubectl port-forward exited (is ${LOCAL_PORT} in use? set LOCAL_PORT)"; fi
    if curl -fsS -o /dev/null "http://127.0.0.1:${LOCAL_PORT}/health/ready" 2>/dev/null; then break; fi
    if [[ "${i}" -eq 50 ]]; then cleanup; die "${pod}: not ready through port-forward"; fi
    sleep 0.2
  done
  local -a headers=(-H 'Content-Type: application/json')
  if [[ -n "${SMOKE_API_KEY:-}" ]]; then
    headers+=(-H "${SMOKE_AUTH_HEADER} ${SMOKE_API_KEY}")
  fi
  if ! response="$(curl -fsS --max-time 30 "${headers[@]}" -d "${SMOKE_BODY}" "http://127.0.0.1:${LOCAL_PORT}/api/v1/predict")"; then
    cleanup
    die "${pod}: POST /api/v1/predict failed"
  fi
  cleanup
  if ! grep -q '"Microsoft"' <<<"${response}"; then
    die "${pod}: Microsoft not found in ${response}"
  fi
  log "${pod}: smoke test passed"
}

smoke() {
  local color="$1" pod count=0
  local -a pods
  mapfile -t pods < <(k get pods --selector "color=${color},app.kubernetes.io/component=api" \
    --field-selector status.phase=Running -o jsonpath='{range .items[*]}{.metadata.name}{"\n"}{end}')
  [[ "${#pods[@]}" -gt 0 && -n "${pods[0]}" ]] || die "no running ${color} pods to smoke-test"
  for pod in "${pods[@]}"; do
    [[ -n "${pod}" ]] || continue
    smoke_pod "${pod}"
    count=$((count + 1))
    if [[ "${count}" -ge "${SMOKE_MAX_PODS}" ]]; then break; fi
  done
}

switch_to() {
  local color="$1" previous
  previous="$(active_color)"
  k patch service "${SERVICE}" --type merge \
    -p "{\"metadata\":{\"annotations\":{\"gliner.io/previous-color\":\"${previous}\"}},\"spec\":{\"selector\":{\"color\":\"${color}\"}}}" >/dev/null
  log "service ${SERVICE} now routes to ${color} (was ${previous})"
}

cmd_status() {
  local active
  active="$(active_color)"
  echo "active: ${active}"
  for c in blue green; do
    printf '%s: replicas=%s image=%s\n' "${c}" "$(replicas_of "${c}")" \
      "$(k get deployment "${APP}-${c}" -o jsonpath="{.spec.template.spec.containers[?(@.name==\"${CONTAINER}\")].image}")"
  done
}

cmd_deploy() {
  local image="" model="" revision="" overlay="" replicas="" do_switch=1
  while [[ $# -gt 0 ]]; do
    case "$1" in
      --image) image="${2:?}"; shift 2 ;;
      --model) model="${2:?}"; shift 2 ;;
      --revision) revision="${2:?}"; shift 2 ;;
      --overlay) overlay="${2:?}"; shift 2 ;;
      --replicas) replicas="${2:?}"; shift 2 ;;
      --no-switch) do_switch=0; shift ;;
      *) die "unknown deploy option: $1" ;;
    esac
  done
  [[ -n "${image}" ]] || die "deploy needs --image"
  [[ "${image}" == *:* || "${image}" == *@sha256:* ]] || die "image must carry a tag or digest: ${image}"
  [[ "${image##*:}" != "latest" ]] || die "refusing the 'latest' tag"

  local active idle
  active="$(active_color)"
  idle="$(other_color "${active}")"
  log "active=${active} idle=${idle} image=${image}${model:+ model=${model}}"

  if [[ -n "${overlay}" ]]; then
    # Shared objects (ConfigMap, NetworkPolicy, ...) but not the Service, whose selector is ours.
    k apply -k "${overlay}" --selector '!color,!gliner.io/router'
    k apply -k "${overlay}" --selector "color=${idle}"
  fi

  k set image "deployment/${APP}-${idle}" "${CONTAINER}=${image}" >/dev/null
  local -a envs=()
  [[ -n "${model}" ]] && envs+=("MODEL=${model}")
  [[ -n "${revision}" ]] && envs+=("MODEL_REVISION=${revision}")
  if [[ "${#envs[@]}" -gt 0 ]]; then
    k set env "deployment/${APP}-${idle}" --containers="${CONTAINER}" "${envs[@]}" >/dev/null
  fi
  k annotate --overwrite "deployment/${APP}-${idle}" \
    "gliner.io/deployed-image=${image}" "gliner.io/deployed-model=${model:-unchanged}" >/dev/null

  if [[ -z "${replicas}" ]]; then
    replicas="$(replicas_of "${active}")"
    [[ "${replicas}" -gt 0 ]] || replicas=1
  fi
  scale_color "${idle}" "${replicas}"
  wait_ready "${idle}"
  smoke "${idle}"
  if [[ "${do_switch}" -eq 1 ]]; then
    switch_to "${idle}"
    log "done. ${active} keeps running for an instant rollback: $0 -n ${NAMESPACE} rollback"
  else
    log "idle colour ${idle} is ready and tested; switch with: $0 -n ${NAMESPACE} switch ${idle}"
  fi
}

cmd_rollback() {
  local active target
  active="$(active_color)"
  target="$(other_color "${active}")"
  if [[ "$(replicas_of "${target}")" -eq 0 ]]; then
    scale_color "${target}" "$(replicas_of "${active}")"
  fi
  wait_ready "${target}"
  switch_to "${target}"
}

main() {
  while [[ $# -gt 0 ]]; do
    case "$1" in
      -n | --namespace) NAMESPACE="${2:?}"; shift 2 ;;
      -h | --help) usage 0 ;;
      *) break ;;
    esac
  done
  [[ $# -gt 0 ]] || usage
  local cmd="$1"
  shift
  case "${cmd}" in
    status) cmd_status ;;
    deploy) cmd_deploy "$@" ;;
    smoke) check_color "${1:-}"; smoke "$1" ;;
    switch) check_color "${1:-}"; wait_ready "$1"; switch_to "$1" ;;
    rollback) cmd_rollback ;;
    scale-idle)
      [[ "${1:-}" =~ ^[0-9]+$ ]] || die "scale-idle needs a replica count"
      scale_color "$(other_color "$(active_color)")" "$1"
      ;;
    *) usage ;;
  esac
}

main "$@"
