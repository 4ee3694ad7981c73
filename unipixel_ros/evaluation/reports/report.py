"""Write an evaluation's report.md, report.json, report.html, plots and pictures into one folder."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

# The Figure API with the Agg canvas draws to files without pyplot's global state or a display.
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from unipixel_ros.evaluation.reports.cells import json_number, markdown_cell
from unipixel_ros.evaluation.reports.html_report import write_html_report
from unipixel_ros.evaluation.reports.pictures import (
    OVERLAY_GIF_NAME,
    ReplayPictures,
    write_replay_gif,
    write_track_strips,
)
from unipixel_ros.evaluation.scoring.evaluate import EvaluationResult
from unipixel_ros.evaluation.scoring.queries import QueryKind

__all__ = ["REPORT_FORMAT", "ReportFiles", "report_json", "write_report"]

REPORT_FORMAT = "unipixel_ros.report/1"
RANDOM_WEIGHTS_WARNING = (
    "The model ran with RANDOM weights: these numbers test the pipeline, not UniPixel."
)
# Scores keep six decimals in report.json and show three in report.md.
_number = partial(json_number, digits=6)
_cell = partial(markdown_cell, digits=3)


@dataclass(frozen=True, kw_only=True)
class ReportFiles:
    """The files a report consists of.

    Args:
        markdown: report.md.
        json: report.json.
        iou_plot: Per-frame IoU (J) of every track, PNG.
        latency_plot: Latency histogram, PNG.
        html: report.html: the tables and every picture, in one file that needs no network.
        overlay_gif: Overlay animation with its timeline, None when no frames were given.
        track_strips: First / middle / last frames of every scored track, PNG each.
    """

    markdown: Path
    json: Path
    iou_plot: Path
    latency_plot: Path
    html: Path
    overlay_gif: Path | None = None
    track_strips: tuple[Path, ...] = ()


def report_json(result: EvaluationResult) -> dict[str, Any]:
    """The result as a JSON-compatible dict in format ``unipixel_ros.report/1``."""
    latency = result.latency
    return {
        "format": REPORT_FORMAT,
        "bag": result.bag,
        "model": result.model,
        "model_is_random": result.model_is_random,
        "created_utc": result.created_utc,
        "machine": result.machine,
        "summary": {
            "track_j": _number(result.track_j),
            "track_f": _number(result.track_f),
            "track_jf": _number(result.track_jf),
            "segment_ciou": _number(result.segment_ciou),
            "segment_giou": _number(result.segment_giou),
            "answer_accuracy": _number(result.answer_accuracy),
        },
        "latency": {
            "count": latency.count,
            "mean_ms": _number(latency.mean_ms),
            "p50_ms": _number(latency.p50_ms),
            "p90_ms": _number(latency.p90_ms),
            "p95_ms": _number(latency.p95_ms),
            "p99_ms": _number(latency.p99_ms),
            "max_ms": _number(latency.max_ms),
            "frames_sent": latency.frames_sent,
            "frames_dropped": latency.frames_dropped,
            "drop_rate": _number(latency.drop_rate),
        },
        "queries": [
            {
                "query_id": score.query_id,
                "kind": score.kind.value,
                "question": score.question,
                "expected": score.expected,
                "predicted": score.predicted,
                "correct": score.correct,
                "iou": _number(score.iou),
                "j_mean": None if score.track is None else _number(score.track.j_mean),
                "f_mean": None if score.track is None else _number(score.track.f_mean),
                "jf_mean": None if score.track is None else _number(score.track.jf_mean),
                "j_per_frame": None
                if score.track is None
                else [_number(v) for v in score.track.j_per_frame],
                "f_per_frame": None
                if score.track is None
                else [_number(v) for v in score.track.f_per_frame],
            }
            for score in result.queries
        ],
    }


def write_report(
    result: EvaluationResult,
    out_dir: Path | str,
    *,
    pictures: ReplayPictures | None = None,
) -> ReportFiles:
    """Write report.md, report.json, report.html, iou_per_frame.png, latency_histogram.png
    and, from ``pictures``, overlay.gif and one track_*.png per scored track.

    Args:
        result: The scored run.
        out_dir: Folder to write into (created if missing; files are overwritten).
        pictures: What the GIF and the track strips are drawn from; none without it.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    data = report_json(result)
    json_path = out_dir / "report.json"
    json_path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    iou_plot = _plot_track_iou(result, out_dir / "iou_per_frame.png")
    latency_plot = _plot_latency(result, out_dir / "latency_histogram.png")
    overlay_gif = None
    strips: tuple[Path, ...] = ()
    if pictures is not None:
        overlay_gif = write_replay_gif(out_dir / OVERLAY_GIF_NAME, pictures)
        strips = write_track_strips(out_dir, pictures.tracks)
    markdown = out_dir / "report.md"
    files = ReportFiles(
        markdown=markdown,
        json=json_path,
        iou_plot=iou_plot,
        latency_plot=latency_plot,
        html=out_dir / "report.html",
        overlay_gif=overlay_gif,
        track_strips=strips,
    )
    markdown.write_text(_markdown(data, files), encoding="utf-8")
    write_html_report(files, data)
    return files


