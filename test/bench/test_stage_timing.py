"""Stage timing: warm-up, setup outside the timed region, medians, speed-up direction."""

from __future__ import annotations

import time

import pytest
import torch

from unipixel_ros.bench.stage_timing import (
    StageResult,
    StageTimer,
    StageUnit,
    Timing,
    time_call,
    time_pair,
)
from unipixel_ros.errors import ConfigError

CPU = torch.device("cpu")


def test_time_call_runs_warmup_untimed_and_setup_before_every_call() -> None:
    calls: list[str] = []
    timing = time_call(
        lambda: calls.append("call"),
        device=CPU,
        repeats=3,
        warmup=2,
        setup=lambda: calls.append("setup"),
    )
    assert calls == ["setup", "call"] * 5
    assert len(timing.samples_ms) == 3


def test_time_call_excludes_setup_time_from_the_samples() -> None:
    timing = time_call(
        lambda: None, device=CPU, repeats=2, warmup=0, setup=lambda: time.sleep(0.05)
    )
    assert max(timing.samples_ms) < 50.0


def test_time_call_measures_the_call_in_milliseconds() -> None:
    timing = time_call(lambda: time.sleep(0.02), device=CPU, repeats=2, warmup=0)
    assert timing.min_ms >= 20.0


def test_time_call_refuses_zero_repeats() -> None:
    with pytest.raises(ConfigError, match="need repeats >= 1"):
        time_call(lambda: None, device=CPU, repeats=0)


def test_timing_median_is_the_middle_sample() -> None:
    assert Timing((5.0, 1.0, 3.0)).median_ms == 3.0


def test_speedup_is_reference_over_ours_for_latency_and_ours_over_reference_for_rates() -> None:
    latency = StageResult(name="x", ours=2.0, reference=6.0, unit=StageUnit.MILLISECONDS, detail="")
    rate = StageResult(
        name="y", ours=300.0, reference=100.0, unit=StageUnit.TOKENS_PER_SECOND, detail=""
    )
    assert latency.speedup == 3.0
    assert rate.speedup == 3.0


def test_speedup_is_none_without_a_reference() -> None:
    only_ours = StageResult(
        name="z", ours=2.0, reference=None, unit=StageUnit.MILLISECONDS, detail=""
    )
    assert only_ours.speedup is None
    assert only_ours.to_json()["speedup"] is None


def test_time_pair_interleaves_the_paths_and_sets_up_only_the_reference() -> None:
    calls: list[str] = []
    ours, reference = time_pair(
        lambda: calls.append("ours"),
        lambda: calls.append("reference"),
        device=CPU,
        repeats=2,
        warmup=1,
        reference_setup=lambda: calls.append("setup"),
    )
    assert calls == [
        *("ours", "setup", "reference"),
        *("setup", "reference", "ours"),
        *("ours", "setup", "reference"),
    ]
    assert len(ours.samples_ms) == len(reference.samples_ms) == 2


def test_stage_timer_gives_a_millisecond_row_with_or_without_a_reference() -> None:
    timer = StageTimer(device=CPU, repeats=2, warmup=1)
    calls: list[str] = []
    alone = timer.stage("alone", lambda: calls.append("ours"), detail="just ours")
    assert calls == ["ours"] * 3
    assert alone.reference is None and alone.unit is StageUnit.MILLISECONDS
    assert alone.detail == "just ours"
    paired = timer.stage(
        "paired",
        lambda: torch.is_inference_mode_enabled() or calls.append("not inference mode"),
        reference=lambda: None,
        detail="both",
    )
    assert paired.reference is not None and paired.ours >= 0.0
    assert "not inference mode" not in calls
