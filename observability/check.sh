#!/bin/sh
# Offline checks of everything in observability/ with the real tools (no server needed):
#   promtool check config / check rules / test rules, amtool check-config and the routing cases.
# Needs Debian's `prometheus` (promtool) and `prometheus-alertmanager` (amtool) packages.
# The full suite, including dashboards, docs and the live Prometheus test, is
#   npx vitest run test/observability
set -eu
dir=$(CDPATH= cd -- "$(dirname -- "$0")" && pwd)
cd "$dir/prometheus"
promtool check config prometheus.yml
promtool check rules rules/*.yml
promtool test rules tests/*.yml
"$dir/alertmanager/test-routes.sh"
echo "observability: all checks passed"
