#!/usr/bin/env bash
# build.sh DIR BUILD_TYPE [extra cmake args...]: configures once (Ninja when present), then builds
# everything, or only the target named by $UNDERSTUDY_TARGET (e.g. understudy, the executable).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dir=$1; type=$2; shift 2

if [[ ! -f $dir/CMakeCache.txt ]]; then
  gen=()
  command -v ninja >/dev/null && gen=(-G Ninja)
  cmake -S "$root" -B "$dir" "${gen[@]}" -DCMAKE_BUILD_TYPE="$type" "$@" >/dev/null
fi
jobs=$(nproc 2>/dev/null || echo 2)
cmake --build "$dir" --parallel "$jobs" ${UNDERSTUDY_TARGET:+--target "$UNDERSTUDY_TARGET"}
