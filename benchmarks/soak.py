"""Soak the perception node: frames at a fixed rate for a long time, with requests in between.

Starts the node in its own process (tiny model with random weights by default), publishes
synthetic 128x96 frames with camera_info at ``--rate`` Hz, and in a second thread keeps
adding objects (clicks as points), removing them, querying (tracked and untracked) and
describing tracked objects. Every ``--window`` frames it prints one line:

- frames published, and the node's own counters from /diagnostics (received, processed,
  dropped by the drop-oldest slot, in flight = received - processed - dropped); frames
  published but never received were overwritten in the KEEP_LAST subscription queue while the
  node was busy (only the newest frames matter, by design);
- RSS of the node process (psutil);
- client-side latency p50/p95 (frame published -> its ~/masks message received) in the window;
- requests answered in the window (ok / failed / busy) and objects tracked.

At the end: a summary and a verdict line. PASS needs: RSS growth (largest RSS after the first
window minus RSS at the end of the first window) within ``--rss-bound-mb``; frames processed in
every window (no stall); at most MAX_IN_FLIGHT frames in flight (no queue grows); every request
answered; exit code 0 and no traceback at SIGINT. ``--json`` also writes the figures.

    python benchmarks/soak.py                     # 10,000 frames at 30 Hz (about 6 minutes)
    python benchmarks/soak.py --frames 300        # the short run CI uses
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

# The node process inherits these; set them before rclpy is imported.
os.environ.setdefault("FASTDDS_BUILTIN_TRANSPORTS", "LARGE_DATA")
os.environ.setdefault("ROS_AUTOMATIC_DISCOVERY_RANGE", "LOCALHOST")
os.environ.setdefault("ROS_DOMAIN_ID", str(101 + os.getpid() % 100))

import numpy as np
import psutil
from geometry_msgs.msg import Point
from rclpy.qos import QoSProfile, ReliabilityPolicy
from sensor_msgs.msg import CameraInfo
from std_msgs.msg import Header
from unipixel_ros_interfaces.msg import ObjectMaskArray, ObjectPrompt
from unipixel_ros_interfaces.srv import AddObjects, Describe, Query, RemoveObjects

from unipixel_ros.ros.evaluation.client import UnipixelClient
from unipixel_ros.ros.evaluation.node_process import NodeProcess
from unipixel_ros.ros.image_conversion import rgb_to_image

WIDTH, HEIGHT = 128, 96
K = [100.0, 0.0, 64.0, 0.0, 100.0, 48.0, 0.0, 0.0, 1.0]
IMAGE_TOPIC, INFO_TOPIC = "/soak/camera/image_raw", "/soak/camera/camera_info"
MAX_KEPT_OBJECTS = 3
REQUEST_TIMEOUT_S = 60.0
# Frames between the node's intake and its worker: the newest-frame slot plus the one in work.
MAX_IN_FLIGHT = 3


@dataclass
class WindowFigures:
    """One printed line."""

    frames_published: int
    received: int
    processed: int
    dropped: int
    in_flight: int
    rss_mb: float
    latency_p50_ms: float
    latency_p95_ms: float
    latencies: int
    requests_ok: int
    requests_failed: int
    requests_busy: int
    objects_tracked: int


@dataclass
class SoakResult:
    """Everything the run measured; the verdict compares RSS growth with the bound."""

    frames: int
    rate_hz: float
    seconds: float
    windows: list[WindowFigures] = field(default_factory=list)
    requests_sent: int = 0
    requests_answered: int = 0
    requests_by_kind: dict[str, int] = field(default_factory=dict)
    masks_received: int = 0
    rss_start_mb: float = 0.0
    rss_after_first_window_mb: float = 0.0
    rss_end_mb: float = 0.0
    rss_max_mb: float = 0.0
    rss_growth_mb: float = 0.0
    rss_bound_mb: float = 0.0
    max_in_flight: int = 0
    node_exit_code: int | None = None
    traceback_in_log: bool = False
    verdict: str = ""
    passed: bool = False


class _MaskWatcher:
    """Matches ~/masks messages to the publish time of their frame (client-side latency)."""

    def __init__(self, client: UnipixelClient) -> None:
        self._lock = threading.Lock()
        self._sent: dict[int, float] = {}
        self._latencies: list[float] = []
        self.received = 0
        self.object_ids: list[int] = []
        client.node.create_subscription(ObjectMaskArray, "/unipixel/masks", self._on_masks, 10)

    def sent(self, stamp_ns: int) -> None:
        with self._lock:
            self._sent[stamp_ns] = time.monotonic()
            if len(self._sent) > 2000:  # frames the node dropped never come back
                for stale in list(self._sent)[:1000]:
                    del self._sent[stale]

    def _on_masks(self, msg: ObjectMaskArray) -> None:
        stamp = msg.header.stamp.sec * 1_000_000_000 + msg.header.stamp.nanosec
        with self._lock:
            self.received += 1
            self.object_ids = [o.object_id for o in msg.objects]
            sent = self._sent.pop(stamp, None)
            if sent is not None:
                self._latencies.append((time.monotonic() - sent) * 1000.0)

    def take_latencies(self) -> list[float]:
        with self._lock:
            taken, self._latencies = self._latencies, []
            return taken

    def tracked(self) -> list[int]:
        with self._lock:
            return list(self.object_ids)


class _Requester(threading.Thread):
    """Sends one request every ``period_s``: add, query, describe, remove, in turn."""

    def __init__(self, client: UnipixelClient, watcher: _MaskWatcher, period_s: float) -> None:
        super().__init__(daemon=True, name="soak-requests")
        self._client = client
        self._watcher = watcher
        self._period_s = period_s
        self._halt = threading.Event()
        self._lock = threading.Lock()
        self.sent = self.answered = 0
        self.ok = self.failed = self.busy = 0
        self.by_kind: dict[str, int] = {}
        self.unanswered: list[str] = []

    def stop(self) -> None:
        self._halt.set()

    def take_counts(self) -> tuple[int, int, int]:
        with self._lock:
            counts = (self.ok, self.failed, self.busy)
            self.ok = self.failed = self.busy = 0
            return counts

    def _request(self, turn: int) -> tuple[str, str, Any]:
        tracked = self._watcher.tracked()
        kind = turn % 5
        if kind == 0 or (kind in (3, 4) and not tracked):
            x, y = 20.0 + (turn * 7) % 90, 15.0 + (turn * 5) % 65
            prompt = ObjectPrompt(label=f"click{turn}", points=[Point(x=x, y=y)], point_labels=[1])
            return "add_objects", "add_objects", AddObjects.Request(objects=[prompt])
        if kind == 1:
            return "query", "query (tracked)", Query.Request(text="Where is the red box?")
        if kind == 2:
            request = Query.Request(text="Is anything moving?", track=False, num_frames=2)
            return "query", "query (untracked)", request
        if kind == 3:
            request = Describe.Request(use_object_id=True, object_id=tracked[-1], question="")
            return "describe", "describe", request
        keep = tracked[-MAX_KEPT_OBJECTS:] if len(tracked) > MAX_KEPT_OBJECTS else tracked[-1:]
        doomed = [i for i in tracked if i not in keep]
        return "remove_objects", "remove_objects", RemoveObjects.Request(object_ids=doomed)

    def run(self) -> None:
        turn = 0
        while not self._halt.wait(self._period_s):
            service, kind, request = self._request(turn)
            turn += 1
            if service == "remove_objects" and not request.object_ids:
                continue
            with self._lock:
                self.sent += 1
                self.by_kind[kind] = self.by_kind.get(kind, 0) + 1
            try:
                response = self._client.call(service, request, timeout_s=REQUEST_TIMEOUT_S)
            except Exception as err:  # a lost request is a finding: keep it and go on
                with self._lock:
                    self.unanswered.append(f"{kind}: {err}")
                continue
            with self._lock:
                self.answered += 1
                if response.success:
                    self.ok += 1
                elif "busy" in response.message or "retry later" in response.message:
                    self.busy += 1
                else:
                    self.failed += 1


def _frame(stamp_ns: int, index: int) -> tuple[Any, CameraInfo]:
    header = Header(frame_id="soak_camera_optical_frame")
    header.stamp.sec, header.stamp.nanosec = divmod(stamp_ns, 1_000_000_000)
    rgb = np.full((HEIGHT, WIDTH, 3), 90, dtype=np.uint8)
    left = 10 + (index % 60)  # a red box sliding right and back
    rgb[30:66, left : left + 40] = (220, 30, 30)
    return rgb_to_image(rgb, header), CameraInfo(header=header, width=WIDTH, height=HEIGHT, k=K)


def _percentiles(values: list[float]) -> tuple[float, float]:
    if not values:
        return 0.0, 0.0
    p50, p95 = np.percentile(np.array(values), [50, 95])
    return float(p50), float(p95)


def run_soak(
    *,
    frames: int,
    rate_hz: float,
    window: int,
    model_path: str,
    request_period_s: float,
    rss_bound_mb: float,
    log_path: Path,
) -> SoakResult:
    """Run the soak and return its figures (printing one line per window)."""
    node = NodeProcess(
        parameters={
            "model_path": model_path,
            "ring_capacity": 8,
            "query_frames": 4,
            "max_objects": 8,
            "diagnostics_period_s": 0.25,
            "qos_reliability": "reliable",
            "qos_depth": 5,
        },
        remappings={"image": IMAGE_TOPIC, "camera_info": INFO_TOPIC},
        log_path=log_path,
    )
    result = SoakResult(frames=frames, rate_hz=rate_hz, seconds=0.0, rss_bound_mb=rss_bound_mb)
    client = UnipixelClient(name="soak_client")
    requester: _Requester | None = None
    try:
        client.wait_until_ready(timeout_s=120.0)
        process = psutil.Process(node.process.pid)
        result.rss_start_mb = process.memory_info().rss / 2**20
        qos = QoSProfile(depth=5, reliability=ReliabilityPolicy.RELIABLE)
        images = client.node.create_publisher(type(_frame(0, 0)[0]), IMAGE_TOPIC, qos)
        infos = client.node.create_publisher(CameraInfo, INFO_TOPIC, qos)
        watcher = _MaskWatcher(client)
        requester = _Requester(client, watcher, request_period_s)
        print(
            f"soak: {frames} frames at {rate_hz:g} Hz, {WIDTH}x{HEIGHT}, model {model_path}, "
            f"a request every {request_period_s:g} s; node pid {node.process.pid}",
            flush=True,
        )
        print(
            "frames  recv  proc  drop  infl  rss_MB  lat_p50  lat_p95  req_ok/fail/busy  objects",
            flush=True,
        )
        started = time.monotonic()
        stamp = 1_000_000_000
        period = 1.0 / rate_hz
        requester.start()
        for index in range(frames):
            due = started + index * period
            delay = due - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            stamp += int(period * 1e9)
            image, info = _frame(stamp, index)
            watcher.sent(stamp)
            images.publish(image)
            infos.publish(info)
            if (index + 1) % window == 0 or index + 1 == frames:
                result.windows.append(_window(index + 1, client, process, watcher, requester))
                if len(result.windows) == 1:
                    result.rss_after_first_window_mb = result.windows[0].rss_mb
        result.seconds = time.monotonic() - started
        # Let the last frames and requests finish, then take the final counters.
        requester.stop()
        requester.join(REQUEST_TIMEOUT_S + 5.0)
        time.sleep(1.0)
        result.windows.append(_window(frames, client, process, watcher, requester))
        result.masks_received = watcher.received
        result.requests_sent, result.requests_answered = requester.sent, requester.answered
        result.requests_by_kind = dict(requester.by_kind)
        for line in requester.unanswered:
            print(f"UNANSWERED {line}", flush=True)
    finally:
        if requester is not None:
            requester.stop()
        client.close()
        result.node_exit_code = node.stop(timeout_s=30.0)
    log = log_path.read_text(errors="replace")
    result.traceback_in_log = "Traceback" in log
    rss = [w.rss_mb for w in result.windows]
    result.rss_end_mb = rss[-1]
    result.rss_max_mb = max(rss)
    result.rss_growth_mb = result.rss_max_mb - result.rss_after_first_window_mb
    result.max_in_flight = max(w.in_flight for w in result.windows)
    _judge(result)
    return result


def _window(
    published: int,
    client: UnipixelClient,
    process: psutil.Process,
    watcher: _MaskWatcher,
    requester: _Requester,
) -> WindowFigures:
    status = client.status()
    received = int(status.get("frames_received", 0))
    processed = int(status.get("frames_processed", 0))
    dropped = int(status.get("frames_dropped", 0))
    p50, p95 = _percentiles(latencies := watcher.take_latencies())
    ok, failed, busy = requester.take_counts()
    figures = WindowFigures(
        frames_published=published,
        received=received,
        processed=processed,
        dropped=dropped,
        in_flight=received - processed - dropped,
        rss_mb=process.memory_info().rss / 2**20,
        latency_p50_ms=p50,
        latency_p95_ms=p95,
        latencies=len(latencies),
        requests_ok=ok,
        requests_failed=failed,
        requests_busy=busy,
        objects_tracked=int(status.get("objects_tracked", 0)),
    )
    print(
        f"{published:6d} {received:5d} {processed:5d} {dropped:5d} {figures.in_flight:5d} "
        f"{figures.rss_mb:7.1f} {p50:8.1f} {p95:8.1f}  {ok:6d}/{failed}/{busy:<6d} "
        f"{figures.objects_tracked:7d}",
        flush=True,
    )
    return figures


def _judge(result: SoakResult) -> None:
    last = result.windows[-1]
    problems = []
    if result.rss_growth_mb > result.rss_bound_mb:
        problems.append(
            f"RSS grew {result.rss_growth_mb:.1f} MB > bound {result.rss_bound_mb:g} MB"
        )
    stalled = [
        w.frames_published
        for before, w in itertools.pairwise(result.windows[:-1])
        if w.processed <= before.processed
    ]
    if stalled:
        problems.append(f"no frame processed in the windows ending at frames {stalled}")
    if result.max_in_flight > MAX_IN_FLIGHT:
        problems.append(f"{result.max_in_flight} frames in flight (a queue grows)")
    if result.requests_answered != result.requests_sent:
        problems.append(f"{result.requests_sent - result.requests_answered} request(s) unanswered")
    if result.node_exit_code != 0 or result.traceback_in_log:
        problems.append(
            f"node exit code {result.node_exit_code}, traceback in log: {result.traceback_in_log}"
        )
    lost = result.frames - last.received
    summary = (
        f"RSS {result.rss_after_first_window_mb:.1f} -> {result.rss_end_mb:.1f} MB (max "
        f"{result.rss_max_mb:.1f}, growth {result.rss_growth_mb:+.1f} MB, bound "
        f"{result.rss_bound_mb:g} MB); frames {result.frames} published, {last.received} "
        f"received ({lost} overwritten in the subscription queue of depth 5), {last.processed} "
        f"processed, {last.dropped} dropped by the newest-frame slot, max in flight "
        f"{result.max_in_flight}; requests "
        f"{result.requests_answered}/{result.requests_sent} answered"
    )
    result.passed = not problems
    result.verdict = ("PASS: " if result.passed else "FAIL: " + "; ".join(problems) + " | ") + (
        summary
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=10_000, help="frames to publish")
    parser.add_argument("--rate", type=float, default=30.0, help="frames per second")
    parser.add_argument("--window", type=int, default=0, help="frames per line (0: frames/10)")
    parser.add_argument("--model-path", default="tiny-random", help="the node's model_path")
    parser.add_argument("--request-period", type=float, default=0.5, help="seconds per request")
    parser.add_argument(
        "--rss-bound-mb", type=float, default=64.0, help="largest accepted RSS growth"
    )
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    parser.add_argument("--log", type=Path, default=None, help="node log file")
    args = parser.parse_args(argv)
    if args.frames < 1 or args.rate <= 0:
        parser.error("--frames must be >= 1 and --rate > 0")
    log = args.log or Path(tempfile.mkdtemp(prefix="soak-")) / "node.log"
    result = run_soak(
        frames=args.frames,
        rate_hz=args.rate,
        window=args.window or max(1, args.frames // 10),
        model_path=args.model_path,
        request_period_s=args.request_period,
        rss_bound_mb=args.rss_bound_mb,
        log_path=log,
    )
    print(f"node log: {log}; {result.seconds:.0f} s of frames")
    print(f"requests by kind: {result.requests_by_kind}; masks received: {result.masks_received}")
    print(f"VERDICT {result.verdict}", flush=True)
    if args.json is not None:
        args.json.write_text(json.dumps(asdict(result), indent=1))
    return 0 if result.passed else 1


if __name__ == "__main__":
    sys.exit(main())
