"""The unipixel perception node: cameras and clicks in; masks, answers, overlays, markers out.

Topics, services, the action and parameters are listed in docs/node.md. Without a model
(parameter `model_path` empty) every request is answered with an error that says so; the node
never invents an answer. The node loads its model and serves at once; `lifecycle_node` is the
managed variant. Both share `node_wiring` (its docstring describes the threads and lanes) and
`live_parameters` (what `ros2 param set` may change while the node runs).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import rclpy
from rclpy.exceptions import ParameterException
from rclpy.executors import ExternalShutdownException, MultiThreadedExecutor
from rclpy.node import Node

from unipixel_ros.errors import ConfigError, UnipixelError
from unipixel_ros.ros.live_parameters import LiveParameters
from unipixel_ros.ros.node_wiring import NodeWiring, load_model
from unipixel_ros.ros.parameters import NodeParameters, declare_and_read

__all__ = ["NODE_NAME", "PerceptionNode", "executor_threads", "main", "spin_node"]

NODE_NAME = "unipixel"
SPARE_EXECUTOR_THREADS = 4  # image callbacks, timers and busy answers while requests wait
N = TypeVar("N", bound=Node)


def executor_threads(params: NodeParameters) -> int:
    """Executor threads for ``params``: a waiting service call holds one, so there is room for
    both lanes' queues and the spare threads."""
    return 2 * params.max_pending_requests + SPARE_EXECUTOR_THREADS


class PerceptionNode(Node):
    """ROS glue around `LivePerception`: converts messages, queues work, publishes results."""

    def __init__(self, **node_kwargs: Any) -> None:
        # Set first: rclpy destroys the node at shutdown even when __init__ failed half-way.
        self._wiring: NodeWiring | None = None
        try:
            super().__init__(NODE_NAME, **node_kwargs)
        except ParameterException as err:  # rclpy's own parameters, such as use_sim_time
            raise ConfigError(f"parameter {err}") from err
        self.params: NodeParameters = declare_and_read(self)
        model = load_model(node=self, params=self.params)
        self._wiring = NodeWiring(node=self, params=self.params, model=model)
        LiveParameters(node=self, params=self.params, on_change=self._use_parameters)
        self.get_logger().info(self._wiring.describe())

    def _use_parameters(self, params: NodeParameters) -> None:
        """A live parameter changed (`ros2 param set`)."""
        self.params = params
        if self._wiring is not None:
            self._wiring.apply(params)

    def destroy_node(self) -> None:
        if self._wiring is not None:
            self._wiring.stop_lanes()
        super().destroy_node()


def spin_node(
    make_node: Callable[[], N], *, threads: Callable[[N], int], args: list[str] | None
) -> None:
    """Init rclpy with ``args``, build a node and spin it on ``threads(node)`` executor threads
    until Ctrl-C or an external shutdown; a start-up `UnipixelError` exits with code 2."""
    try:
        rclpy.init(args=args)
    except RuntimeError as err:  # rclpy's RCLError or UnknownROSArgsError: bad arguments or YAML
        rclpy.logging.get_logger(NODE_NAME).fatal(f"cannot parse the ROS arguments: {err}")
        raise SystemExit(2) from err
    node: N | None = None
    try:
        node = make_node()
        executor = MultiThreadedExecutor(num_threads=threads(node))
        executor.add_node(node)
        executor.spin()
    except (KeyboardInterrupt, ExternalShutdownException):
        pass
    except UnipixelError as err:
        # A configuration or checkpoint error at start-up: say what is wrong, exit non-zero.
        rclpy.logging.get_logger(NODE_NAME).fatal(str(err))
        raise SystemExit(2) from err
    finally:
        if node is not None:
            node.destroy_node()
        rclpy.try_shutdown()


def main(args: list[str] | None = None) -> None:
    """Run the node until Ctrl-C or an external shutdown."""
    spin_node(PerceptionNode, threads=lambda node: executor_threads(node.params), args=args)


if __name__ == "__main__":
    main()
