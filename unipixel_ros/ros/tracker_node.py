"""The tracker of a split deployment: the single node with SAM 2.1 only, reasoning elsewhere.

`unipixel_tracker` (docs/deployment.md) is the single node's code (`node_wiring`: cameras,
clicks, AddObjects / RemoveObjects / ResetMemory, masks, overlay, label image, markers,
diagnostics, Query / Ask / Describe) with one difference: its `LivePerception` holds SAM 2.1
alone (`model_path`'s ``sam2.*`` tensors, or `sam2_checkpoint`) and asks a `RemoteReasoner`
where the single node asks its predictor. The query's objects are placed on the newest frame
as in the single node. Its node name is `unipixel`, so its topics and services are the single
node's; put several trackers in namespaces to share one reasoner.
"""

from __future__ import annotations

import time
from typing import Any

from rclpy.exceptions import ParameterException
from rclpy.node import Node

from unipixel_ros.errors import ConfigError
from unipixel_ros.perception.factory import build_tracking_perception
from unipixel_ros.ros.node_status import ModelStatus
from unipixel_ros.ros.node_wiring import LoadedModel, NodeWiring, perception_config
from unipixel_ros.ros.parameters import NodeParameters, declare_and_read
from unipixel_ros.ros.perception_node import NODE_NAME, executor_threads, spin_node
from unipixel_ros.ros.remote_reasoner import RemoteReasoner
from unipixel_ros.ros.split_parameters import TrackerLinkParameters, declare_and_read_dataclass

__all__ = ["TrackerNode", "main"]


class TrackerNode(Node):
    """The single node's wiring around a SAM-only perception and a remote reasoner."""

    def __init__(self, **node_kwargs: Any) -> None:
        self._wiring: NodeWiring | None = None
        try:
            super().__init__(NODE_NAME, **node_kwargs)
        except ParameterException as err:
            raise ConfigError(f"parameter {err}") from err
        self.params: NodeParameters = declare_and_read(self)
        self.link = declare_and_read_dataclass(self, TrackerLinkParameters)
        model = self._load()
        self._wiring = NodeWiring(
            node=self, params=self.params, model=model, reasoner=self.link.reasoner_action
        )
        self.get_logger().info(self._wiring.describe())

    def _load(self) -> LoadedModel | None:
        params = self.params
        if not params.model_path:
            return None
        started = time.monotonic()
        reasoner = RemoteReasoner(node=self, link=self.link, timeout_s=params.request_timeout_s)
        built = build_tracking_perception(
            model_path=params.model_path,
            device=params.device,
            backend=params.backend,
            config=perception_config(params),
            reasoner=reasoner,
            sam2_checkpoint=self.link.sam2_checkpoint,
        )
        for warning in built.warnings:
            self.get_logger().warning(warning)
        self.get_logger().info(built.backend_report)
        status = ModelStatus(
            loaded=True,
            description=f"{built.description}; reasoner {reasoner.name}",
            backend=built.backend,
            random_weights=built.random_weights,
        )
        return LoadedModel(
            perception=built.perception, status=status, load_s=time.monotonic() - started
        )

    def destroy_node(self) -> None:
        if self._wiring is not None:
            self._wiring.stop_lanes()
        super().destroy_node()


def main(args: list[str] | None = None) -> None:
    """Run the tracker until Ctrl-C or an external shutdown."""
    spin_node(TrackerNode, threads=lambda node: executor_threads(node.params), args=args)


if __name__ == "__main__":
    main()
