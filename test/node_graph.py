"""The node in its own process with a test client on the graph, for graph tests."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from unipixel_ros.ros.evaluation.client import UnipixelClient
from unipixel_ros.ros.evaluation.node_process import NodeProcess

#: The parameter file the package ships, which every graph test starts the node from.
SHIPPED_PARAMS = Path(__file__).parents[1] / "config" / "unipixel.yaml"


@contextmanager
def running_node(
    *,
    log_path: Path,
    ready_timeout_s: float,
    params_file: Path | None = SHIPPED_PARAMS,
    parameters: Mapping[str, object] | None = None,
    remappings: Mapping[str, str] | None = None,
) -> Iterator[UnipixelClient]:
    """Start the node (``NodeProcess``) and a client, and wait until the node serves.

    On a clean exit of the block both stop, and the node must have ended as SIGINT should end
    it: exit code 0 and no traceback in its log.
    """
    node = NodeProcess(
        params_file=params_file, parameters=parameters, remappings=remappings, log_path=log_path
    )
    client = UnipixelClient()
    try:
        client.wait_until_ready(timeout_s=ready_timeout_s)
        yield client
    finally:
        client.close()
        code = node.stop()
    text = log_path.read_text()
    assert code == 0, text
    assert "Traceback" not in text, text
