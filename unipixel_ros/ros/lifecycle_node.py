"""The managed (lifecycle) variant of the perception node, for lifecycle-managed bring-ups.

Same name, topics, services, action and parameters as `perception_node`, whose wiring it shares
(`node_wiring`); the transitions (docs/node.md, "Managed node"):

- configure: report a bad parameter (FAILURE), load the model and log what and how long;
- activate: the two lanes, subscriptions, publishers, services, the Ask action, diagnostics;
- deactivate: remove all of those and keep the model; until the next activate the services
  answer "inactive" and the Ask action rejects its goals;
- cleanup: free the model (on CUDA also the cached blocks, with the bytes freed logged);
- shutdown: all of the above, from any state.

Parameters are declared and read once, when the node starts; configure reports the first bad
one (then every parameter change is refused: only a restart with other values helps). The live
ones (`live_parameters`) can change in any state: the change reaches the serving parts at once
when active, and the next configure or activate otherwise.
"""

from __future__ import annotations

import gc
from typing import Any

import torch
from rclpy.action import ActionServer, CancelResponse, GoalResponse
from rclpy.callback_groups import ReentrantCallbackGroup
from rclpy.exceptions import ParameterException
from rclpy.lifecycle import LifecycleNode, LifecycleState, TransitionCallbackReturn
from unipixel_ros_interfaces.action import Ask

from unipixel_ros.errors import ConfigError, UnipixelError
from unipixel_ros.ros.live_parameters import LiveParameters, refuse_parameter_changes
from unipixel_ros.ros.node_wiring import LoadedModel, NodeWiring, load_model
from unipixel_ros.ros.parameters import REQUEST_QOS, NodeParameters, declare_and_read
from unipixel_ros.ros.perception_node import NODE_NAME, executor_threads, spin_node
from unipixel_ros.ros.request_handlers import SERVICE_TYPES

__all__ = ["INACTIVE_MESSAGE", "LifecyclePerceptionNode", "main"]

INACTIVE_MESSAGE = (
    "the node is inactive: it takes no frames or requests until the lifecycle transition "
    "'activate' (e.g. `ros2 lifecycle set /unipixel activate`)"
)


class _InactiveRefusals:
    """While the node is inactive: its services answer `INACTIVE_MESSAGE`, Ask goals are
    rejected. `close` removes them before the real ones are created."""

    def __init__(self, *, node: LifecycleNode) -> None:
        self._node = node
        group = ReentrantCallbackGroup()  # answers at once, so no ordering is needed
        self._services = [
            node.create_service(
                kind,
                f"~/{name}",
                self._refuse,
                qos_profile=REQUEST_QOS,
                callback_group=group,
            )
            for name, kind in SERVICE_TYPES.items()
        ]
        self._ask: ActionServer[Any, Any, Any] = ActionServer(
            node,
            Ask,
            "~/ask",
            execute_callback=lambda _goal: Ask.Result(success=False, message=INACTIVE_MESSAGE),
            goal_callback=lambda _goal: GoalResponse.REJECT,
            cancel_callback=lambda _goal: CancelResponse.ACCEPT,
            goal_service_qos_profile=REQUEST_QOS,
            result_service_qos_profile=REQUEST_QOS,
            callback_group=group,
        )

    def _refuse(self, _request: Any, response: Any) -> Any:
        response.success = False
        response.message = INACTIVE_MESSAGE
        return response

    def close(self) -> None:
        self._ask.destroy()
        for service in self._services:
            self._node.destroy_service(service)


