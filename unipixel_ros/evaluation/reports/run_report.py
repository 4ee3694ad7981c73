"""The report of a replay through the node: the scores of :func:`write_report`, plus the
requests sent, their answers and timings, and how the run was made.

``report.json`` gains a ``run`` section (the scores' sections are unchanged); ``report.md`` and
``report.html`` gain "Answers", "Answer latency" and "Run" sections.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from unipixel_ros.evaluation.reports.cells import json_number, markdown_cell
from unipixel_ros.evaluation.reports.html_report import write_html_report
from unipixel_ros.evaluation.reports.pictures import ReplayPictures
from unipixel_ros.evaluation.reports.report import ReportFiles, write_report
from unipixel_ros.evaluation.scoring.evaluate import EvaluationResult
from unipixel_ros.evaluation.scoring.metrics import summarize_latency

__all__ = ["RequestRecord", "RunDetails", "run_json", "write_run_report"]

# Node diagnostics shown in the report, in this order.
_NODE_KEYS = (
    "frames_received",
    "frames_processed",
    "frames_dropped",
    "frames_rejected",
    "latency_p50_ms",
    "latency_p95_ms",
    "requests_done",
    "requests_rejected_busy",
    "backend",
)
_PLOTS_HEADING = "## Plots"
# Milliseconds keep three decimals in report.json and show one in report.md; long answers are
# cut to one short line.
_number = partial(json_number, digits=3)
_cell = partial(markdown_cell, digits=1, width=80)


@dataclass(frozen=True, kw_only=True)
class RequestRecord:
    """One request the evaluation sent to the node, and what came back.

    Args:
        query_id: The spec's query the request served.
        service: The node's service: "query", "add_objects" or "describe".
        request: What was asked: the text sent, or "click (u, v)".
        success: The response's success flag.
        message: The response's message (the reason when it failed).
        answer: The answer text; empty for add_objects and failures.
        frame_index: Frame the answer was computed on (by its stamp), None when unknown.
        object_ids: The node's ids of the objects the response named.
        total_ms: The node's time from request received to answer ready (Answer.total_ms),
            None without an answer.
        model_ms: The node's model time (Answer.model_ms), None without an answer.
        round_trip_ms: Request sent to response received, measured by the caller.
    """

    query_id: str
    service: str
    request: str
    success: bool
    message: str
    answer: str = ""
    frame_index: int | None = None
    object_ids: tuple[int, ...] = ()
    total_ms: float | None = None
    model_ms: float | None = None
    round_trip_ms: float = 0.0


@dataclass(frozen=True, kw_only=True)
class RunDetails:
    """How a replay was made.

    Args:
        model_path: The node's ``model_path`` parameter.
        model_description: The model as the node describes it in its diagnostics.
        rate: Replay speed factor; 0 means each frame waited for the node's output.
        result_bag: The MCAP bag holding every output of the node.
        requests: Every request sent, in order.
        node_status: The node's last diagnostics key/values.
        duration_s: Wall time of the replay, seconds.
        notes: Facts a reader needs to interpret the numbers.
    """

    model_path: str
    model_description: str
    rate: float
    result_bag: Path
    requests: tuple[RequestRecord, ...]
    node_status: Mapping[str, str] = field(default_factory=dict)
    duration_s: float = 0.0
    notes: tuple[str, ...] = ()


def run_json(details: RunDetails) -> dict[str, Any]:
    """The ``run`` section of report.json."""
    answered = [r.total_ms for r in details.requests if r.total_ms is not None]
    latency = summarize_latency([ms / 1000.0 for ms in answered], frames_sent=len(answered))
    round_trips = np.array([r.round_trip_ms for r in details.requests], dtype=np.float64)
    return {
        "model_path": details.model_path,
        "model_description": details.model_description,
        "replay": "as fast as the node takes it" if details.rate == 0 else f"x{details.rate:g}",
        "rate": details.rate,
        "duration_s": _number(details.duration_s),
        "result_bag": str(details.result_bag),
        "answer_latency_ms": {
            "count": latency.count,
            "p50": _number(latency.p50_ms),
            "p90": _number(latency.p90_ms),
            "p95": _number(latency.p95_ms),
            "max": _number(latency.max_ms),
        },
        "request_round_trip_ms": {
            "count": int(round_trips.size),
            "p50": _number(float(np.percentile(round_trips, 50))) if round_trips.size else None,
            "max": _number(float(round_trips.max())) if round_trips.size else None,
        },
        "requests_failed": sum(not r.success for r in details.requests),
        "requests": [
            {
                "query_id": r.query_id,
                "service": r.service,
                "request": r.request,
                "success": r.success,
                "message": r.message,
                "answer": r.answer,
                "frame_index": r.frame_index,
                "object_ids": list(r.object_ids),
                "total_ms": _number(r.total_ms),
                "model_ms": _number(r.model_ms),
                "round_trip_ms": _number(r.round_trip_ms),
            }
            for r in details.requests
        ],
        "node_status": dict(details.node_status),
        "notes": list(details.notes),
    }


def write_run_report(
    result: EvaluationResult,
    details: RunDetails,
    out_dir: Path | str,
    *,
    pictures: ReplayPictures | None = None,
) -> ReportFiles:
    """:func:`write_report`, then the run's sections added to report.json, report.md and
    report.html.

    Args:
        result: The scored run.
        details: How the run was made and what the node answered.
        out_dir: Folder to write into (created if missing; files are overwritten).
        pictures: What the GIF and the track strips are drawn from; none without it.
    """
    files = write_report(result, out_dir, pictures=pictures)
    data = json.loads(files.json.read_text(encoding="utf-8"))
    data["run"] = run_json(details)
    files.json.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    markdown = files.markdown.read_text(encoding="utf-8")
    sections = _run_markdown(data["run"])
    head, plots, tail = markdown.partition(_PLOTS_HEADING)
    markdown = head + sections + plots + tail if plots else markdown + "\n" + sections
    files.markdown.write_text(markdown, encoding="utf-8")
    write_html_report(files, data)
    return files


def _run_markdown(run: dict[str, Any]) -> str:
    latency = run["answer_latency_ms"]
    lines = [
        "## Answers",
        "",
        "| id | service | request | ok | answer or message | frame | node ms | round trip ms |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in run["requests"]:
        reply = (r["answer"].strip() or "(empty answer)") if r["success"] else r["message"]
        if r["success"] and r["service"] == "add_objects":
            reply = f"objects {r['object_ids']}"
        lines.append(
            f"| {r['query_id']} | {r['service']} | {_cell(r['request'])} | {_cell(r['success'])} "
            f"| {_cell(reply)} | {_cell(r['frame_index'])} | {_cell(r['total_ms'])} "
            f"| {_cell(r['round_trip_ms'])} |"
        )
    lines += [
        "",
        "## Answer latency",
        "",
        "Request received to answer ready, as the node measures it (Answer.total_ms).",
        "",
        "| answers | p50 ms | p90 ms | p95 ms | max ms |",
        "|---|---|---|---|---|",
        f"| {latency['count']} | {_cell(latency['p50'])} | {_cell(latency['p90'])} | "
        f"{_cell(latency['p95'])} | {_cell(latency['max'])} |",
        "",
        "## Run",
        "",
        f"- model_path: `{run['model_path']}`; the node reports: {run['model_description']}",
        f"- replay: {run['replay']}, {_cell(run['duration_s'])} s",
        f"- result bag: `{run['result_bag']}`",
        f"- failed requests: {run['requests_failed']}",
    ]
    status = run["node_status"]
    shown = [f"{key} {status[key]}" for key in _NODE_KEYS if key in status]
    if shown:
        lines.append(f"- node diagnostics at the end: {', '.join(shown)}")
    lines += [f"- {note}" for note in run["notes"]]
    return "\n".join(lines) + "\n\n"
