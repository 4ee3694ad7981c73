#!/usr/bin/env bash
# Creates .venv and installs everything unipixel_ros needs on the pip path:
# Python packages, the ROS 2 kilted wheels, sam2 (no deps, no CUDA extension),
# our interfaces built from msg/ with cmake, and the project in editable mode.
#
# Each step leaves a stamp in .venv/.stamps keyed by the hash of its inputs,
# so a second run skips what is already done.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${UNIPIXEL_VENV:-$ROOT/.venv}"
PYTHON="${PYTHON:-python3}"
STAMPS="$VENV/.stamps"
SAM2_VERSION="1.1.0"

say() { printf '[bootstrap] %s\n' "$*"; }

# done_already NAME INPUTS...: true when the stamp for NAME matches the inputs' hash.
input_hash() { { cat "$@" 2>/dev/null; echo "$SAM2_VERSION"; } | sha256sum | cut -c1-16; }
done_already() {
  local name="$1"; shift
  [[ -f "$STAMPS/$name" && "$(cat "$STAMPS/$name")" == "$(input_hash "$@")" ]]
}
mark_done() {
  local name="$1"; shift
  input_hash "$@" >"$STAMPS/$name"
}

if [[ ! -x "$VENV/bin/python" ]]; then
  say "creating virtual environment $VENV"
  "$PYTHON" -m venv "$VENV"
fi
mkdir -p "$STAMPS"
# pip_install ARGS...: pip install, without this machine's notes about absent local indexes.
pip_install() {
  "$VENV/bin/python" -m pip install --disable-pip-version-check -q "$@" 2>&1 |
    { grep -v 'is ignored: it is neither a file nor a directory' || true; }
}

if ! done_already python "$ROOT/requirements.txt" "$ROOT/requirements-dev.txt"; then
  say "installing Python packages (torch, transformers, onnx, test tools)"
  if [[ -n "${UNIPIXEL_TORCH_SPEC:-}" ]]; then
    # CUDA users: UNIPIXEL_TORCH_SPEC names their own torch wheel or index (README).
    pip_install ${UNIPIXEL_TORCH_SPEC}
    grep -v '^torch==' "$ROOT/requirements.txt" >"$STAMPS/requirements-no-torch.txt"
    pip_install -r "$STAMPS/requirements-no-torch.txt" -r "$ROOT/requirements-dev.txt"
  else
    pip_install -r "$ROOT/requirements.txt" -r "$ROOT/requirements-dev.txt"
  fi
  mark_done python "$ROOT/requirements.txt" "$ROOT/requirements-dev.txt"
fi

if ! done_already sam2; then
  say "installing sam2 $SAM2_VERSION (no deps, no CUDA extension)"
  # The sdist declares torchvision and torch as build requirements; build it
  # against the torch already in the venv instead.
  SAM2_BUILD_CUDA=0 pip_install --no-deps --no-build-isolation "sam2==$SAM2_VERSION"
  mark_done sam2
fi

if ! done_already ros "$ROOT/requirements-ros.txt"; then
  say "installing ROS 2 kilted wheels"
  pip_install -r "$ROOT/requirements-ros.txt"
  mark_done ros "$ROOT/requirements-ros.txt"
fi

INTERFACE_INPUTS=("$ROOT"/msg/msg/*.msg "$ROOT"/msg/srv/*.srv "$ROOT"/msg/action/*.action
  "$ROOT/msg/CMakeLists.txt" "$ROOT/msg/package.xml" "$ROOT/tools/build_interfaces.sh")
if ! done_already interfaces "${INTERFACE_INPUTS[@]}"; then
  say "building unipixel_ros_interfaces into the venv with cmake"
  "$ROOT/tools/build_interfaces.sh" "$VENV"
  mark_done interfaces "${INTERFACE_INPUTS[@]}"
fi

if ! done_already project "$ROOT/setup.py" "$ROOT/pyproject.toml"; then
  say "installing unipixel_ros in editable mode"
  pip_install --no-deps --no-build-isolation -e "$ROOT"
  mark_done project "$ROOT/setup.py" "$ROOT/pyproject.toml"
fi

say "ready: $VENV"
