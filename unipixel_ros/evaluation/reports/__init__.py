"""Reports of an evaluation: JSON, Markdown, HTML, plots, the overlay GIF and track strips."""

from __future__ import annotations

from unipixel_ros.evaluation.reports.cells import json_number, markdown_cell
from unipixel_ros.evaluation.reports.html_report import write_html_report
from unipixel_ros.evaluation.reports.pictures import (
    AnswerEvent,
    ReplayPictures,
    TrackPicture,
    track_pictures,
    write_replay_gif,
    write_track_strips,
)
from unipixel_ros.evaluation.reports.report import (
    REPORT_FORMAT,
    ReportFiles,
    report_json,
    write_report,
)
from unipixel_ros.evaluation.reports.run_notes import run_notes
from unipixel_ros.evaluation.reports.run_report import (
    RequestRecord,
    RunDetails,
    run_json,
    write_run_report,
)

__all__ = [
    "REPORT_FORMAT",
    "AnswerEvent",
    "ReplayPictures",
    "ReportFiles",
    "RequestRecord",
    "RunDetails",
    "TrackPicture",
    "json_number",
    "markdown_cell",
    "report_json",
    "run_json",
    "run_notes",
    "track_pictures",
    "write_html_report",
    "write_replay_gif",
    "write_report",
    "write_run_report",
    "write_track_strips",
]
