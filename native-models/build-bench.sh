#!/usr/bin/env bash
# Random-weight graph at gliner_medium-v2.1's dimensions (12 layers, d=768, 12 heads, FFN 3072,
# vocab 128004, GLiNER head 512) in the git-ignored .cache/bench-size/ (~780 MB), for benchmarks.
exec "$(dirname "$0")/build.sh" bench
