from __future__ import annotations

import io
import time

from unipixel_ros.accel.engines.progress import ElapsedSpinner, PhaseProgress


def test_phase_progress_draws_nested_phases_with_steps_and_elapsed_time() -> None:
    stream = io.StringIO()
    progress = PhaseProgress(title="sam2_image_encoder (fp16)", stream=stream)
    # The call order TensorRT's IProgressMonitor uses: a parent phase, a nested one, steps.
    progress.phase_start("Building engine", None, 2)
    progress.phase_start("Tactic selection", "Building engine", 3)
    for step in range(3):
        assert progress.step_complete("Tactic selection", step)
    progress.phase_finish("Tactic selection")
    progress.step_complete("Building engine", 0)
    progress.phase_finish("Building engine")
    text = stream.getvalue()
    assert "sam2_image_encoder (fp16): Building engine" in text
    assert "Tactic selection: 3/3" in text
    assert "[00:00]" in text
    assert progress.finished_phases == ["Tactic selection", "Building engine"]


def test_phase_progress_ignores_steps_of_unknown_phases() -> None:
    progress = PhaseProgress(title="x", stream=io.StringIO())
    assert progress.step_complete("never started", 0)
    progress.close()


def test_elapsed_spinner_measures_the_block_and_draws_its_title() -> None:
    stream = io.StringIO()
    with ElapsedSpinner(title="building decoder", stream=stream, refresh_seconds=0.01) as spinner:
        time.sleep(0.1)
    assert spinner.elapsed_seconds >= 0.1
    assert "building decoder [00:00]" in stream.getvalue()


def test_disabled_spinner_draws_nothing_but_still_times() -> None:
    stream = io.StringIO()
    with ElapsedSpinner(title="quiet", stream=stream, enabled=False) as spinner:
        time.sleep(0.02)
    assert stream.getvalue() == ""
    assert spinner.elapsed_seconds >= 0.02
