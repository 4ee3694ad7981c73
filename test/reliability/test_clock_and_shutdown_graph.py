"""Sim time with clock jumps, and SIGINT under load, each on a node of its own (use_sim_time:=true).

- /clock jumps forward by 1000 s and back to 1 s while frames flow: frames keep being processed
  and /diagnostics keeps coming, stamped with the simulated time after each jump;
- SIGINT while frames arrive at 30 Hz and queries are in flight: exit code 0 within the stop
  timeout and no traceback in the log. This test ends its node, so no test shares a node (in any
  order, a shared node would already be stopped for the test after it).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest
from diagnostic_msgs.msg import DiagnosticArray
from live_node import Live, stamp_of, start_live, stop_live
from rosgraph_msgs.msg import Clock
from topic_inbox import TopicInbox
from unipixel_ros_interfaces.srv import Query

pytestmark = pytest.mark.ros

SHUTDOWN_TIMEOUT_S = 15.0


class _SimClock(threading.Thread):
    """Publishes /clock every 20 ms of wall time, advancing 20 ms; `jump_to` sets the time."""

    def __init__(self, live: Live) -> None:
        super().__init__(daemon=True, name="sim-clock")
        self._publisher = live.client.node.create_publisher(Clock, "/clock", 10)
        self._lock = threading.Lock()
        self._now_ns = 100_000_000_000
        self._halt = threading.Event()

    def jump_to(self, now_ns: int) -> None:
        with self._lock:
            self._now_ns = now_ns

    def halt(self) -> None:
        self._halt.set()

    def run(self) -> None:
        while not self._halt.wait(0.02):
            with self._lock:
                self._now_ns += 20_000_000
                now = self._now_ns
            msg = Clock()
            msg.clock.sec, msg.clock.nanosec = divmod(now, 1_000_000_000)
            self._publisher.publish(msg)


@pytest.fixture
def sim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Live, _SimClock]]:
    running = start_live(tmp_path_factory.mktemp("sim") / "node.log", use_sim_time=True)
    clock = _SimClock(running)
    clock.start()
    try:
        yield running, clock
    finally:
        clock.halt()
        code, text = stop_live(running)  # a no-op exit code when the test stopped it
        assert code == 0, text
        assert "Traceback" not in text, text


def test_clock_jumps_forward_and_back_keep_frames_and_diagnostics_flowing(sim) -> None:
    live, clock = sim
    diagnostics = TopicInbox(live.client, DiagnosticArray, "/diagnostics")
    for target_s in (1100, 1, 5000):  # forward 1000 s, back to 1 s, forward again
        clock.jump_to(target_s * 1_000_000_000)
        processed = int(live.client.status().get("frames_processed", 0))
        live.alive_and_tracking()
        stamped = diagnostics.wait_for(
            lambda d, t=target_s: t <= d.header.stamp.sec < t + 60, timeout_s=20
        )
        status = live.client.wait_for_status(
            lambda s, p=processed: int(s["frames_processed"]) > p, timeout_s=20
        )
        assert status["model_loaded"] == "True", (target_s, stamp_of(stamped))


def test_sigint_under_load_exits_with_code_0_and_no_traceback(sim) -> None:
    live, _clock = sim
    halt = threading.Event()
    answers: list[str] = []

    def frames() -> None:
        while not halt.wait(1 / 30):
            live.camera.send()

    def queries() -> None:
        client = live.client._clients["query"]
        while not halt.is_set():
            future = client.call_async(Query.Request(text="what moves?", track=False))
            future.add_done_callback(lambda f: answers.append(str(f.exception() or "ok")))
            time.sleep(0.05)

    workers = [threading.Thread(target=frames), threading.Thread(target=queries)]
    for worker in workers:
        worker.start()
    try:
        live.client.wait_for_status(lambda s: int(s["requests_done"]) >= 3, timeout_s=30)
        started = time.monotonic()
        code = live.node.stop(timeout_s=SHUTDOWN_TIMEOUT_S)
        took = time.monotonic() - started
    finally:
        halt.set()
        for worker in workers:
            worker.join()
    text = live.log.read_text(errors="replace")
    assert code == 0, f"exit code {code} after {took:.1f} s\n{text[-3000:]}"
    assert took < SHUTDOWN_TIMEOUT_S and "Traceback" not in text, text[-3000:]
