"""Clicks become tracked objects: rqt_image_view pixel clicks and RViz2 "Publish Point" clicks.

A click is queued on the inference worker as a one-point object prompt; its outcome is logged
when the worker has run it, so the input callbacks never wait.
"""

from __future__ import annotations

from concurrent.futures import Future
from typing import Any

from geometry_msgs.msg import Point, PointStamped
from rclpy.node import Node

from unipixel_ros.errors import UnipixelError
from unipixel_ros.perception.live import LivePerception
from unipixel_ros.perception.records import ObjectPromptSpec
from unipixel_ros.ros.camera_geometry import intrinsics_from_k
from unipixel_ros.ros.camera_inputs import CameraInput
from unipixel_ros.ros.click_projection import ClickProjector
from unipixel_ros.ros.request_handlers import NO_MODEL_MESSAGE
from unipixel_ros.tracking.worker import InferenceWorker

__all__ = ["ClickHandler"]


class ClickHandler:
    """Adds an object at each click.

    Args:
        node: the node whose logger reports the clicks (and whose tf2 listener projects them).
        perception: the live perception; None (no model) ignores clicks with a warning.
        worker: the inference worker that adds the objects; None exactly when there is no model.
    """

    def __init__(
        self,
        *,
        node: Node,
        perception: LivePerception | None,
        worker: InferenceWorker[Any, Any] | None,
    ) -> None:
        self._logger = node.get_logger()
        self._perception = perception
        self._worker = worker
        self._projector = ClickProjector(node)

    @property
    def uses_tf(self) -> bool:
        """Whether RViz clicks are transformed with tf2 (else they must be in the camera frame)."""
        return self._projector.uses_tf

    def on_pixel_click(self, camera: CameraInput, msg: Point) -> None:
        """An rqt_image_view click: ``msg.x``, ``msg.y`` are pixels of ``camera``'s image."""
        self._add(camera, float(msg.x), float(msg.y), source="rqt_image_view")

    def on_clicked_point(self, camera: CameraInput, msg: PointStamped) -> None:
        """An RViz click: a 3-D point, projected into ``camera``'s latest image."""
        if camera.info is None or not camera.frame_id:
            self._logger.warning("click ignored: no camera image and camera_info yet")
            return
        try:
            u, v = self._projector.to_pixel(
                msg,
                camera_frame=camera.frame_id,
                k=intrinsics_from_k(camera.info.k),
                width=camera.image_size[0],
                height=camera.image_size[1],
            )
        except UnipixelError as err:
            self._logger.warning(f"click ignored: {err}")
            return
        self._add(camera, u, v, source="RViz")

    def _add(self, camera: CameraInput, u: float, v: float, *, source: str) -> None:
        if self._perception is None or self._worker is None:
            self._logger.warning(f"click ignored: {NO_MODEL_MESSAGE}")
            return
        perception = self._perception
        prompt = ObjectPromptSpec(label=f"{source} click", points=((u, v),), point_labels=(1,))
        try:
            future = self._worker.submit(
                lambda: perception.add_objects([prompt], camera=camera.name)
            )
        except UnipixelError as err:
            self._logger.warning(f"{source} click at ({u:.0f}, {v:.0f}) ignored: {err}")
            return
        future.add_done_callback(lambda f: self._report(f, source, u, v))

    def _report(self, future: Future[Any], source: str, u: float, v: float) -> None:
        error = future.exception()
        if error is not None:
            self._logger.warning(f"{source} click at ({u:.0f}, {v:.0f}) not added: {error}")
            return
        (view,) = future.result()
        self._logger.info(f"{source} click at ({u:.0f}, {v:.0f}) -> object {view.object_id}")
