#!/usr/bin/env bash
# sdla: install what is missing (Debian packages), build, and run.
#   ./build.sh run [sdla-run options]   build, then run the main testbench (default workload)
#   ./build.sh test [ctest options]     also install chromium (HTML report test), build, run the whole test suite
#   ./build.sh build                    install and build only
#   ./build.sh sanitize [ctest options] build the sanitizer subset of the suite with
#                                       AddressSanitizer + UBSan (small preset) and run it
# Environment: BUILD_DIR (default: build), BUILD_TYPE (default: Release), JOBS (default: 2),
#              SANITIZE_BUILD_DIR (default: build-sanitize).
set -euo pipefail
cd "$(dirname "$0")"

PACKAGES=(g++ make cmake libsystemc-dev verilator libgtest-dev libgmock-dev libfmt-dev
          nlohmann-json3-dev libyaml-cpp-dev libcli11-dev)
# Only the test suite needs these (a headless browser renders the HTML report); `run` stays light.
TEST_PACKAGES=(chromium)
BUILD_DIR=${BUILD_DIR:-build}
BUILD_TYPE=${BUILD_TYPE:-Release}
JOBS=${JOBS:-2}

# install_missing [PACKAGE...]: PACKAGES and these, those not installed yet.
install_missing() {
  local missing=()
  for p in "${PACKAGES[@]}" "$@"; do
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

# The "sanitize"-labelled tests (tests/CMakeLists.txt) built with ASan+UBSan.
# Only the small preset's MAC array is verilated, and only the subset is built.
# ASan's one known false alarm (an exception on the main thread after
# SystemC's coroutines ran) has its suppression in tests/support/asan_stack.hpp.
# LeakSanitizer is off by default: its tracer thread crashes at process exit
# on this VM when both cores are busy ("Tracer caught signal 11 ...
# LeakSanitizer has encountered a fatal error"), before it reports anything,
# and fails tests that pass alone. ASAN_OPTIONS=detect_leaks=1 turns it on.
sanitize() {
  install_missing
  local dir=${SANITIZE_BUILD_DIR:-build-sanitize}
  # -O1 -g1: instrumented code compiles in half the time of -O2 -g and still
  # reports file and line; asserts stay on.
  cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1" \
        -DSDLA_SANITIZE=address,undefined -DSDLA_RTL_PRESETS=small
  cmake --build "$dir" -j "$JOBS" --target sdla_sanitize_subset
  cd "$dir"
  ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0} \
  UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
    ctest -L sanitize --output-on-failure -j "$JOBS" "$@"
}

cmd=${1:-run}
[ $# -gt 0 ] && shift
case "$cmd" in
  run)   build; exec "$BUILD_DIR/bin/sdla-run" "$@" ;;
  test)  install_missing "${TEST_PACKAGES[@]}"; build; cd "$BUILD_DIR" && exec ctest --output-on-failure -j "$JOBS" "$@" ;;
  build) build ;;
  sanitize) sanitize "$@" ;;
  *) echo "usage: $0 [run|test|build|sanitize] [args...]" >&2; exit 2 ;;
esac
