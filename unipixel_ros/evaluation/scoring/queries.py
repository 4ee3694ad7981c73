"""The query spec that travels beside a bag as ``queries.json``.

Format ``unipixel_ros.queries/1`` (all pixel coordinates are (u, v) = (column, row) in the colour
image, all positions metres in the ``fixed_frame``)::

    {
      "format": "unipixel_ros.queries/1",
      "source": "synthetic" | "davis",      # what made the bag
      "seed": 7,                             # null for converted datasets
      "image_topic": "/camera/color/image_raw",
      "ground_truth_topic": "/ground_truth/instances",
      "fixed_frame": "table",                # null when the bag has no TF
      "width": 640, "height": 480,
      "frame_count": 30,
      "stamps_ns": [...],                    # header stamp of every frame, in order
      "objects": [
        {"object_id": 1, "kind": "cup", "colour": "red", "has_handle": true,
         "upright": true, "position_m": [x, y, z], "yaw_rad": 0.4,
         "attributes": {"graspable": true, "occluded_fraction": 0.0, ...}}
      ],
      "clicks": [{"object_id": 1, "frame_index": 0, "point_px": [u, v]}],
      "queries": [
        {"query_id": "graspable_cup", "kind": "segment", "frame_index": 0,
         "text": "Which cup is graspable?", "expected_ids": [1]},
        {"query_id": "click_3", "kind": "track", "frame_index": 0, "text": null,
         "point_px": [u, v], "expected_ids": [3]},
        {"query_id": "kind_of_3", "kind": "choice", "frame_index": 0,
         "text": "What kind of object is <region>?", "point_px": [u, v],
         "region_id": 3, "options": ["cup", "bowl", "box"], "answer": "bowl"}
      ]
    }

Query kinds:

* ``segment``: a language query asked on ``frame_index``; the answer is the set of objects in
  ``expected_ids`` (scored by cIoU/gIoU on that frame and by exact id-set correctness).
* ``track``: a prompt (text or click ``point_px``) on ``frame_index``, then tracked to the end;
  scored by J, F and J&F against ``expected_ids`` on every later frame.
* ``choice``: a question about the object ``region_id`` (prompted by clicking ``point_px``), with
  ``options`` and the correct ``answer``.

Object ``kind`` and ``colour`` are free strings for converted datasets (may be null).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any

from unipixel_ros.errors import BadInputError, ConfigError

__all__ = [
    "QUERY_SPEC_FORMAT",
    "ClickSuggestion",
    "ObjectRecord",
    "Query",
    "QueryKind",
    "QuerySpec",
    "load_query_spec",
    "save_query_spec",
]

QUERY_SPEC_FORMAT = "unipixel_ros.queries/1"


class QueryKind(Enum):
    """How a query is asked and scored (see the module docstring)."""

    SEGMENT = "segment"
    TRACK = "track"
    CHOICE = "choice"


@dataclass(frozen=True, kw_only=True)
class ObjectRecord:
    """One ground-truth object as the spec lists it.

    Args:
        object_id: The object's value in the ground-truth label images.
        kind: What it is ("cup", "bowl", "box", or a dataset's own word), None when unknown.
        colour: Colour name, None when unknown.
        has_handle: Whether it has a handle (False when unknown).
        upright: Whether it stands upright (True when unknown).
        position_m: Position in the fixed frame, metres, None when unknown.
        yaw_rad: Heading about the fixed frame's z axis, radians, None when unknown.
        attributes: Further facts, JSON-compatible (e.g. graspable, occluded_fraction).
    """

    object_id: int
    kind: str | None = None
    colour: str | None = None
    has_handle: bool = False
    upright: bool = True
    position_m: tuple[float, float, float] | None = None
    yaw_rad: float | None = None
    attributes: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class ClickSuggestion:
    """A pixel well inside an object, for click prompts.

    Args:
        object_id: The object clicked.
        frame_index: Frame the pixel belongs to.
        point_px: (u, v) pixel coordinates.
    """

    object_id: int
    frame_index: int
    point_px: tuple[int, int]


@dataclass(frozen=True, kw_only=True)
class Query:
    """One query of the spec; which fields matter depends on ``kind``.

    Args:
        query_id: Unique name within the spec.
        kind: segment, track or choice.
        frame_index: Frame on which the query is asked.
        text: The language query; None for a pure click prompt.
        expected_ids: Objects that answer a segment or track query.
        point_px: Click prompt (u, v) for track and choice queries.
        region_id: For choice queries, the object the question refers to.
        options: For choice queries, the allowed answers.
        answer: For choice queries, the correct option.
    """

    query_id: str
    kind: QueryKind
    frame_index: int = 0
    text: str | None = None
    expected_ids: tuple[int, ...] = ()
    point_px: tuple[int, int] | None = None
    region_id: int | None = None
    options: tuple[str, ...] = ()
    answer: str | None = None

    def __post_init__(self) -> None:
        if self.frame_index < 0:
            msg = f"query {self.query_id!r}: frame_index must be >= 0, got {self.frame_index}"
            raise ConfigError(msg)
        if self.kind is QueryKind.CHOICE and self.answer not in self.options:
            msg = f"query {self.query_id!r}: answer {self.answer!r} is not in {self.options}"
            raise ConfigError(msg)
        if self.kind is not QueryKind.CHOICE and self.text is None and self.point_px is None:
            msg = f"query {self.query_id!r}: a {self.kind.value} query needs text or point_px"
            raise ConfigError(msg)


@dataclass(frozen=True, kw_only=True)
class QuerySpec:
    """Everything an evaluation needs to know about a bag beyond its messages.

    Args:
        source: What made the bag ("synthetic", "davis").
        seed: Generator seed, None for converted datasets.
        image_topic: Colour image topic the queries refer to.
        ground_truth_topic: Instance label topic (mono16, pixel = object id).
        fixed_frame: TF frame of ``position_m``, None without TF.
        width: Image width in pixels.
        height: Image height in pixels.
        stamps_ns: Header stamp of every frame, in order.
        objects: Ground-truth objects.
        clicks: Suggested click pixels.
        queries: The queries to ask.
    """

    source: str
    seed: int | None
    image_topic: str
    ground_truth_topic: str
    fixed_frame: str | None
    width: int
    height: int
    stamps_ns: tuple[int, ...]
    objects: tuple[ObjectRecord, ...]
    clicks: tuple[ClickSuggestion, ...]
    queries: tuple[Query, ...]

    def __post_init__(self) -> None:
        names = [query.query_id for query in self.queries]
        if len(set(names)) != len(names):
            msg = f"query ids must be unique, got {names}"
            raise ConfigError(msg)
        for query in self.queries:
            if query.frame_index >= len(self.stamps_ns):
                msg = (
                    f"query {query.query_id!r} asks on frame {query.frame_index}, but the bag "
                    f"has {len(self.stamps_ns)} frames"
                )
                raise ConfigError(msg)

    @property
    def frame_count(self) -> int:
        """Number of frames in the bag."""
        return len(self.stamps_ns)

    def query(self, query_id: str) -> Query:
        """The query named ``query_id``."""
        for query in self.queries:
            if query.query_id == query_id:
                return query
        msg = f"no query {query_id!r}; the spec has {[q.query_id for q in self.queries]}"
        raise BadInputError(msg)

    def to_json(self) -> dict[str, Any]:
        """The spec as a JSON-compatible dict in format ``unipixel_ros.queries/1``."""
        return {
            "format": QUERY_SPEC_FORMAT,
            "source": self.source,
            "seed": self.seed,
            "image_topic": self.image_topic,
            "ground_truth_topic": self.ground_truth_topic,
            "fixed_frame": self.fixed_frame,
            "width": self.width,
            "height": self.height,
            "frame_count": self.frame_count,
            "stamps_ns": list(self.stamps_ns),
            "objects": [
                {
                    "object_id": obj.object_id,
                    "kind": obj.kind,
                    "colour": obj.colour,
                    "has_handle": obj.has_handle,
                    "upright": obj.upright,
                    "position_m": None if obj.position_m is None else list(obj.position_m),
                    "yaw_rad": obj.yaw_rad,
                    "attributes": obj.attributes,
                }
                for obj in self.objects
            ],
            "clicks": [
                {
                    "object_id": click.object_id,
                    "frame_index": click.frame_index,
                    "point_px": list(click.point_px),
                }
                for click in self.clicks
            ],
            "queries": [_query_to_json(query) for query in self.queries],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> QuerySpec:
        """Parse a dict in format ``unipixel_ros.queries/1``."""
        if data.get("format") != QUERY_SPEC_FORMAT:
            msg = f"query spec format must be {QUERY_SPEC_FORMAT!r}, got {data.get('format')!r}"
            raise ConfigError(msg)
        try:
            return cls(
                source=str(data["source"]),
                seed=data["seed"],
                image_topic=str(data["image_topic"]),
                ground_truth_topic=str(data["ground_truth_topic"]),
                fixed_frame=data["fixed_frame"],
                width=int(data["width"]),
                height=int(data["height"]),
                stamps_ns=tuple(int(stamp) for stamp in data["stamps_ns"]),
                objects=tuple(
                    ObjectRecord(
                        object_id=int(obj["object_id"]),
                        kind=obj.get("kind"),
                        colour=obj.get("colour"),
                        has_handle=bool(obj.get("has_handle", False)),
                        upright=bool(obj.get("upright", True)),
                        position_m=_optional_tuple(obj.get("position_m"), float),
                        yaw_rad=obj.get("yaw_rad"),
                        attributes=dict(obj.get("attributes", {})),
                    )
                    for obj in data["objects"]
                ),
                clicks=tuple(
                    ClickSuggestion(
                        object_id=int(click["object_id"]),
                        frame_index=int(click["frame_index"]),
                        point_px=(int(click["point_px"][0]), int(click["point_px"][1])),
                    )
                    for click in data["clicks"]
                ),
                queries=tuple(_query_from_json(query) for query in data["queries"]),
            )
        except (KeyError, TypeError, ValueError, IndexError) as err:
            msg = f"malformed query spec: {type(err).__name__}: {err}"
            raise ConfigError(msg) from err


def save_query_spec(spec: QuerySpec, path: Path | str) -> Path:
    """Write ``spec`` as indented JSON to ``path`` and return the path."""
    path = Path(path)
    path.write_text(json.dumps(spec.to_json(), indent=2) + "\n", encoding="utf-8")
    return path


def load_query_spec(path: Path | str) -> QuerySpec:
    """Read a ``queries.json`` file.

    Raises:
        ConfigError: The file is missing, not JSON, or not in format ``unipixel_ros.queries/1``.
    """
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as err:
        msg = f"query spec {path} does not exist"
        raise ConfigError(msg) from err
    except json.JSONDecodeError as err:
        msg = f"query spec {path} is not valid JSON: {err}"
        raise ConfigError(msg) from err
    if not isinstance(data, dict):
        msg = f"query spec {path} must hold a JSON object, got {type(data).__name__}"
        raise ConfigError(msg)
    return QuerySpec.from_json(data)


def _query_to_json(query: Query) -> dict[str, Any]:
    return {
        "query_id": query.query_id,
        "kind": query.kind.value,
        "frame_index": query.frame_index,
        "text": query.text,
        "expected_ids": list(query.expected_ids),
        "point_px": None if query.point_px is None else list(query.point_px),
        "region_id": query.region_id,
        "options": list(query.options),
        "answer": query.answer,
    }


def _query_from_json(data: dict[str, Any]) -> Query:
    try:
        kind = QueryKind(data["kind"])
    except ValueError as err:
        allowed = [k.value for k in QueryKind]
        msg = f"query kind must be one of {allowed}, got {data['kind']!r}"
        raise ConfigError(msg) from err
    point = data.get("point_px")
    return Query(
        query_id=str(data["query_id"]),
        kind=kind,
        frame_index=int(data.get("frame_index", 0)),
        text=data.get("text"),
        expected_ids=tuple(int(i) for i in data.get("expected_ids", ())),
        point_px=None if point is None else (int(point[0]), int(point[1])),
        region_id=data.get("region_id"),
        options=tuple(str(option) for option in data.get("options", ())),
        answer=data.get("answer"),
    )


def _optional_tuple(values: Any, cast: type) -> Any:
    return None if values is None else tuple(cast(value) for value in values)
