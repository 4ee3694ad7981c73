"""Turn an RViz "Publish Point" click (a 3-D PointStamped) into a pixel of the camera image.

On a full ROS install tf2_ros transforms the point into the camera optical frame. The pip-only
install has no tf2_ros: then only points already stamped in the camera frame are accepted, and
any other frame is refused with an error that says why.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from geometry_msgs.msg import PointStamped
from rclpy.duration import Duration
from rclpy.node import Node
from rclpy.time import Time

from unipixel_ros.errors import BadInputError, NotReadyError
from unipixel_ros.ros.camera_geometry import project_point

try:
    import tf2_ros
except ImportError:  # pip-only install
    tf2_ros = None

__all__ = ["ClickProjector"]

TF_TIMEOUT = Duration(seconds=0.2)


def _rotate(quaternion: Any, vector: np.ndarray) -> np.ndarray:
    """Rotate ``vector`` by a unit quaternion (geometry_msgs/Quaternion)."""
    q = np.array([quaternion.x, quaternion.y, quaternion.z])
    w = quaternion.w
    return vector + 2.0 * np.cross(q, np.cross(q, vector) + w * vector)


class ClickProjector:
    """Projects clicked 3-D points into the image of one camera."""

    def __init__(self, node: Node) -> None:
        self._buffer: Any = None
        if tf2_ros is not None:
            self._buffer = tf2_ros.Buffer()
            self._listener = tf2_ros.TransformListener(self._buffer, node)

    @property
    def uses_tf(self) -> bool:
        return self._buffer is not None

    def to_camera_frame(self, click: PointStamped, camera_frame: str) -> np.ndarray:
        """The clicked point in ``camera_frame`` (metres).

        Raises:
            NotReadyError: tf2 has no transform between the frames (yet).
            BadInputError: without tf2, the click is in another frame than the camera's.
        """
        point = np.array([click.point.x, click.point.y, click.point.z], dtype=np.float64)
        source = click.header.frame_id.lstrip("/")
        if source == camera_frame.lstrip("/"):
            return point
        if self._buffer is None:
            raise BadInputError(
                f"click is in frame {source!r} but the camera frame is {camera_frame!r}, and "
                "tf2_ros is not installed here: only clicks in the camera frame are accepted"
            )
        try:
            transform = self._buffer.lookup_transform(
                camera_frame, source, Time.from_msg(click.header.stamp), TF_TIMEOUT
            )
        except Exception as err:  # tf2 raises LookupException, ExtrapolationException, ...
            try:  # a click's stamp is often newer than the last TF: use the latest one
                transform = self._buffer.lookup_transform(camera_frame, source, Time(), TF_TIMEOUT)
            except Exception:
                raise NotReadyError(
                    f"no transform from {source!r} to {camera_frame!r}: {err}"
                ) from err
        translation = transform.transform.translation
        offset = np.array([translation.x, translation.y, translation.z])
        return _rotate(transform.transform.rotation, point) + offset

    def to_pixel(
        self, click: PointStamped, *, camera_frame: str, k: np.ndarray, width: int, height: int
    ) -> tuple[float, float]:
        """The pixel (u, v) where the click projects in the camera image.

        Raises:
            BadInputError: the point is behind the camera or outside the image.
            NotReadyError: no transform yet.
        """
        in_camera = self.to_camera_frame(click, camera_frame)
        pixel = project_point((in_camera[0], in_camera[1], in_camera[2]), k)
        if pixel is None:
            raise BadInputError(f"clicked point {in_camera.round(3).tolist()} is behind the camera")
        u, v = pixel
        if not (0 <= u < width and 0 <= v < height):
            raise BadInputError(
                f"clicked point projects to pixel ({u:.1f}, {v:.1f}), outside the "
                f"{width}x{height} image"
            )
        return pixel
