"""report.html opened in a real headless Chromium: its tables and every picture render.

Needs Chromium (Debian's ``chromium``; ``.ci/run`` installs it) and the ``playwright`` package
(requirements-dev.txt), which drives the system browser: nothing is downloaded. Without either
the browser test is skipped, and says why.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
import pytest
import report_fixtures as fx
from PIL import Image

from unipixel_ros.evaluation.reports.run_report import write_run_report

# Tables of a run report: Summary, Latency, Queries, Answers, Answer latency.
RUN_REPORT_TABLES = 5


def _chromium() -> str:
    for candidate in (os.environ.get("UNIPIXEL_CHROMIUM"), "chromium", "chromium-browser"):
        path = shutil.which(candidate) if candidate else None
        if path:
            return path
    pytest.skip("no Chromium here (apt-get install chromium; CI does); report.html not opened")


@pytest.fixture(scope="module")
def browser():
    executable = _chromium()
    sync_api = pytest.importorskip(
        "playwright.sync_api", reason="playwright is not installed (requirements-dev.txt)"
    )
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=["--no-sandbox"])
        yield browser
        browser.close()


def test_report_html_is_one_file_that_needs_no_network(tmp_path: Path) -> None:
    files = write_run_report(fx.result(), fx.details(tmp_path), tmp_path, pictures=fx.pictures())
    text = files.html.read_text(encoding="utf-8")
    assert "http://" not in text and "https://" not in text and "<script" not in text
    assert text.count('src="data:image/') == 4  # two plots, the GIF, one track strip
    assert "a note &lt;for&gt; the reader" in text  # escaped


def test_report_html_renders_its_tables_and_pictures_in_chromium(tmp_path: Path, browser) -> None:
    files = write_run_report(fx.result(), fx.details(tmp_path), tmp_path, pictures=fx.pictures())
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    try:
        page.goto(files.html.as_uri())
        page.wait_for_load_state("load")
        page.screenshot(path=str(tmp_path / "report.png"), full_page=True)
        tables = page.evaluate(
            """() => [...document.querySelectorAll('table')].map(t => ({
                rows: t.rows.length, height: t.getBoundingClientRect().height,
                first: t.rows[1] ? t.rows[1].cells[0].textContent : ''}))"""
        )
        images = page.evaluate(
            """() => [...document.images].map(i => ({
                file: i.dataset.file, complete: i.complete,
                width: i.naturalWidth, height: i.naturalHeight,
                shown: i.getBoundingClientRect().width}))"""
        )
    finally:
        page.close()
    assert len(tables) == RUN_REPORT_TABLES
    assert all(t["rows"] >= 2 and t["height"] > 0 for t in tables)
    assert tables[0]["first"] == "J (tracks)" and tables[2]["first"] == "which"
    expected = [files.iou_plot, files.latency_plot, files.overlay_gif, *files.track_strips]
    assert [i["file"] for i in images] == [path.name for path in expected]
    for shown, path in zip(images, expected, strict=True):
        with Image.open(path) as image:
            assert (shown["width"], shown["height"]) == image.size, path.name
        assert shown["complete"] and shown["shown"] > 0
    with Image.open(tmp_path / "report.png") as screenshot:
        pixels = np.asarray(screenshot.convert("RGB"))
    assert pixels.shape[1] == 1280 and pixels.shape[0] > 900  # the whole, long page
    assert pixels.std() > 10  # not a blank page
