"""Corrupt and truncated bags given to the evaluation reader and to the bag player.

Each example damages one file of a small valid bag (MCAP, plain or zstd-compressed, or sqlite3):
truncation, flipped bytes, a mangled metadata.yaml, or random bytes. `read_bag_frames` and
`play_bag` must then either still work or raise `BagError` with a message; any other exception
is a failure. The examples are derandomized (the same on every run). A wider random search
(600 damages, 2026-11-23) found six kinds of escapes from `read_bag_frames` (fixed since); they
stay pinned in `test_read_bag_frames_turns_every_corruption_into_bag_error`.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import rclpy
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from rclpy.node import Node

from unipixel_ros.errors import BagError
from unipixel_ros.evaluation.bags.reader import read_bag_frames
from unipixel_ros.ros.evaluation.frame_replay import message_class, play_bag
from unipixel_ros.synthetic.sample_bag import generate_sample_bag

pytestmark = pytest.mark.ros

FUZZ = settings(
    max_examples=30,
    deadline=None,
    database=None,
    derandomize=True,  # the same damages on every run
    phases=[Phase.explicit, Phase.generate],  # no shrinking: a failure names its damage
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
KINDS = ("mcap", "mcap-zstd", "sqlite3")
# tf2_msgs is not installed in the pip-only ROS prefix, so the player replays the camera topics.
CAMERA_TOPICS = (
    "/camera/color/image_raw",
    "/camera/color/camera_info",
    "/camera/aligned_depth_to_color/image_raw",
)
_TYPES = dict(
    zip(
        CAMERA_TOPICS,
        ("sensor_msgs/msg/Image", "sensor_msgs/msg/CameraInfo", "sensor_msgs/msg/Image"),
        strict=True,
    )
)
REMAP = {topic: f"/reliability/fuzz_bag{topic}" for topic in CAMERA_TOPICS}


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("bags")
    bags = {}
    for kind in KINDS:
        storage = kind.split("-")[0]
        bags[kind] = generate_sample_bag(
            root / kind,
            frames=3,
            storage=storage,
            width=32,
            height=24,
            compress=kind.endswith("zstd"),
            progress=False,
        ).path
    return bags


@pytest.fixture(scope="module")
def player() -> Iterator[Node]:
    if not rclpy.ok():
        rclpy.init()
    node = Node("reliability_bag_player")
    # play_bag waits for its publishers to match a subscriber: give each remapped topic one.
    for topic in CAMERA_TOPICS:
        node.create_subscription(message_class(_TYPES[topic]), REMAP[topic], lambda _m: None, 10)
    yield node
    node.destroy_node()


def _storage_file(bag: Path) -> Path:
    return next(p for p in bag.iterdir() if p.suffix in (".mcap", ".db3"))


def _damage(bag: Path, data: st.DataObject) -> str:
    """Damage one file of ``bag`` in place; returns what was done (for failure reports)."""
    target = data.draw(st.sampled_from(["storage", "storage", "storage", "metadata"]), label="file")
    path = _storage_file(bag) if target == "storage" else bag / "metadata.yaml"
    content = bytearray(path.read_bytes())
    how = data.draw(st.sampled_from(["truncate", "flip", "replace", "delete"]), label="how")
    if how == "truncate":
        keep = data.draw(st.integers(0, len(content) - 1), label="keep")
        path.write_bytes(bytes(content[:keep]))
        return f"{path.name} truncated to {keep} of {len(content)} bytes"
    if how == "flip":
        spots = data.draw(st.lists(st.integers(0, len(content) - 1), min_size=1, max_size=16))
        for spot in spots:
            content[spot] ^= data.draw(st.integers(1, 255), label="xor")
        path.write_bytes(bytes(content))
        return f"{path.name} with bytes flipped at {spots}"
    if how == "replace":
        path.write_bytes(data.draw(st.binary(max_size=512), label="bytes"))
        return f"{path.name} replaced by random bytes"
    path.unlink()
    return f"{path.name} deleted"


def _copy(bag: Path, into: str) -> Path:
    target = Path(into) / bag.name
    shutil.copytree(bag, target)
    return target


@FUZZ
@given(st.sampled_from(KINDS), st.data())
def test_read_bag_frames_on_a_damaged_bag_works_or_raises_bag_error(
    pristine: dict[str, Path], kind: str, data: st.DataObject
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        bag = _copy(pristine[kind], tmp)
        what = _damage(bag, data)
        try:
            frames = list(read_bag_frames(bag))
        except BagError as err:
            assert str(bag) in str(err), (what, err)
            return
        assert all(f.rgb.ndim == 3 for f in frames), what


@settings(FUZZ, max_examples=15)  # each replay waits for discovery; fewer examples
@given(st.sampled_from(KINDS), st.data())
def test_play_bag_on_a_damaged_bag_works_or_raises_bag_error(
    pristine: dict[str, Path], player: Node, kind: str, data: st.DataObject
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        bag = _copy(pristine[kind], tmp)
        what = _damage(bag, data)
        try:
            stats = play_bag(player, bag, remap=REMAP, topics=CAMERA_TOPICS, rate=0.0)
        except BagError as err:
            assert str(bag) in str(err) or "bag" in str(err), (what, err)
            return
        assert stats.messages >= 0, what


@pytest.mark.parametrize(
    ("kind", "offset", "escaped"),
    [  # one inverted byte of the (deterministic) sample bag, and what escaped on 2026-11-23
        ("mcap", 1541, "SerdeError"),
        ("mcap", 2967, "BadInputError"),
        ("mcap", 7130, "OverflowError"),
        ("mcap", 32430, "MemoryError"),
        ("mcap-zstd", 104, "ZstdError"),
        ("sqlite3", 24586, "CorruptError"),
    ],
)
def test_read_bag_frames_turns_every_corruption_into_bag_error(
    pristine: dict[str, Path], tmp_path: Path, kind: str, offset: int, escaped: str
) -> None:
    bag = _copy(pristine[kind], str(tmp_path))
    storage = _storage_file(bag)
    content = bytearray(storage.read_bytes())
    content[offset] ^= 0xFF
    storage.write_bytes(bytes(content))
    with pytest.raises(BagError, match="corrupt"):
        list(read_bag_frames(bag))


def test_the_undamaged_bags_read_and_play_in_full(pristine: dict[str, Path], player: Node) -> None:
    for bag in pristine.values():
        assert len(list(read_bag_frames(bag))) == 3
        stats = play_bag(player, bag, remap=REMAP, topics=CAMERA_TOPICS, rate=0.0)
        assert stats.messages == 3 * len(CAMERA_TOPICS)


@pytest.mark.parametrize("name", ["", "missing_bag", "metadata.yaml"])
def test_a_path_that_is_no_bag_raises_bag_error(tmp_path: Path, player: Node, name: str) -> None:
    path = tmp_path / name
    if name == "metadata.yaml":
        path.write_text("rosbag2_bagfile_information: {version: 9}\n")
    with pytest.raises(BagError, match=str(path.name) or "cannot"):
        list(read_bag_frames(path))
    with pytest.raises(BagError):
        play_bag(player, path, topics=CAMERA_TOPICS, rate=0.0)
