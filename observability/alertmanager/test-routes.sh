#!/bin/sh
# Checks alertmanager.yml with amtool: the config is valid and every case in routes.cases is routed
# to the expected receiver(s). Usage: observability/alertmanager/test-routes.sh  (needs amtool:
# Debian package prometheus-alertmanager, or the prom/alertmanager image).
set -eu
dir=$(CDPATH= cd -- "$(dirname -- "$0")" && pwd)
config="$dir/alertmanager.yml"
amtool check-config "$config"
failed=0
grep -v '^[[:space:]]*\(#\|$\)' "$dir/routes.cases" | while read -r expected labels; do
  # shellcheck disable=SC2086 # labels are deliberately split into separate arguments
  if amtool config routes test --config.file="$config" --verify.receivers="$expected" $labels >/dev/null 2>&1; then
    echo "ok    $expected <- $labels"
  else
    got=$(amtool config routes test --config.file="$config" $labels 2>/dev/null || true)
    echo "FAIL  expected $expected, got $got <- $labels"
    exit 1
  fi
done || failed=1
exit "$failed"