def _plot_track_iou(result: EvaluationResult, path: Path) -> Path:
    figure = Figure(figsize=(7, 3.5), dpi=100)
    FigureCanvasAgg(figure)
    axes = figure.subplots()
    tracks = [
        (score.query_id, score.track)
        for score in result.queries
        if score.kind is QueryKind.TRACK and score.track is not None
    ]
    for query_id, track in tracks:
        axes.plot(track.j_per_frame, marker=".", label=query_id)
    if tracks:
        axes.legend(fontsize="small", ncol=2)
    else:
        axes.text(0.5, 0.5, "no track queries", ha="center", va="center")
    axes.set_xlabel("frame (from the query's frame)")
    axes.set_ylabel("IoU (J)")
    axes.set_ylim(-0.02, 1.02)
    axes.set_title("Per-frame IoU of tracked objects")
    axes.grid(alpha=0.3)
    figure.tight_layout()
    figure.savefig(path)
    return path


def _plot_latency(result: EvaluationResult, path: Path) -> Path:
    figure = Figure(figsize=(7, 3.5), dpi=100)
    FigureCanvasAgg(figure)
    axes = figure.subplots()
    if result.latencies_ms:
        axes.hist(result.latencies_ms, bins=min(30, max(5, len(result.latencies_ms) // 2)))
        for name, value in (("p50", result.latency.p50_ms), ("p95", result.latency.p95_ms)):
            axes.axvline(value, color="k", linestyle="--", linewidth=1)
            axes.text(value, axes.get_ylim()[1] * 0.95, f" {name} {value:.1f} ms", fontsize=8)
    else:
        axes.text(0.5, 0.5, "no latencies measured", ha="center", va="center")
    axes.set_xlabel("latency (ms)")
    axes.set_ylabel("frames")
    axes.set_title("Per-frame latency")
    figure.tight_layout()
    figure.savefig(path)
    return path


def _markdown(data: dict[str, Any], files: ReportFiles) -> str:
    summary = data["summary"]
    latency = data["latency"]
    lines = [
        "# UniPixel evaluation report",
        "",
        f"- bag: `{data['bag']}`",
        f"- model: `{data['model']}`",
        f"- made: {data['created_utc']} on {data['machine']}",
        "",
    ]
    if data["model_is_random"]:
        lines += [f"> **Warning.** {RANDOM_WEIGHTS_WARNING}", ""]
    lines += [
        "## Summary",
        "",
        "| metric | value |",
        "|---|---|",
        f"| J (tracks) | {_cell(summary['track_j'])} |",
        f"| F (tracks) | {_cell(summary['track_f'])} |",
        f"| J&F (tracks) | {_cell(summary['track_jf'])} |",
        f"| cIoU (segment queries) | {_cell(summary['segment_ciou'])} |",
        f"| gIoU (segment queries) | {_cell(summary['segment_giou'])} |",
        f"| answer accuracy | {_cell(summary['answer_accuracy'])} |",
        "",
        "## Latency",
        "",
        "| frames sent | dropped | p50 ms | p90 ms | p95 ms | p99 ms | max ms |",
        "|---|---|---|---|---|---|---|",
        f"| {latency['frames_sent']} | {latency['frames_dropped']} | "
        f"{_cell(latency['p50_ms'])} | {_cell(latency['p90_ms'])} | {_cell(latency['p95_ms'])} | "
        f"{_cell(latency['p99_ms'])} | {_cell(latency['max_ms'])} |",
        "",
        "## Queries",
        "",
        "| id | kind | question | expected | answer | correct | IoU | J&F |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for query in data["queries"]:
        lines.append(
            f"| {query['query_id']} | {query['kind']} | {_cell(query['question'])} | "
            f"{_cell(query['expected'])} | {_cell(query['predicted'])} | "
            f"{_cell(query['correct'])} | {_cell(query['iou'])} | {_cell(query['jf_mean'])} |"
        )
    lines += [
        "",
        "## Plots",
        "",
        "![per-frame IoU](iou_per_frame.png)",
        "",
        "![latency histogram](latency_histogram.png)",
        "",
    ]
    if files.overlay_gif is not None:
        lines += [
            f"![overlay]({files.overlay_gif.name})",
            "",
            "Under each frame, the timeline: a triangle where a query was asked, a dot where "
            "its answer was computed (a cross: it failed).",
            "",
        ]
    if files.track_strips:
        lines += ["## Tracks", ""]
        lines += [f"![{path.stem}]({path.name})\n" for path in files.track_strips]
    lines += ["The same report with every picture in one file: report.html.", ""]
    return "\n".join(lines)
