"""The managed node in its own process, driven through its lifecycle_msgs services.

The test process plays the lifecycle manager: it calls `/unipixel/change_state` and
`/unipixel/get_state`, and checks on the graph which topics and services the node offers in
each state.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from lifecycle_msgs.msg import State, Transition
from lifecycle_msgs.srv import ChangeState, GetState
from parameter_client import ParameterClient
from sample_data import SAMPLE_BAG
from unipixel_ros_interfaces.action import Ask
from unipixel_ros_interfaces.srv import Query

from unipixel_ros.errors import NotReadyError
from unipixel_ros.model import SEG_TOKEN
from unipixel_ros.ros.evaluation.client import UnipixelClient
from unipixel_ros.ros.evaluation.frame_replay import play_bag
from unipixel_ros.ros.lifecycle_node import INACTIVE_MESSAGE

pytestmark = pytest.mark.ros

TOPICS = {
    "image": "/camera/color/image_raw",
    "camera_info": "/camera/color/camera_info",
    "depth": "/camera/aligned_depth_to_color/image_raw",
}
NODE_SERVICES = {f"/unipixel/{name}" for name in ("query", "add_objects", "describe")}
NODE_TOPICS = ("/unipixel/masks", "/unipixel/overlay", "/unipixel/answers")


class _Managed:
    """The managed node's process and a client that drives its transitions."""

    def __init__(self, *, parameters: Mapping[str, str], log_path: Path) -> None:
        command = [sys.executable, "-m", "unipixel_ros.ros.lifecycle_node", "--ros-args"]
        for name, value in parameters.items():
            command += ["-p", f"{name}:={value}"]
        for source, target in TOPICS.items():
            command += ["-r", f"{source}:={target}"]
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        env.setdefault("FASTDDS_BUILTIN_TRANSPORTS", "LARGE_DATA")
        self.log_path = log_path
        self._log = log_path.open("wb")
        self.process = subprocess.Popen(
            command, env=env, stdout=self._log, stderr=subprocess.STDOUT
        )
        self.client = UnipixelClient()
        node = self.client.node
        self._change = node.create_client(ChangeState, "/unipixel/change_state")
        self._get = node.create_client(GetState, "/unipixel/get_state")
        assert self._get.wait_for_service(timeout_sec=60.0), self.log_path.read_text()
        _wait_until(lambda: "unipixel" in node.get_node_names(), "the node is discovered")

    def state(self) -> int:
        return int(_result(self._get.call_async(GetState.Request())).current_state.id)

    def transition(self, transition_id: int) -> bool:
        request = ChangeState.Request(transition=Transition(id=transition_id))
        return bool(_result(self._change.call_async(request)).success)

    def stop(self) -> tuple[int, str]:
        """SIGINT, as Ctrl-C would; returns the exit code and the node's log."""
        self.client.close()
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=15.0)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()
        return self.process.returncode, self.log_path.read_text()


def _result(future: Any, timeout_s: float = 120.0) -> Any:
    done = threading.Event()
    future.add_done_callback(lambda _f: done.set())
    assert done.wait(timeout_s), "no answer from the managed node"
    return future.result()