class LifecyclePerceptionNode(LifecycleNode):
    """The perception node as a managed node: `PerceptionNode`'s work, split by transition."""

    def __init__(self, **node_kwargs: Any) -> None:
        # Set first: rclpy destroys the node at shutdown even when __init__ failed half-way.
        self._wiring: NodeWiring | None = None
        self._refusals: _InactiveRefusals | None = None
        self._model: LoadedModel | None = None
        try:
            super().__init__(NODE_NAME, **node_kwargs)
        except ParameterException as err:  # rclpy's own parameters, such as use_sim_time
            raise ConfigError(f"parameter {err}") from err
        self.params: NodeParameters | None = None
        self._parameter_error: ConfigError | None = None
        try:
            self.params = declare_and_read(self)
        except ConfigError as err:  # reported by configure, which then fails
            self._parameter_error = err
            refuse_parameter_changes(self, f"the node's parameters are unusable: {err}")
        else:
            LiveParameters(node=self, params=self.params, on_change=self._use_parameters)

    @property
    def executor_threads(self) -> int:
        """Executor threads the node needs (the defaults' when a parameter is bad)."""
        return executor_threads(self.params or NodeParameters())

    def _use_parameters(self, params: NodeParameters) -> None:
        """A live parameter changed (`ros2 param set`); lifecycle transitions run in the same
        (default, mutually exclusive) callback group, so ``_wiring`` cannot change meanwhile."""
        self.params = params
        if self._wiring is not None:
            self._wiring.apply(params)

    def on_configure(self, state: LifecycleState) -> TransitionCallbackReturn:
        if self.params is None:
            self.get_logger().fatal(f"configure failed: {self._parameter_error}")
            return TransitionCallbackReturn.FAILURE
        try:
            self._model = load_model(node=self, params=self.params)
        except UnipixelError as err:
            self.get_logger().fatal(f"configure failed: {err}")
            return TransitionCallbackReturn.FAILURE
        if self._model is None:
            self.get_logger().info("configured without a model (model_path is empty)")
        else:
            status = self._model.status
            self.get_logger().info(
                f"configured: loaded {status.description} ({status.backend}) "
                f"in {self._model.load_s:.1f} s"
            )
        self._refusals = _InactiveRefusals(node=self)
        return TransitionCallbackReturn.SUCCESS

    def on_activate(self, state: LifecycleState) -> TransitionCallbackReturn:
        if self.params is None:  # unreachable: activate follows a successful configure
            return TransitionCallbackReturn.FAILURE
        self._close_refusals()
        try:
            self._wiring = NodeWiring(node=self, params=self.params, model=self._model)
        except UnipixelError as err:
            self.get_logger().error(f"activate failed: {err}")
            self._refusals = _InactiveRefusals(node=self)
            return TransitionCallbackReturn.FAILURE
        self.get_logger().info(f"active: {self._wiring.describe()}")
        return TransitionCallbackReturn.SUCCESS

    def on_deactivate(self, state: LifecycleState) -> TransitionCallbackReturn:
        self._close_wiring()
        self._refusals = _InactiveRefusals(node=self)
        self.get_logger().info("inactive: no frames or requests are taken; the model is kept")
        return TransitionCallbackReturn.SUCCESS

    def on_cleanup(self, state: LifecycleState) -> TransitionCallbackReturn:
        self._close_refusals()
        self._free_model()
        return TransitionCallbackReturn.SUCCESS

    def on_shutdown(self, state: LifecycleState) -> TransitionCallbackReturn:
        self._close_wiring()
        self._close_refusals()
        self._free_model()
        return TransitionCallbackReturn.SUCCESS

    def destroy_node(self) -> None:
        if self._wiring is not None:
            self._wiring.stop_lanes()
        super().destroy_node()

    def _close_wiring(self) -> None:
        if self._wiring is not None:
            self._wiring.close()
            self._wiring = None

    def _close_refusals(self) -> None:
        if self._refusals is not None:
            self._refusals.close()
            self._refusals = None

    def _free_model(self) -> None:
        """Drop the model; on CUDA also return the cached blocks and log the bytes freed."""
        if self._model is None:
            return
        device = self._model.perception.sam2.device
        cuda = device.type == "cuda"
        if cuda:
            before = (torch.cuda.memory_allocated(device), torch.cuda.memory_reserved(device))
        self._model = None
        gc.collect()  # the destroyed callbacks' closures still point at the perception
        if not cuda:
            self.get_logger().info("cleaned up: the model is freed")
            return
        torch.cuda.empty_cache()
        allocated = before[0] - torch.cuda.memory_allocated(device)
        reserved = before[1] - torch.cuda.memory_reserved(device)
        self.get_logger().info(
            f"cleaned up: the model is freed; {device}: {allocated / 2**20:.0f} MiB allocated "
            f"and {reserved / 2**20:.0f} MiB reserved memory returned"
        )


def main(args: list[str] | None = None) -> None:
    """Run the managed node (unconfigured until a `configure` transition) until Ctrl-C."""
    spin_node(LifecyclePerceptionNode, threads=lambda node: node.executor_threads, args=args)


if __name__ == "__main__":
    main()
