"""Split deployment: bytes on the wire per query, and the round trip it adds to a query.

Bytes: one Reason goal of 8 frames (a rendered tabletop scene at ``--width`` x ``--height``,
640x480 by default) serialized as DDS carries it (CDR), with the frames raw (rgb8) and as JPEG
(``--jpeg-quality``); and the result the reasoner sends back for it (the answer and one mask
per named object on each frame, PNG and RLE), from a real run of the model in this process.

It also times what the reasoner does that the single node does not: SAM 2.1 encodes the 8
frames again (the tracker's cached features are too big to send).

Round trip: the same query asked ``--repeats`` times through the single node, then through a
tracker and a reasoner (raw frames, then JPEG), all on this machine, each in its own process,
over the same 8 frames; printed as the median query time of each and the difference. Examples::

    python benchmarks/bench_split.py
    python benchmarks/bench_split.py --model unipixel_ros/nano/checkpoint --json out/split.json
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from unipixel_ros.bench.stage_timing import time_call
from unipixel_ros.nano.checkpoint import NANO_CHECKPOINT_DIR
from unipixel_ros.perception.config import PerceptionConfig
from unipixel_ros.perception.factory import build_perception
from unipixel_ros.perception.reasoning import ReasoningFlow, ReasoningRequest, serve_request
from unipixel_ros.synthetic.scene_config import SceneConfig
from unipixel_ros.synthetic.scene_layout import generate_scene

FRAMES = 8
QUESTION = "Please segment the red box."
TOPICS = {"image": "/bench_split/image_raw", "camera_info": "/bench_split/camera_info"}


def scene_frames(width: int, height: int) -> list[np.ndarray]:
    scene = generate_scene(
        config=SceneConfig(width=width, height=height, frame_count=FRAMES), seed=900000
    )
    return [frame.rgb for frame in scene.frames()]


def wire_bytes(frames: list[np.ndarray], model: str, quality: int) -> dict[str, int]:
    from rclpy.serialization import serialize_message

    from unipixel_ros.ros.reason_encoding import FrameTransport, MaskEncoding
    from unipixel_ros.ros.reason_messages import goal_from_request, result_from_answer

    request = ReasoningRequest(flow=ReasoningFlow.SEGMENT, text=QUESTION, frames=tuple(frames))
    sizes = {}
    for transport in FrameTransport:
        goal = goal_from_request(
            request, transport=transport, jpeg_quality=quality, mask_encoding=MaskEncoding.PNG
        )
        sizes[f"goal_{transport.value}_bytes"] = len(serialize_message(goal))
    built = build_perception(
        model_path=model, device="cpu", backend="eager", config=PerceptionConfig()
    )
    answer = serve_request(built.perception.predictor, built.perception.frame_encoder, request)  # type: ignore[arg-type]
    sizes["objects_named"] = len(answer.tracks)  # type: ignore[union-attr]
    encoder = built.perception.frame_encoder
    encode = time_call(
        lambda: [encoder.encode(f) for f in frames], device=torch.device("cpu"), repeats=3
    )
    sizes["reasoner_encode_8_frames_ms"] = round(encode.median_ms, 1)  # type: ignore[assignment]
    for encoding in MaskEncoding:
        result = result_from_answer(answer, mask_encoding=encoding, tokens_generated=0, model_ms=0)
        sizes[f"result_{encoding.value}_bytes"] = len(serialize_message(result))
    return sizes


def round_trips(
    frames: list[np.ndarray], model: str, repeats: int, quality: int
) -> dict[str, float]:
    import rclpy

    logs = Path(tempfile.mkdtemp(prefix="bench_split_"))
    times: dict[str, float] = {}
    for name, transport in (("single", None), ("split_raw", "raw"), ("split_jpeg", "jpeg")):
        median_ms = _median_query_ms(name, transport, frames, model, repeats, quality, logs)
        times[f"{name}_query_ms"] = median_ms
        print(f"{name}: median query {median_ms:.1f} ms over {repeats}", flush=True)
    if rclpy.ok():
        rclpy.shutdown()
    for name in ("split_raw", "split_jpeg"):
        times[f"{name}_added_ms"] = times[f"{name}_query_ms"] - times["single_query_ms"]
    return times


def _median_query_ms(
    name: str,
    transport: str | None,
    frames: list[np.ndarray],
    model: str,
    repeats: int,
    quality: int,
    logs: Path,
) -> float:
    """Start the single node (``transport`` None) or a reasoner and a tracker; fill the ring with
    ``frames``; time the query."""
    from rclpy.action import ActionClient
    from rclpy.qos import QoSProfile, ReliabilityPolicy
    from sensor_msgs.msg import CameraInfo, Image
    from std_msgs.msg import Header
    from unipixel_ros_interfaces.action import Reason
    from unipixel_ros_interfaces.msg import ObjectMaskArray
    from unipixel_ros_interfaces.srv import Query

    from unipixel_ros.ros.evaluation.client import UnipixelClient
    from unipixel_ros.ros.evaluation.node_process import (
        REASONER_MODULE,
        SINGLE_NODE_MODULE,
        TRACKER_MODULE,
        NodeProcess,
    )
    from unipixel_ros.ros.image_conversion import rgb_to_image
    from unipixel_ros.ros.split_parameters import DEFAULT_REASONER_ACTION
    from unipixel_ros.stamps import ns_to_sec_nanosec, stamp_to_ns

    parameters: dict[str, object] = {
        "model_path": model,
        "ring_capacity": FRAMES,
        "query_frames": FRAMES,
        "qos_reliability": "reliable",  # every frame counts: the ring must hold all 8
    }
    reasoner = None
    if transport is not None:
        reasoner = NodeProcess(
            parameters={"model_path": model},
            log_path=logs / f"{name}_reasoner.log",
            module=REASONER_MODULE,
        )
        parameters.update(reasoner_frames=transport, reasoner_jpeg_quality=quality)
    node = NodeProcess(
        parameters=parameters,
        remappings=TOPICS,
        log_path=logs / f"{name}.log",
        module=SINGLE_NODE_MODULE if transport is None else TRACKER_MODULE,
    )
    client = UnipixelClient(name=f"bench_split_{name}")
    try:
        client.wait_until_ready(timeout_s=180)
        if reasoner is not None:
            server = ActionClient(client.node, Reason, DEFAULT_REASONER_ACTION)
            assert server.wait_for_server(timeout_sec=180), "no reasoner"
        qos = QoSProfile(depth=10, reliability=ReliabilityPolicy.RELIABLE)
        image = client.node.create_publisher(Image, TOPICS["image"], qos)
        info = client.node.create_publisher(CameraInfo, TOPICS["camera_info"], qos)
        seen: list[int] = []
        client.node.create_subscription(
            ObjectMaskArray,
            "/unipixel/masks",
            lambda m: seen.append(stamp_to_ns(m.header.stamp)),
            10,
        )
        while image.get_subscription_count() < 1 or info.get_subscription_count() < 1:
            time.sleep(0.05)  # DDS matching
        height, width = frames[0].shape[:2]
        k = [500.0, 0.0, width / 2, 0.0, 500.0, height / 2, 0.0, 0.0, 1.0]
        for index, rgb in enumerate(frames):
            stamp = 1_000_000_000 * (index + 1)
            header = Header(frame_id="camera")
            header.stamp.sec, header.stamp.nanosec = ns_to_sec_nanosec(stamp)
            info.publish(CameraInfo(header=header, width=width, height=height, k=k))
            image.publish(rgb_to_image(rgb, header))
            deadline = time.monotonic() + 60
            while stamp not in seen:
                assert time.monotonic() < deadline, f"{name}: frame {index} not tracked"
                time.sleep(0.01)  # waiting for the node's output of this frame

        def query() -> None:
            response = client.call(
                "query", Query.Request(text=QUESTION, track=False), timeout_s=300
            )
            assert response.success, f"{name}: {response.message}"

        return time_call(query, device=torch.device("cpu"), repeats=repeats, warmup=1).median_ms
    finally:
        client.close()
        node.stop()
        if reasoner is not None:
            reasoner.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--model", default=str(NANO_CHECKPOINT_DIR), help="checkpoint (default: nano)"
    )
    parser.add_argument("--width", type=int, default=640)
    parser.add_argument("--height", type=int, default=480)
    parser.add_argument("--jpeg-quality", type=int, default=90)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--skip-round-trip", action="store_true", help="only the bytes")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    os.environ.setdefault("FASTDDS_BUILTIN_TRANSPORTS", "LARGE_DATA")
    os.environ.setdefault("ROS_AUTOMATIC_DISCOVERY_RANGE", "LOCALHOST")
    frames = scene_frames(args.width, args.height)
    figures: dict[str, object] = {
        "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs",
        "load_average_1min": os.getloadavg()[0],
        "model": args.model,
        "frames": f"{FRAMES} x {args.width}x{args.height}",
        "jpeg_quality": args.jpeg_quality,
    }
    figures.update(wire_bytes(frames, args.model, args.jpeg_quality))
    print(f"reasoner_encode_8_frames_ms: {figures['reasoner_encode_8_frames_ms']}", flush=True)
    for key in ("goal_raw_bytes", "goal_jpeg_bytes", "result_png_bytes", "result_rle_bytes"):
        print(f"{key}: {figures[key]} ({int(figures[key]) / 1024:.1f} KiB)", flush=True)  # type: ignore[call-overload]
    if not args.skip_round_trip:
        figures.update(round_trips(frames, args.model, args.repeats, args.jpeg_quality))
        for key in ("split_raw_added_ms", "split_jpeg_added_ms"):
            print(f"{key}: {figures[key]:.1f}", flush=True)
    figures["load_average_1min_after"] = os.getloadavg()[0]
    print(
        f"load average (1 min) before/after: {figures['load_average_1min']:.1f} / "
        f"{figures['load_average_1min_after']:.1f}",
        flush=True,
    )
    if args.json is not None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