def _wait_until(condition: Callable[[], bool], what: str, timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, f"not in {timeout_s} s: {what}"
        time.sleep(0.05)


def _services(client: UnipixelClient) -> set[str]:
    """The services the managed node serves (the client's own clients are not listed)."""
    served = client.node.get_service_names_and_types_by_node("unipixel", "/")
    return {name for name, _types in served}


def _published(client: UnipixelClient, topic: str) -> bool:
    return bool(client.node.get_publishers_info_by_topic(topic))


def _query_after_frames(client: UnipixelClient) -> None:
    """Frames of the sample bag reach the active node, then a language query is answered."""
    play_bag(client.node, SAMPLE_BAG, remap=TOPICS, topics=tuple(TOPICS.values()), reliable=True)
    client.wait_for_status(lambda s: int(s["frames_processed"]) >= 1, timeout_s=60)
    answered = client.call("query", Query.Request(text="Please segment the red cup."))
    assert answered.success, answered.message
    assert answered.answer.answer == f"[0] {SEG_TOKEN}" and len(answered.objects) == 1


@pytest.fixture
def managed(tmp_path: Path) -> Iterator[Callable[..., _Managed]]:
    started: list[_Managed] = []

    def start(**parameters: str) -> _Managed:
        started.append(_Managed(parameters=parameters, log_path=tmp_path / "node.log"))
        return started[-1]

    yield start
    for node in started:
        code, text = node.stop()
        assert code == 0, text
        assert "Traceback" not in text, text


def test_the_managed_node_serves_only_while_active_and_keeps_its_model_when_inactive(
    managed, seg_checkpoint: Path
) -> None:
    node = managed(model_path=str(seg_checkpoint), ring_capacity="4", query_frames="3")
    client = node.client
    assert node.state() == State.PRIMARY_STATE_UNCONFIGURED
    assert not NODE_SERVICES & _services(client)

    assert node.transition(Transition.TRANSITION_CONFIGURE)
    assert node.state() == State.PRIMARY_STATE_INACTIVE
    assert "configured: loaded" in node.log_path.read_text()
    client.wait_until_ready(timeout_s=30.0)
    refused = client.call("query", Query.Request(text="Please segment the red cup."))
    assert not refused.success and refused.message == INACTIVE_MESSAGE
    assert not any(_published(client, topic) for topic in NODE_TOPICS)

    assert node.transition(Transition.TRANSITION_ACTIVATE)
    assert node.state() == State.PRIMARY_STATE_ACTIVE
    _wait_until(lambda: all(_published(client, t) for t in NODE_TOPICS), "topics appear")
    _wait_until(lambda: client.node.count_subscribers(TOPICS["image"]) > 0, "image subscribed")
    _query_after_frames(client)

    assert node.transition(Transition.TRANSITION_DEACTIVATE)
    assert node.state() == State.PRIMARY_STATE_INACTIVE
    _wait_until(lambda: not any(_published(client, t) for t in NODE_TOPICS), "topics disappear")
    _wait_until(lambda: client.node.count_subscribers(TOPICS["image"]) == 0, "image unsubscribed")
    refused = client.call("query", Query.Request(text="Please segment the red cup."))
    assert not refused.success and refused.message == INACTIVE_MESSAGE
    _status, rejected = client.ask(Ask.Goal(text="Please segment the red cup."))
    assert not rejected.success and rejected.message == "goal rejected"

    # Active again without loading the model again.
    assert node.transition(Transition.TRANSITION_ACTIVATE)
    _wait_until(lambda: client.node.count_subscribers(TOPICS["image"]) > 0, "image subscribed")
    _query_after_frames(client)
    assert node.log_path.read_text().count("configured: loaded") == 1
    assert node.transition(Transition.TRANSITION_DEACTIVATE)

    assert node.transition(Transition.TRANSITION_CLEANUP)
    assert node.state() == State.PRIMARY_STATE_UNCONFIGURED
    _wait_until(lambda: not NODE_SERVICES & _services(client), "services disappear")
    assert "cleaned up: the model is freed" in node.log_path.read_text()

    assert node.transition(Transition.TRANSITION_UNCONFIGURED_SHUTDOWN)
    assert node.state() == State.PRIMARY_STATE_FINALIZED


def test_the_managed_node_shuts_down_from_the_active_state(managed) -> None:
    node = managed(model_path="''")
    assert node.transition(Transition.TRANSITION_CONFIGURE)
    assert node.transition(Transition.TRANSITION_ACTIVATE)
    node.client.wait_until_ready(timeout_s=30.0)
    refused = node.client.call("query", Query.Request(text="Please segment the red cup."))
    assert not refused.success and "no model is loaded" in refused.message
    assert node.transition(Transition.TRANSITION_ACTIVE_SHUTDOWN)
    assert node.state() == State.PRIMARY_STATE_FINALIZED
    _wait_until(lambda: not NODE_SERVICES & _services(node.client), "services disappear")


def test_a_bad_parameter_fails_configure_with_the_reason_in_the_log(managed) -> None:
    node = managed(overlay_alpha="2.0")
    assert not node.transition(Transition.TRANSITION_CONFIGURE)
    assert node.state() == State.PRIMARY_STATE_UNCONFIGURED
    _wait_until(lambda: "overlay_alpha is 2.0" in node.log_path.read_text(), "reason logged")
    (refused,) = ParameterClient(node.client).set(query_frames=2)
    assert not refused.successful and "unusable: overlay_alpha is 2.0" in refused.reason


def test_live_parameters_set_before_configure_and_while_active_take_effect(
    managed, seg_checkpoint: Path
) -> None:
    node = managed(model_path=str(seg_checkpoint), ring_capacity="4", query_frames="3")
    parameters = ParameterClient(node.client)
    # Unconfigured: the model is not built yet; the value reaches the one configure builds.
    assert all(r.successful for r in parameters.set(query_frames=1))
    (read_only,) = parameters.set(ring_capacity=2)
    assert not read_only.successful and "read-only" in read_only.reason
    assert node.transition(Transition.TRANSITION_CONFIGURE)
    assert node.transition(Transition.TRANSITION_ACTIVATE)
    client = node.client
    client.wait_until_ready(timeout_s=30.0)
    for _ in range(3):  # frames enough for a query over the 3 it would use without the change
        topics = tuple(TOPICS.values())
        play_bag(client.node, SAMPLE_BAG, remap=TOPICS, topics=topics, reliable=True)
        with contextlib.suppress(NotReadyError):
            client.wait_for_status(lambda s: int(s["frames_processed"]) >= 3, timeout_s=20)
            break
    else:
        raise AssertionError(f"fewer than 3 frames processed: {client.status()}")
    request = Query.Request(text="Please segment the red cup.", track=False)
    answered = client.call("query", request)
    assert answered.success and answered.answer.num_frames == 1, answered.message
    # Active: the serving parts take the value at once.
    assert all(r.successful for r in parameters.set(max_query_chars=10))
    refused = client.call("query", request)
    assert not refused.success and refused.message.endswith("the limit is 10")
