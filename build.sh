#!/usr/bin/env bash
# sdla: install what is missing (Debian packages), build, and run.
#   ./build.sh run [sdla-run options]   build, then run the main testbench (default workload)
#   ./build.sh test [ctest options]     build, then run the whole test suite
#   ./build.sh build                    install and build only
# Environment: BUILD_DIR (default: build), BUILD_TYPE (default: Release), JOBS (default: 2).
set -euo pipefail
cd "$(dirname "$0")"

PACKAGES=(g++ make cmake libsystemc-dev verilator libgtest-dev libgmock-dev libfmt-dev
          nlohmann-json3-dev libyaml-cpp-dev libcli11-dev)
BUILD_DIR=${BUILD_DIR:-build}
BUILD_TYPE=${BUILD_TYPE:-Release}
JOBS=${JOBS:-2}

install_missing() {
  local missing=()
  for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return
  echo "build.sh: installing ${missing[*]}"
  local sudo=()
  [ "$(id -u)" -ne 0 ] && sudo=(sudo)
  "${sudo[@]}" apt-get update -q
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
}

build() {
  install_missing
  cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE="$BUILD_TYPE"
  cmake --build "$BUILD_DIR" -j "$JOBS"
}

cmd=${1:-run}
[ $# -gt 0 ] && shift
case "$cmd" in
  run)   build; exec "$BUILD_DIR/bin/sdla-run" "$@" ;;
  test)  build; cd "$BUILD_DIR" && exec ctest --output-on-failure -j "$JOBS" "$@" ;;
  build) build ;;
  *) echo "usage: $0 [run|test|build] [args...]" >&2; exit 2 ;;
esac
