#!/usr/bin/env bash
# install_example.sh CMAKE CXX SOURCE_DIR BUILD_DIR WORK_DIR SANITIZE MAC...
# Installs BUILD_DIR to WORK_DIR/prefix, configures and builds
# SOURCE_DIR/examples/virtual_platform against it (find_package(sdla) with
# CMAKE_PREFIX_PATH = the prefix) and runs the example once per MAC array
# (model, rtl): every run must exit 0 and print PASS.
set -euo pipefail
cmake=$1 cxx=$2 src=$3 build=$4 work=$5 sanitize=$6
example=$src/examples/virtual_platform
shift 6

if [ -n "$sanitize" ]; then
  # Sanitized libraries need the consumer linked with the same -fsanitize flags,
  # which an installed package does not carry: nothing to learn here.
  echo "skipped: the install test does not run in a -DSDLA_SANITIZE=$sanitize build"
  exit 77
fi

fail() { echo "FAIL: $*"; exit 1; }

rm -rf "$work"
mkdir -p "$work"
prefix=$work/prefix

echo "== cmake --install $build --prefix $prefix"
"$cmake" --install "$build" --prefix "$prefix" > "$work/install.log" || { cat "$work/install.log"; fail "install"; }
config=$(find "$prefix" -name sdlaConfig.cmake | head -n 1)
[ -n "$config" ] || fail "no sdlaConfig.cmake under $prefix"
config_dir=$(dirname "$config")
# The installed package must not point back into the source or build tree.
if grep -rlF -e "$src/include" -e "$src/models" -e "$src/rtl" -e "$src/tb" -e "$build/models" -e "$build/rtl" \
     "$config_dir"; then
  fail "the installed CMake files above name the source or build tree"
fi

echo "== configure and build $example against $prefix"
"$cmake" -S "$example" -B "$work/build" -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_CXX_COMPILER="$cxx" \
  > "$work/configure.log" 2>&1 || { cat "$work/configure.log"; fail "configure"; }
grep -F "from $config_dir" "$work/configure.log" || fail "sdla was not found in $prefix"
"$cmake" --build "$work/build" -j 2 > "$work/build.log" 2>&1 || { cat "$work/build.log"; fail "build"; }

for mac in "$@"; do
  echo "== vp_example $mac"
  out=$("$work/build/vp_example" "$mac" 2>&1) && status=0 || status=$?
  echo "$out"
  [ "$status" -eq 0 ] || fail "vp_example $mac exited with $status"
  grep -q "^PASS: output is bit-exact" <<< "$out" || fail "vp_example $mac printed no PASS line"
done
echo "install test: PASS"
