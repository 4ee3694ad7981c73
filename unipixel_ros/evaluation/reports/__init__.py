"""Reports of an evaluation: JSON, Markdown and plots of scores and of a live run."""

from __future__ import annotations

from unipixel_ros.evaluation.reports.cells import json_number, markdown_cell
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
    "ReportFiles",
    "RequestRecord",
    "RunDetails",
    "json_number",
    "markdown_cell",
    "report_json",
    "run_json",
    "run_notes",
    "write_report",
    "write_run_report",
]
