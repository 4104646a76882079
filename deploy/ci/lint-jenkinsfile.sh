#!/usr/bin/env bash
# Lint the Jenkinsfile with npm-groovy-lint (CodeNarc, runs on a local Java 17+; no Jenkins needed).
# npm-groovy-lint 16.2.0 is the last release whose engines allow Node 20 (17+ need Node 22).
# It is fetched by npx into the npm cache, not added to package.json.
#   deploy/ci/lint-jenkinsfile.sh            # fails on any warning
set -euo pipefail
cd "$(dirname "$0")/../.."
exec npx --yes npm-groovy-lint@16.2.0 \
  --config deploy/ci/.groovylintrc.json \
  --failon warning \
  --output txt \
  Jenkinsfile
