"""Video-object-segmentation folders (DAVIS, Ref-DAVIS, MeViS layout) to rosbag2.

Expected layout (the ``480p`` level is optional)::

    ROOT/JPEGImages/[480p/]<video>/<frame>.jpg     colour frames, sorted by name
    ROOT/Annotations/[480p/]<video>/<frame>.png    palette PNGs: pixel = object id, 0 = none,
                                                   255 = void (written as 0)
    ROOT/meta_expressions.json                     optional referring expressions:
        {"videos": {"<video>": {"expressions": {"0": {"exp": "a dog running", "obj_id": "1"}}}}}
        (``obj_id`` may be a string, an int, or a list of ints as in MeViS)

Frames without an annotation PNG get no ground-truth message (DAVIS validation sets annotate
only the first frame). The bag has the colour image, camera_info (the dataset has no
intrinsics: a pinhole with ``fov_deg`` is assumed and the spec says so), and ground truth; no
depth and no TF. MeViS ships its masks as RLE in mask_dict.json; those are not read here.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, UnidentifiedImageError
from tqdm import tqdm

from unipixel_ros.errors import BadInputError, ConfigError
from unipixel_ros.evaluation.bags.layout import QUERIES_FILE_NAME, BagStorage, BagTopics
from unipixel_ros.evaluation.bags.writer import CameraBagWriter, WrittenBag
from unipixel_ros.evaluation.scoring.queries import (
    ClickSuggestion,
    ObjectRecord,
    Query,
    QueryKind,
    QuerySpec,
    save_query_spec,
)
from unipixel_ros.synthetic.camera import PinholeCamera
from unipixel_ros.synthetic.click_points import interior_points

__all__ = ["convert_vos_video", "list_vos_videos"]

_VOID_LABEL = 255
_DEFAULT_START_STAMP_NS = 1_700_000_000_000_000_000


def _media_dir(root: Path, kind: str) -> Path:
    """``ROOT/<kind>/480p`` when present, else ``ROOT/<kind>``."""
    nested = root / kind / "480p"
    return nested if nested.is_dir() else root / kind


def list_vos_videos(root: Path | str) -> list[str]:
    """Names of the videos under ``ROOT/JPEGImages``, sorted.

    Raises:
        ConfigError: ``ROOT/JPEGImages`` does not exist.
    """
    frames_dir = _media_dir(Path(root), "JPEGImages")
    if not frames_dir.is_dir():
        msg = f"{frames_dir} does not exist; expected a DAVIS-style folder with JPEGImages/"
        raise ConfigError(msg)
    return sorted(path.name for path in frames_dir.iterdir() if path.is_dir())


def convert_vos_video(
    root: Path | str,
    video: str,
    out: Path | str,
    *,
    storage: BagStorage = BagStorage.MCAP,
    frame_rate_hz: float = 24.0,
    fov_deg: float = 60.0,
    expressions_path: Path | None = None,
    topics: BagTopics | None = None,
    progress: bool = True,
) -> WrittenBag:
    """Convert one video to a bag with a ground-truth topic and a ``queries.json``.

    The spec gets one track query per referring expression (text, expected object ids) and one
    click track query per object, clicked on the first frame that shows it.

    Args:
        root: Dataset folder.
        video: Video name (a folder under JPEGImages).
        out: Bag directory to create; must not exist.
        storage: MCAP or sqlite3.
        frame_rate_hz: Stamps are spaced by this rate (DAVIS is 24 fps).
        fov_deg: Assumed horizontal field of view for camera_info.
        expressions_path: meta_expressions.json; ``ROOT/meta_expressions.json`` when None and
            that file exists.
        topics: Topic names; the defaults when None.
        progress: Show a tqdm progress bar.

    Raises:
        ConfigError: The video or an expressions file is missing or malformed.
        BadInputError: An annotation is not a palette/grey PNG or its size differs from its
            frame.
    """
    root = Path(root)
    frame_paths = sorted((_media_dir(root, "JPEGImages") / video).glob("*.jpg"))
    if not frame_paths:
        msg = f"no .jpg frames in {_media_dir(root, 'JPEGImages') / video}"
        raise ConfigError(msg)
    if frame_rate_hz <= 0.0:
        msg = f"frame_rate_hz must be > 0, got {frame_rate_hz}"
        raise ConfigError(msg)
    annotation_dir = _media_dir(root, "Annotations") / video
    topics = topics or BagTopics()
    period_ns = round(1e9 / frame_rate_hz)
    stamps: list[int] = []
    first_seen: dict[int, tuple[int, tuple[int, int]]] = {}
    camera: PinholeCamera | None = None
    out = Path(out)
    with CameraBagWriter(out, storage=storage, topics=topics) as writer:
        for index, frame_path in enumerate(
            tqdm(frame_paths, desc=f"converting {video}", unit="frame", disable=not progress)
        ):
            rgb = _read_rgb(frame_path)
            if camera is None:
                camera = PinholeCamera.from_horizontal_fov(
                    width=rgb.shape[1], height=rgb.shape[0], fov_deg=fov_deg
                )
            if rgb.shape[:2] != (camera.height, camera.width):
                msg = f"{frame_path} is {rgb.shape[1]}x{rgb.shape[0]}, the video's first frame "
                msg += f"is {camera.width}x{camera.height}"
                raise BadInputError(msg)
            labels = _read_annotation(annotation_dir / f"{frame_path.stem}.png", rgb.shape[:2])
            if labels is not None:
                for object_id, point in interior_points(labels).items():
                    first_seen.setdefault(object_id, (index, point))
            stamp = _DEFAULT_START_STAMP_NS + index * period_ns
            stamps.append(stamp)
            writer.write_frame(stamp_ns=stamp, rgb=rgb, camera=camera, instance_labels=labels)
    assert camera is not None  # frame_paths is not empty
    spec = QuerySpec(
        source="davis",
        seed=None,
        image_topic=topics.color,
        ground_truth_topic=topics.ground_truth,
        fixed_frame=None,
        width=camera.width,
        height=camera.height,
        stamps_ns=tuple(stamps),
        objects=tuple(
            ObjectRecord(object_id=object_id, attributes={"intrinsics": f"assumed {fov_deg} deg"})
            for object_id in sorted(first_seen)
        ),
        clicks=tuple(
            ClickSuggestion(object_id=object_id, frame_index=frame, point_px=point)
            for object_id, (frame, point) in sorted(first_seen.items())
        ),
        queries=tuple(
            _expression_queries(_load_expressions(root, video, expressions_path))
            + [
                Query(
                    query_id=f"click_{object_id}",
                    kind=QueryKind.TRACK,
                    frame_index=frame,
                    point_px=point,
                    expected_ids=(object_id,),
                )
                for object_id, (frame, point) in sorted(first_seen.items())
            ]
        ),
    )
    queries_path = save_query_spec(spec, out / QUERIES_FILE_NAME)
    return WrittenBag(path=out, queries_path=queries_path, frame_count=len(stamps), storage=storage)


def _read_rgb(path: Path) -> np.ndarray:
    try:
        with Image.open(path) as image:
            return np.asarray(image.convert("RGB"))
    except (OSError, UnidentifiedImageError) as err:
        msg = f"cannot read frame {path}: {err}"
        raise BadInputError(msg) from err


def _read_annotation(path: Path, size: tuple[int, ...]) -> np.ndarray | None:
    """Label image of a palette or grey PNG, void (255) as 0; None when the file is absent."""
    if not path.exists():
        return None
    try:
        with Image.open(path) as image:
            if image.mode not in ("P", "L", "I;16", "I"):
                msg = f"annotation {path} has mode {image.mode}; expected a palette or grey PNG"
                raise BadInputError(msg)
            labels = np.asarray(image).astype(np.uint16)
    except (OSError, UnidentifiedImageError) as err:
        msg = f"cannot read annotation {path}: {err}"
        raise BadInputError(msg) from err
    if labels.shape != tuple(size):
        msg = f"annotation {path} is {labels.shape}, its frame is {tuple(size)}"
        raise BadInputError(msg)
    labels[labels == _VOID_LABEL] = 0
    return labels


def _load_expressions(root: Path, video: str, path: Path | None) -> dict[str, Any]:
    """The video's ``expressions`` mapping, empty when there is no expressions file."""
    if path is None:
        path = root / "meta_expressions.json"
        if not path.exists():
            return {}
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        return dict(data["videos"].get(video, {}).get("expressions", {}))
    except FileNotFoundError as err:
        msg = f"expressions file {path} does not exist"
        raise ConfigError(msg) from err
    except (json.JSONDecodeError, KeyError, TypeError, AttributeError) as err:
        msg = f"expressions file {path} is malformed: {type(err).__name__}: {err}"
        raise ConfigError(msg) from err


def _expression_queries(expressions: dict[str, Any]) -> list[Query]:
    queries = []
    for key, entry in sorted(expressions.items(), key=lambda item: str(item[0])):
        object_ids = entry.get("obj_id")
        if object_ids is None:
            msg = f"expression {key!r} has no obj_id: {entry}"
            raise ConfigError(msg)
        if not isinstance(object_ids, list):
            object_ids = [object_ids]
        queries.append(
            Query(
                query_id=f"expression_{key}",
                kind=QueryKind.TRACK,
                text=str(entry["exp"]),
                expected_ids=tuple(int(i) for i in object_ids),
            )
        )
    return queries
