"""The live node fixture of the reliability graph tests (helpers in live_node.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from live_node import Live, start_live, stop_live


# Module scope: every graph-test module talks to "/unipixel", so no node may outlive its module.
@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    running = start_live(tmp_path_factory.mktemp("live") / "node.log")
    try:
        yield running
    finally:
        code, text = stop_live(running)
        assert code == 0, text
        assert "Traceback" not in text, text
