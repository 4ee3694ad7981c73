#!/usr/bin/env bash
# Builds the unipixel_ros_interfaces package (msg/) with plain cmake and installs it into a
# venv that holds the ROS 2 kilted wheels, making the venv a ROS prefix for our interfaces.
#
# Usage: tools/build_interfaces.sh VENV
#
# The wheels' cmake export files name the Python and numpy include directories of the machine
# that built the wheels (/opt/python/cp311-cp311/...). They are rewritten to this venv's own
# directories before configuring; without that, the generated Python C extension fails to build.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$(cd "${1:?usage: build_interfaces.sh VENV}" && pwd)"
PY="$VENV/bin/python"
BUILD="$VENV/build/unipixel_ros_interfaces"

py_include="$("$PY" -c 'import sysconfig; print(sysconfig.get_paths()["include"])')"
np_include="$("$PY" -c 'import numpy; print(numpy.get_include())')"

{ grep -rl --include='*.cmake' '/opt/python/cp311-cp311' "$VENV/share" 2>/dev/null || true; } |
  while read -r export_file; do
    sed -i \
      -e "s|/opt/python/cp311-cp311/lib/python3.11/site-packages/numpy/_core/include|$np_include|g" \
      -e "s|/opt/python/cp311-cp311/include/python3.11|$py_include|g" \
      "$export_file"
  done

rm -rf "$BUILD"
mkdir -p "$BUILD"
cmake -S "$ROOT/msg" -B "$BUILD" \
  -DCMAKE_PREFIX_PATH="$VENV" \
  -DCMAKE_INSTALL_PREFIX="$VENV" \
  -DPython3_EXECUTABLE="$PY" \
  -DBUILD_TESTING=OFF \
  -DCMAKE_BUILD_TYPE=Release >"$BUILD/configure.log" 2>&1 ||
  { cat "$BUILD/configure.log"; exit 1; }
cmake --build "$BUILD" -j "$(nproc)" >"$BUILD/build.log" 2>&1 || { tail -50 "$BUILD/build.log"; exit 1; }
cmake --install "$BUILD" >"$BUILD/install.log" 2>&1 || { tail -50 "$BUILD/install.log"; exit 1; }

"$PY" -c 'from unipixel_ros_interfaces.msg import ObjectMaskArray; from unipixel_ros_interfaces.action import Ask' ||
  { echo "unipixel_ros_interfaces built but does not import" >&2; exit 1; }
echo "unipixel_ros_interfaces installed into $VENV"
