"""Training data for UniPixel-nano: rendered synthetic tabletop scenes, cached as arrays.

Each scene (``unipixel_ros.synthetic.generate_scene``) contributes frame 0 and a window of
``WINDOW`` consecutive later frames ``k, k+1, ...`` (``k`` drawn from the scene seed), so the
trainer can teach clicks and text on any frame and tracking from frame 0 to a later window as
the streaming tracker sees it (memories of the previous frames).

Rendering is the slow part (about 0.2 s per scene at 128x96 on the dev VM), so datasets are
cached as one ``.npz`` per (seed range, size) outside the repository.
"""

from __future__ import annotations

import logging
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from unipixel_ros.errors import BadInputError, ConfigError
from unipixel_ros.synthetic import Colour, ObjectKind, SceneConfig, generate_scene

__all__ = [
    "COLOURS",
    "DEFAULT_CACHE_DIR",
    "EVAL_SEEDS",
    "KINDS",
    "MAX_OBJECTS",
    "TRAIN_SEEDS",
    "WINDOW",
    "SceneArrays",
    "load_or_render_scenes",
    "render_scenes",
    "scene_config",
]

logger = logging.getLogger(__name__)

#: Later frames rendered per scene after frame 0.
WINDOW = 3
#: Upper bound on objects per scene (``SceneConfig.object_count`` <= 10).
MAX_OBJECTS = 10
KINDS = tuple(kind.value for kind in ObjectKind)
COLOURS = tuple(colour.value for colour in Colour)
#: Generator seeds of the training scenes.
TRAIN_SEEDS = range(0, 2000)
#: Held-out generator seeds for evaluation (never trained on).
EVAL_SEEDS = range(900_000, 901_000)
#: Rendered scenes are cached here (outside the repository).
DEFAULT_CACHE_DIR = Path(tempfile.gettempdir()) / "unipixel_nano_cache"


def scene_config(*, width: int = 128, height: int = 96, frame_count: int = 60) -> SceneConfig:
    """The scene generator settings nano is trained and evaluated on."""
    return SceneConfig(width=width, height=height, frame_count=frame_count)


@dataclass(frozen=True, kw_only=True, eq=False)
class SceneArrays:
    """Rendered scenes, stacked.

    Object slot ``j`` of a scene holds the object with instance id ``j + 1`` (ids are 1..n).

    Attributes:
        seeds (`np.ndarray` of shape `(N,)`, int64): generator seed of each scene.
        frame_indices (`np.ndarray` of shape `(N, F)`, int64): which frames were rendered,
            frame 0 first, then ``WINDOW`` consecutive ones.
        rgb (`np.ndarray` of shape `(N, F, H, W, 3)`, uint8).
        labels (`np.ndarray` of shape `(N, F, H, W)`, uint8): instance id, 0 = background.
        kind (`np.ndarray` of shape `(N, MAX_OBJECTS)`, int64): index into ``KINDS``, -1 = none.
        colour (`np.ndarray` of shape `(N, MAX_OBJECTS)`, int64): index into ``COLOURS``.
        graspable (`np.ndarray` of shape `(N, MAX_OBJECTS)`, bool): verdict on frame 0.
        has_handle (`np.ndarray` of shape `(N, MAX_OBJECTS)`, bool).
        clicks (`np.ndarray` of shape `(N, MAX_OBJECTS, 2)`, int64): suggested (u, v) click on
            frame 0, -1 where the object has none.
    """

    seeds: np.ndarray
    frame_indices: np.ndarray
    rgb: np.ndarray
    labels: np.ndarray
    kind: np.ndarray
    colour: np.ndarray
    graspable: np.ndarray
    has_handle: np.ndarray
    clicks: np.ndarray

    def __len__(self) -> int:
        return int(self.seeds.shape[0])

    def object_slots(self, scene: int) -> list[int]:
        """Slots (object id - 1) of the objects in ``scene``."""
        return [int(j) for j in np.flatnonzero(self.kind[scene] >= 0)]

    def save(self, path: str | Path) -> None:
        """Write all arrays to one uncompressed ``.npz``."""
        np.savez(Path(path), **{name: getattr(self, name) for name in _FIELDS})

    @classmethod
    def load(cls, path: str | Path) -> SceneArrays:
        """Read what ``save`` wrote."""
        with np.load(Path(path)) as data:
            missing = [name for name in _FIELDS if name not in data.files]
            if missing:
                raise BadInputError(f"{path} lacks the arrays {missing}")
            return cls(**{name: data[name] for name in _FIELDS})


