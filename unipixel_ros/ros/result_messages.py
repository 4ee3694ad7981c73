"""Build the node's output messages from perception records: masks, label image, markers,
answers. Every message carries the header of the image it was computed from."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from std_msgs.msg import Header
from unipixel_ros_interfaces.msg import Answer, ObjectMask
from visualization_msgs.msg import Marker, MarkerArray

from unipixel_ros.perception import ObjectView, QueryOutput
from unipixel_ros.ros.camera_geometry import object_extent
from unipixel_ros.ros.image_conversion import mask_to_mono8
from unipixel_ros.tracking import ObjectState
from unipixel_ros.visualization.palette import instance_colour

__all__ = ["MARKER_NAMESPACE", "answer_message", "marker_array", "object_mask_message"]

MARKER_NAMESPACE = "unipixel"
MIN_MARKER_SIZE_M = 0.01
LABEL_HEIGHT_M = 0.03
MARKER_LIFETIME_S = 1.0


def object_mask_message(
    view: ObjectView,
    header: Header,
    *,
    depth_m: np.ndarray | None = None,
    k: np.ndarray | None = None,
) -> ObjectMask:
    """One `ObjectMask`; with aligned depth and intrinsics, also its 3-D centroid and extent."""
    msg = ObjectMask(
        header=header,
        object_id=view.object_id,
        label=view.label,
        camera=view.camera,
        score=view.score,
    )
    msg.state = (
        ObjectMask.STATE_TRACKED if view.state is ObjectState.TRACKED else ObjectMask.STATE_LOST
    )
    rows = np.flatnonzero(view.mask.any(axis=1))
    cols = np.flatnonzero(view.mask.any(axis=0))
    if rows.size:
        msg.box.x_offset, msg.box.y_offset = int(cols[0]), int(rows[0])
        msg.box.width = int(cols[-1] - cols[0] + 1)
        msg.box.height = int(rows[-1] - rows[0] + 1)
    msg.mask = mask_to_mono8(view.mask, header)
    if depth_m is not None and k is not None and depth_m.shape == view.mask.shape:
        extent = object_extent(view.mask, depth_m, k)
        if extent is not None:
            msg.centroid_valid = True
            msg.centroid.x, msg.centroid.y, msg.centroid.z = extent.centroid
            msg.extent.x, msg.extent.y, msg.extent.z = extent.size
    return msg


def marker_array(objects: Sequence[ObjectMask], header: Header) -> MarkerArray:
    """A box and a text label per object with a 3-D centroid; a DELETEALL clears old ones."""
    markers = [Marker(header=header, ns=MARKER_NAMESPACE, action=Marker.DELETEALL)]
    for obj in objects:
        if not obj.centroid_valid:
            continue
        r, g, b = (c / 255.0 for c in instance_colour(obj.object_id))
        box = Marker(header=header, ns=MARKER_NAMESPACE, id=2 * obj.object_id, type=Marker.CUBE)
        box.action = Marker.ADD
        box.pose.position = obj.centroid
        box.pose.orientation.w = 1.0
        box.scale.x = max(obj.extent.x, MIN_MARKER_SIZE_M)
        box.scale.y = max(obj.extent.y, MIN_MARKER_SIZE_M)
        box.scale.z = max(obj.extent.z, MIN_MARKER_SIZE_M)
        box.color.r, box.color.g, box.color.b, box.color.a = r, g, b, 0.5
        box.lifetime.sec = int(MARKER_LIFETIME_S)
        text = Marker(
            header=header,
            ns=MARKER_NAMESPACE,
            id=2 * obj.object_id + 1,
            type=Marker.TEXT_VIEW_FACING,
        )
        text.action = Marker.ADD
        text.pose.position.x = obj.centroid.x
        text.pose.position.y = obj.centroid.y - box.scale.y / 2 - LABEL_HEIGHT_M  # optical y: down
        text.pose.position.z = obj.centroid.z
        text.pose.orientation.w = 1.0
        text.scale.z = LABEL_HEIGHT_M
        text.color.r = text.color.g = text.color.b = text.color.a = 1.0
        text.text = f"{obj.object_id}: {obj.label}" if obj.label else str(obj.object_id)
        text.lifetime.sec = int(MARKER_LIFETIME_S)
        markers += [box, text]
    return MarkerArray(markers=markers)


def answer_message(
    output: QueryOutput, *, header: Header, query_id: str, query: str, total_ms: float
) -> Answer:
    """The `Answer` for a finished query."""
    return Answer(
        header=header,
        query_id=query_id,
        query=query,
        answer=output.text,
        object_ids=list(output.object_ids),
        cameras=list(output.cameras),
        num_frames=output.num_frames,
        tokens_generated=output.tokens_generated,
        model_ms=output.model_ms,
        tracking_ms=output.tracking_ms,
        total_ms=total_ms,
    )
