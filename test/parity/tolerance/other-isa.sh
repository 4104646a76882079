#!/usr/bin/env bash
# Runs the parity suites (test/parity/*.test.ts, the 20 real-server cases included) on another CPU's
# kernel path: node under qemu-user with a CPU model whose CPUID lacks AVX2/FMA, so ONNX Runtime's
# MLAS picks its SSE (Nehalem) or AVX (SandyBridge) kernels instead of the host's.
#
#   npm run test:parity:other-isa [-- CPU]        # CPU: a qemu -cpu model, default Nehalem
#   (apt-get install -y qemu-user; npm run build first: the real-server cases run dist/)
#
# Slow: emulation costs 6-30x. The tests run in one process (--pool=threads), and the server they
# start runs under the same emulation (GLINER_TEST_NODE_WRAPPER, test/support/server.ts).
set -euo pipefail
cd "$(dirname "$0")/../../.."
cpu="${1:-Nehalem}"
command -v qemu-x86_64 >/dev/null || { echo "qemu-x86_64 not found: apt-get install -y qemu-user" >&2; exit 2; }
node="$(command -v node)"
export QEMU_CPU="${cpu}" GLINER_TEST_NODE_WRAPPER=qemu-x86_64
echo "parity suites under qemu-x86_64 -cpu ${cpu} (node ${node})" >&2
exec qemu-x86_64 "${node}" node_modules/vitest/vitest.mjs run test/parity --pool=threads --testTimeout=900000 --hookTimeout=900000
