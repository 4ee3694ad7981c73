#!/usr/bin/env bash
# One-shot GPU check: `unipixel-ros bench` (eager and compile, 1 and 8 objects, 8 frames, 64 new
# tokens) and benchmarks/bench_live.py on a CUDA GPU, with a markdown table of ours against the
# reference path. Runs without our venv and without network: it installs what the machine lacks
# from the wheels in the repository's ignored .whl/ folder (sam2, hydra-core, iopath, ...).
#
#   tools/gpu_check.sh [OUT_DIR]            # default: $OUT, else out/gpu_check
#   tools/gpu_check.sh --dry-run [OUT_DIR]  # tiny preset on CPU with the repo's .venv (CI);
#                                           # its "compile" row runs eager: torch.compile of
#                                           # every part takes minutes on a 2-core CPU
#
# Elapsed time is printed per stage. Target: under 8 minutes on one H100/H200, compilation
# included.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DRY_RUN=0
if [[ "${1:-}" == "--dry-run" ]]; then DRY_RUN=1; shift; fi
RESULTS="${1:-${OUT:-$ROOT/out/gpu_check}}"
mkdir -p "$RESULTS"
STARTED=$SECONDS
stage() { printf '[gpu_check %4ds] %s\n' "$((SECONDS - STARTED))" "$*"; }

if [[ $DRY_RUN -eq 1 ]]; then
  PYTHON="${PYTHON:-$ROOT/.venv/bin/python}"
  BENCH=(--preset tiny --device cpu --repeats 2 --warmup 1 --decode-tokens 8)
  LIVE=(--device cpu --idle-s 0.5 --query-tokens 20)
  BACKENDS=(eager eager)
else
  PYTHON="${PYTHON:-python3}"
  if compgen -G "$ROOT/.whl/*.whl" >/dev/null; then
    stage "installing $(ls "$ROOT"/.whl/*.whl | wc -l) wheels from .whl/ into /tmp/site"
    "$PYTHON" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
      --target /tmp/site "$ROOT"/.whl/*.whl
    export PYTHONPATH="/tmp/site${PYTHONPATH:+:$PYTHONPATH}"
  fi
  BENCH=(--preset 3b --device cuda --repeats 5 --warmup 2 --decode-tokens 64)
  LIVE=(--device cuda)
  BACKENDS=(eager compile)
fi
export PYTHONPATH="$ROOT${PYTHONPATH:+:$PYTHONPATH}"
export PYTHONUNBUFFERED=1 TQDM_DISABLE=1

stage "machine: $("$PYTHON" -c 'import torch; print(torch.__version__, torch.cuda.get_device_name(0) if torch.cuda.is_available() else "cpu")')"
for row in eager compile; do
  backend="${BACKENDS[0]}"; [[ $row == compile ]] && backend="${BACKENDS[1]}"
  stage "unipixel-ros bench --backend $backend (row $row)"
  "$PYTHON" -m unipixel_ros.cli.main bench "${BENCH[@]}" --backend "$backend" --objects 1,8 \
    --frames 8 --json "$RESULTS/bench_$row.json" | tee "$RESULTS/bench_$row.txt"
done
stage "benchmarks/bench_live.py"
"$PYTHON" "$ROOT/benchmarks/bench_live.py" "${LIVE[@]}" --json "$RESULTS/bench_live.json" |
  tee "$RESULTS/bench_live.txt"
stage "table"
"$PYTHON" - "$RESULTS" <<'PY'
import json
import sys
from pathlib import Path

out = Path(sys.argv[1])
runs = {b: json.loads((out / f"bench_{b}.json").read_text()) for b in ("eager", "compile")}
live = json.loads((out / "bench_live.json").read_text())
first = runs["eager"]
backend = runs["compile"]["backend"]["requested"]
lines = [
    f"GPU check, {first['date_utc']}, {first['machine']}, preset {first['preset']}, "
    f"compile row run with backend {backend}",
    "",
    "| stage | unit | ours eager | ours compile | reference | compile vs reference |",
    "| --- | --- | ---: | ---: | ---: | ---: |",
]
compiled = {s["name"]: s for s in runs["compile"]["stages"]}
for stage in first["stages"]:
    other = compiled.get(stage["name"], {})
    ref = other.get("reference") or stage.get("reference")
    speedup = other.get("speedup")

    def cell(value: object) -> str:
        return "-" if value is None else f"{value:.3g}"

    lines.append(
        f"| {stage['name']} | {stage['unit']} | {cell(stage['ours'])} | "
        f"{cell(other.get('ours'))} | {cell(ref)} | "
        f"{'-' if speedup is None else f'{speedup:.2f}x'} |"
    )
lines += ["", "| bench_live | two lanes | one lane |", "| --- | ---: | ---: |"]
for key, value in live.items():
    if isinstance(value, (int, float)) and key in live["one_lane"]:
        lines.append(f"| {key} | {value} | {live['one_lane'][key]} |")
(out / "gpu_check.md").write_text("\n".join(lines) + "\n")
print("\n".join(lines))
PY
stage "done: $RESULTS/gpu_check.md"
