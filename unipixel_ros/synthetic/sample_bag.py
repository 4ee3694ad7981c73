"""A synthetic scene written as a rosbag2 with its ground truth (the demo's and tests' bags)."""

from __future__ import annotations

from pathlib import Path

from tqdm import tqdm

from unipixel_ros.errors import ConfigError
from unipixel_ros.evaluation.bags.layout import (
    CAMERA_LINK_FRAME,
    OPTICAL_FRAME,
    QUERIES_FILE_NAME,
    TABLE_FRAME,
    BagStorage,
    BagTopics,
)
from unipixel_ros.evaluation.bags.messages import StampedTransform
from unipixel_ros.evaluation.bags.writer import CameraBagWriter, WrittenBag
from unipixel_ros.evaluation.scoring.queries import save_query_spec
from unipixel_ros.synthetic.scene_config import SceneConfig
from unipixel_ros.synthetic.scene_layout import generate_scene
from unipixel_ros.synthetic.scenes import Scene

__all__ = ["generate_sample_bag", "write_scene_bag"]


def write_scene_bag(
    scene: Scene,
    path: Path | str,
    *,
    storage: BagStorage = BagStorage.MCAP,
    topics: BagTopics | None = None,
    compress: bool = False,
    progress: bool = True,
) -> WrittenBag:
    """Render every frame of ``scene`` into a new bag, with ``queries.json`` inside it.

    TF: /tf_static holds camera_link -> camera_color_optical_frame; /tf holds
    table -> camera_link for every frame.

    Args:
        scene: The scene to write.
        path: Bag directory to create; must not exist.
        storage: MCAP or sqlite3.
        topics: Topic names; the RealSense-style defaults when None.
        compress: zstd chunk compression (MCAP only).
        progress: Show a tqdm progress bar.
    """
    path = Path(path)
    with CameraBagWriter(path, storage=storage, topics=topics, compress=compress) as writer:
        writer.write_static_transforms(
            [
                StampedTransform(
                    parent_frame=CAMERA_LINK_FRAME,
                    child_frame=OPTICAL_FRAME,
                    stamp_ns=scene.stamp_ns(0),
                    transform=scene.camera_link_to_optical,
                )
            ]
        )
        frames = tqdm(
            scene.frames(),
            total=scene.frame_count,
            desc=f"writing {path.name}",
            unit="frame",
            disable=not progress,
        )
        for frame in frames:
            writer.write_frame(
                stamp_ns=frame.stamp_ns,
                rgb=frame.rgb,
                camera=scene.camera,
                depth_mm=frame.depth_mm,
                instance_labels=frame.instance_labels,
                transforms=[
                    StampedTransform(
                        parent_frame=TABLE_FRAME,
                        child_frame=CAMERA_LINK_FRAME,
                        stamp_ns=frame.stamp_ns,
                        transform=scene.camera_link_pose(frame.index),
                    )
                ],
            )
    queries_path = save_query_spec(scene.query_spec, path / QUERIES_FILE_NAME)
    return WrittenBag(
        path=path, queries_path=queries_path, frame_count=writer.frame_count, storage=storage
    )


def generate_sample_bag(
    path: Path | str,
    seed: int = 0,
    frames: int = 30,
    storage: BagStorage | str = BagStorage.MCAP,
    *,
    width: int = 640,
    height: int = 480,
    compress: bool = False,
    progress: bool = True,
) -> WrittenBag:
    """Generate a synthetic tabletop scene and write it as a bag with its ``queries.json``.

    Args:
        path: Bag directory to create; must not exist.
        seed: Scene seed; the same seed gives the same bag.
        frames: Number of frames (10 Hz).
        storage: "mcap" or "sqlite3".
        width: Image width in pixels.
        height: Image height in pixels.
        compress: zstd chunk compression (MCAP only).
        progress: Show a tqdm progress bar.
    """
    try:
        storage = BagStorage(storage)
    except ValueError as err:
        msg = f"storage must be one of {[s.value for s in BagStorage]}, got {storage!r}"
        raise ConfigError(msg) from err
    scene = generate_scene(
        config=SceneConfig(width=width, height=height, frame_count=frames), seed=seed
    )
    return write_scene_bag(scene, Path(path), storage=storage, compress=compress, progress=progress)
