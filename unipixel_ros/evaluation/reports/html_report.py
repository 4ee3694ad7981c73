"""report.html: the report's tables and pictures in one self-contained file for a browser.

Every image is embedded as a data URI (``data-file`` names the file beside it), the style is
inline, and there is no script and no link: the file opens the same offline, mailed or archived.
"""

from __future__ import annotations

import base64
import html
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from unipixel_ros.evaluation.reports.cells import markdown_cell

if TYPE_CHECKING:
    from unipixel_ros.evaluation.reports.report import ReportFiles

__all__ = ["write_html_report"]

_MIME = {".png": "image/png", ".gif": "image/gif"}
_STYLE = """
body { font-family: sans-serif; margin: 1.5em auto; max-width: 1400px; padding: 0 1em;
       color: #1d1d1f; background: #fafafa; }
table { border-collapse: collapse; margin: 0.5em 0 1.5em; }
th, td { border: 1px solid #c8c8cc; padding: 0.25em 0.6em; text-align: left;
         vertical-align: top; }
th { background: #ececf0; }
td.number { text-align: right; font-variant-numeric: tabular-nums; }
.warning { background: #ffe3e3; border: 2px solid #c00000; padding: 0.6em 1em;
           font-weight: bold; }
figure { margin: 0.5em 0 1.5em; }
figure img { max-width: 100%; height: auto; border: 1px solid #c8c8cc; }
figcaption { color: #555; font-size: 0.9em; }
"""


def write_html_report(files: ReportFiles, data: dict[str, Any]) -> Path:
    """Write ``files.html`` from report.json's ``data`` and the pictures in ``files``."""
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        "<title>UniPixel evaluation report</title>",
        f"<style>{_STYLE}</style></head><body>",
        "<h1>UniPixel evaluation report</h1>",
        "<ul>",
        f"<li>bag: <code>{_text(data['bag'])}</code></li>",
        f"<li>model: <code>{_text(data['model'])}</code></li>",
        f"<li>made: {_text(data['created_utc'])} on {_text(data['machine'])}</li>",
        "</ul>",
    ]
    if data["model_is_random"]:
        parts.append(
            '<p class="warning">The model ran with RANDOM weights: these numbers test the '
            "pipeline, not UniPixel.</p>"
        )
    summary, latency = data["summary"], data["latency"]
    parts += _section(
        "Summary",
        ("metric", "value"),
        [
            ("J (tracks)", summary["track_j"]),
            ("F (tracks)", summary["track_f"]),
            ("J&F (tracks)", summary["track_jf"]),
            ("cIoU (segment queries)", summary["segment_ciou"]),
            ("gIoU (segment queries)", summary["segment_giou"]),
            ("answer accuracy", summary["answer_accuracy"]),
        ],
    )
    parts += _section(
        "Latency",
        ("frames sent", "dropped", "p50 ms", "p90 ms", "p95 ms", "p99 ms", "max ms"),
        [
            tuple(
                latency[key]
                for key in (
                    "frames_sent",
                    "frames_dropped",
                    "p50_ms",
                    "p90_ms",
                    "p95_ms",
                    "p99_ms",
                    "max_ms",
                )
            )
        ],
    )
    parts += _section(
        "Queries",
        ("id", "kind", "question", "expected", "answer", "correct", "IoU", "J&F"),
        [
            (
                q["query_id"],
                q["kind"],
                q["question"],
                q["expected"],
                q["predicted"],
                q["correct"],
                q["iou"],
                q["jf_mean"],
            )
            for q in data["queries"]
        ],
    )
    run = data.get("run")
    if run is not None:
        parts += _run_sections(run)
    parts.append("<h2>Plots</h2>")
    parts.append(_figure(files.iou_plot, "Per-frame IoU (J) of every track."))
    parts.append(_figure(files.latency_plot, "Per-frame latency."))
    if files.overlay_gif is not None:
        parts.append("<h2>Overlay</h2>")
        parts.append(
            _figure(
                files.overlay_gif,
                "The node's overlay on every frame; under it the timeline: a triangle where a "
                "query was asked, a dot where its answer was computed, a cross where it failed.",
            )
        )
    if files.track_strips:
        parts.append("<h2>Tracks</h2>")
        parts += [
            _figure(
                path,
                "First, middle and last scored frames: the prediction filled, the "
                "ground truth outlined in white.",
            )
            for path in files.track_strips
        ]
    parts.append("</body></html>")
    files.html.write_text("\n".join(parts) + "\n", encoding="utf-8")
    return files.html


def _run_sections(run: dict[str, Any]) -> list[str]:
    rows = []
    for r in run["requests"]:
        reply = (r["answer"].strip() or "(empty answer)") if r["success"] else r["message"]
        if r["success"] and r["service"] == "add_objects":
            reply = f"objects {r['object_ids']}"
        rows.append(
            (
                r["query_id"],
                r["service"],
                r["request"],
                r["success"],
                reply,
                r["frame_index"],
                r["total_ms"],
                r["round_trip_ms"],
            )
        )
    parts = _section(
        "Answers",
        (
            "id",
            "service",
            "request",
            "ok",
            "answer or message",
            "frame",
            "node ms",
            "round trip ms",
        ),
        rows,
    )
    latency = run["answer_latency_ms"]
    parts += _section(
        "Answer latency",
        ("answers", "p50 ms", "p90 ms", "p95 ms", "max ms"),
        [tuple(latency[key] for key in ("count", "p50", "p90", "p95", "max"))],
    )
    facts = [
        f"model_path: <code>{_text(run['model_path'])}</code>; the node reports: "
        f"{_text(run['model_description'])}",
        f"replay: {_text(run['replay'])}, {_text(run['duration_s'])} s",
        f"result bag: <code>{_text(run['result_bag'])}</code>",
        f"failed requests: {_text(run['requests_failed'])}",
        *(_text(note) for note in run["notes"]),
    ]
    return [*parts, "<h2>Run</h2>", "<ul>", *(f"<li>{fact}</li>" for fact in facts), "</ul>"]


def _section(title: str, header: Sequence[str], rows: Sequence[Sequence[Any]]) -> list[str]:
    head = "".join(f"<th>{_text(name)}</th>" for name in header)
    body = [
        "<tr>"
        + "".join(
            f'<td class="number">{_cell(v)}</td>'
            if isinstance(v, (int, float)) and not isinstance(v, bool)
            else f"<td>{_cell(v)}</td>"
            for v in row
        )
        + "</tr>"
        for row in rows
    ]
    return [f"<h2>{_text(title)}</h2>", f"<table><tr>{head}</tr>", *body, "</table>"]


def _figure(path: Path, caption: str) -> str:
    encoded = base64.b64encode(path.read_bytes()).decode("ascii")
    mime = _MIME.get(path.suffix.lower(), "application/octet-stream")
    return (
        f'<figure><img src="data:{mime};base64,{encoded}" data-file="{_text(path.name)}" '
        f'alt="{_text(path.stem)}"><figcaption>{_text(caption)}</figcaption></figure>'
    )


def _cell(value: Any) -> str:
    return _text(markdown_cell(value, digits=3).replace("\\|", "|"))


def _text(value: Any) -> str:
    return html.escape(str(value))
