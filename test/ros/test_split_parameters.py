"""The split deployment's parameters: the shipped file holds the defaults; bad values are named."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from unipixel_ros.errors import ConfigError
from unipixel_ros.ros.split_parameters import ReasonerParameters, TrackerLinkParameters

pytestmark = pytest.mark.ros

SPLIT_YAML = Path(__file__).parents[2] / "config" / "split.yaml"


@pytest.mark.parametrize(
    ("node", "kind"),
    [("unipixel", TrackerLinkParameters), ("unipixel_reasoner", ReasonerParameters)],
)
def test_the_shipped_split_file_sets_every_parameter_to_its_default(node: str, kind: type) -> None:
    values = yaml.safe_load(SPLIT_YAML.read_text())[node]["ros__parameters"]
    assert set(values) == set(kind.__dataclass_fields__)
    assert kind(**values) == kind()


@pytest.mark.parametrize(
    ("values", "match"),
    [
        ({"reasoner_frames": "png"}, r"reasoner_frames is 'png'; use one of \['jpeg', 'raw'\]"),
        ({"reasoner_masks": "bmp"}, r"reasoner_masks is 'bmp'"),
        ({"reasoner_jpeg_quality": 0}, "must be in 1..100"),
        ({"reasoner_connect_timeout_s": 0.0}, "must be > 0"),
        ({"reasoner_action": "reason"}, "give an absolute name"),
    ],
)
def test_a_bad_tracker_link_value_is_refused_with_its_name(values: dict, match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        TrackerLinkParameters(**values)


def test_a_bad_reasoner_value_is_refused_with_its_name() -> None:
    with pytest.raises(ConfigError, match="backend is 'fast'"):
        ReasonerParameters(backend="fast")
    with pytest.raises(ConfigError, match="max_pending_requests is 0"):
        ReasonerParameters(max_pending_requests=0)