_FIELDS = (
    "seeds",
    "frame_indices",
    "rgb",
    "labels",
    "kind",
    "colour",
    "graspable",
    "has_handle",
    "clicks",
)


def render_scenes(seeds: range, *, config: SceneConfig, progress: bool = False) -> SceneArrays:
    """Lay out and render every seed in ``seeds``.

    Args:
        seeds: generator seeds.
        config: scene settings; ``frame_count`` must exceed ``WINDOW``.
        progress: show a tqdm bar.
    """
    if config.frame_count <= WINDOW:
        raise ConfigError(f"frame_count must be > {WINDOW}, got {config.frame_count}")
    if len(seeds) == 0:
        raise BadInputError("render_scenes needs at least one seed")
    from tqdm import tqdm

    n, f = len(seeds), 1 + WINDOW
    rgb = np.zeros((n, f, config.height, config.width, 3), np.uint8)
    labels = np.zeros((n, f, config.height, config.width), np.uint8)
    frame_indices = np.zeros((n, f), np.int64)
    kind = np.full((n, MAX_OBJECTS), -1, np.int64)
    colour = np.full((n, MAX_OBJECTS), -1, np.int64)
    graspable = np.zeros((n, MAX_OBJECTS), bool)
    has_handle = np.zeros((n, MAX_OBJECTS), bool)
    clicks = np.full((n, MAX_OBJECTS, 2), -1, np.int64)
    for i, seed in enumerate(tqdm(seeds, desc="render scenes", disable=not progress)):
        scene = generate_scene(config=config, seed=seed)
        start = int(np.random.default_rng([seed, 1]).integers(1, config.frame_count - WINDOW + 1))
        indices = [0, *range(start, start + WINDOW)]
        frame_indices[i] = indices
        for j, index in enumerate(indices):
            frame = scene.render(index)
            rgb[i, j] = frame.rgb
            labels[i, j] = frame.instance_labels.astype(np.uint8)
        for record in scene.query_spec.objects:
            slot = record.object_id - 1
            kind[i, slot] = KINDS.index(record.kind)
            colour[i, slot] = COLOURS.index(record.colour)
            graspable[i, slot] = bool(record.attributes["graspable"])
            has_handle[i, slot] = record.has_handle
        for click in scene.query_spec.clicks:
            clicks[i, click.object_id - 1] = click.point_px
    return SceneArrays(
        seeds=np.asarray(list(seeds), np.int64),
        frame_indices=frame_indices,
        rgb=rgb,
        labels=labels,
        kind=kind,
        colour=colour,
        graspable=graspable,
        has_handle=has_handle,
        clicks=clicks,
    )


def load_or_render_scenes(
    seeds: range, *, config: SceneConfig, cache_dir: str | Path, progress: bool = False
) -> SceneArrays:
    """``render_scenes`` through a cache file named after the seeds and the image size."""
    cache = Path(cache_dir)
    name = (
        f"scenes_{seeds.start}_{seeds.stop}_{config.width}x{config.height}"
        f"_{config.frame_count}f_w{WINDOW}.npz"
    )
    path = cache / name
    if path.is_file():
        return SceneArrays.load(path)
    arrays = render_scenes(seeds, config=config, progress=progress)
    cache.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial.npz")
    arrays.save(partial)
    partial.replace(path)
    logger.debug("cached %d scenes in %s", len(arrays), path)
    return arrays
