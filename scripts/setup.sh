#!/usr/bin/env bash
# Installs the Debian 12 packages understudy needs. Idempotent: installs only what is missing,
# and uses sudo when not run as root. Safe to run before every build.
set -euo pipefail

packages=(
  # toolchain
  g++ cmake ninja-build ccache pkg-config git
  # core libraries
  libtorch-dev libzmq3-dev cppzmq-dev libmsgpack-cxx-dev libopencv-dev
  libboost-dev libboost-system-dev libcli11-dev nlohmann-json3-dev
  # tests and benchmarks (GEOS is a test and benchmark oracle only)
  libgtest-dev libgmock-dev libbenchmark-dev libgeos-dev
  # example clients, cross-checks and plots (for /usr/bin/python3)
  python3 python3-zmq python3-msgpack python3-numpy python3-matplotlib python3-shapely
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if ((${#missing[@]} == 0)); then
  exit 0
fi

sudo=()
if [[ $(id -u) -ne 0 ]]; then
  if ! command -v sudo >/dev/null; then
    echo "setup: need root or sudo to install: ${missing[*]}" >&2
    exit 1
  fi
  sudo=(sudo)
fi

echo "setup: installing ${#missing[@]} Debian packages: ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
