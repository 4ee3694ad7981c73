"""`unipixel-ros eval` end to end, in a subprocess as a user runs it: the real node over a real
ROS graph, the small sample bag, a tiny model with random weights, on the ``compile`` backend
(the eager node runs in the other graph tests and in the demo)."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from rosbags.rosbag2 import Reader
from sample_data import SAMPLE_BAG

from unipixel_ros.evaluation.bags.interface_types import interface_typestore
from unipixel_ros.evaluation.scoring.queries import load_query_spec, save_query_spec

pytestmark = pytest.mark.ros

BAG = SAMPLE_BAG
# One query of each way of asking: segment, text track, click track, choice by click.
QUERY_IDS = ("graspable_cup", "refer_1", "click_3", "colour_of_3")


def _eval(*args: str | Path, timeout_s: float = 300) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "unipixel_ros.cli.main", "eval", *map(str, args)]
    env = {**os.environ, "OMP_NUM_THREADS": "1", "HF_HUB_OFFLINE": "1"}
    return subprocess.run(
        command, capture_output=True, text=True, env=env, timeout=timeout_s, check=False
    )


@pytest.fixture(scope="module")
def spec_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    spec = load_query_spec(BAG / "queries.json")
    queries = tuple(spec.query(query_id) for query_id in QUERY_IDS)
    path = tmp_path_factory.mktemp("spec") / "queries.json"
    return save_query_spec(dataclasses.replace(spec, queries=queries), path)


@pytest.fixture(scope="module")
def run(spec_path: Path, tmp_path_factory: pytest.TempPathFactory):
    out = tmp_path_factory.mktemp("eval")
    done = _eval(
        BAG,
        *("--queries", spec_path, "--model", "tiny-random", "--rate", "0", "--out", out),
        *("--backend", "compile", "--frame-timeout", "180"),
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done, out


def test_eval_writes_the_report_files_the_gif_and_the_node_log(run) -> None:
    _, out = run
    for name in (
        "report.md",
        "report.json",
        "iou_per_frame.png",
        "latency_histogram.png",
        "overlay.gif",
        "node.log",
    ):
        assert (out / name).stat().st_size > 0, name
    assert "Traceback" not in (out / "node.log").read_text()


def test_report_json_has_every_section_with_numbers_in_range(run) -> None:
    _, out = run
    data = json.loads((out / "report.json").read_text())
    assert data["format"] == "unipixel_ros.report/1"
    assert data["model"] == "tiny-random" and data["model_is_random"] is True
    for name, value in data["summary"].items():
        assert value is None or 0.0 <= value <= 1.0, name
    assert data["summary"]["track_jf"] is not None and data["summary"]["segment_ciou"] is not None
    latency = data["latency"]
    # As fast as the node takes it: every frame waits for its output, none is dropped.
    assert (latency["frames_sent"], latency["frames_dropped"], latency["count"]) == (4, 0, 4)
    assert 0 < latency["p50_ms"] <= latency["p95_ms"] <= latency["max_ms"]
    queries = {q["query_id"]: q for q in data["queries"]}
    assert tuple(queries) == QUERY_IDS
    assert len(queries["refer_1"]["j_per_frame"]) == 4  # the query's frame and the 3 after it
    assert len(queries["click_3"]["j_per_frame"]) == 3  # from the frame after the click
    assert queries["graspable_cup"]["iou"] is not None
    run_section = data["run"]
    assert [r["service"] for r in run_section["requests"]] == [
        "query",
        "query",
        "add_objects",
        "describe",
    ]
    assert all(r["success"] for r in run_section["requests"]), run_section["requests"]
    assert run_section["answer_latency_ms"]["count"] == 3
    assert run_section["node_status"]["frames_processed"] == "4"


def test_the_result_bag_reads_back_with_masks_answers_and_diagnostics(run) -> None:
    _, out = run
    store = interface_typestore()
    stamps, answers = [], []
    with Reader(out / "results") as reader:
        assert reader.topics["/diagnostics"].msgcount >= 1
        for connection, _, raw in reader.messages():
            msg = store.deserialize_cdr(raw, connection.msgtype)
            if connection.topic == "/unipixel/masks":
                stamps.append(msg.header.stamp.sec * 1_000_000_000 + msg.header.stamp.nanosec)
            elif connection.topic == "/unipixel/answers":
                answers.append(msg.query)
    assert stamps == list(load_query_spec(BAG / "queries.json").stamps_ns)
    assert answers == [
        "Which cup is graspable?",
        "Please segment the purple box.",
        "What colour is [0]?",
    ]


def test_the_report_says_which_backend_ran(run) -> None:
    _, out = run
    run_section = (out / "report.md").read_text().split("## Run")[1]
    assert (
        "backend llm compile, vision tower compile, sam2 image encoder compile, "
        "sam2 tracking compile"
    ) in run_section


def test_random_weights_are_announced_in_the_output_and_the_report(run) -> None:
    done, out = run
    assert "RANDOM weights" in done.stdout
    header = (out / "report.md").read_text().split("## Summary")[0]
    assert "RANDOM weights" in header


def test_a_truncated_bag_exits_with_code_2_and_a_clear_message(tmp_path: Path) -> None:
    bag = tmp_path / "truncated"
    bag.mkdir()
    for item in BAG.iterdir():
        data = item.read_bytes()
        (bag / item.name).write_bytes(data[: len(data) // 2] if item.suffix == ".mcap" else data)
    done = _eval(bag, "--model", "tiny-random", "--out", tmp_path / "out", timeout_s=120)
    assert done.returncode == 2, done.stdout + done.stderr
    assert f"bad bag: cannot open bag {bag}" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_spec_made_for_another_bag_exits_with_code_2(tmp_path: Path) -> None:
    spec = load_query_spec(BAG / "queries.json")
    shifted = tuple(stamp + 1 for stamp in spec.stamps_ns)
    path = save_query_spec(dataclasses.replace(spec, stamps_ns=shifted), tmp_path / "q.json")
    done = _eval(BAG, "--queries", path, "--model", "tiny-random", "--out", tmp_path / "out")
    assert done.returncode == 2, done.stdout + done.stderr
    assert "frame 0: stamp 1700000000000000000 in the bag, 1700000000000000001 in the spec" in (
        done.stderr
    )
    assert "Traceback" not in done.stderr
