"""Start the perception node in a child process (the demo, eval and graph tests use it).

`NodeProcess` starts the single node by default; ``module`` starts the tracker or the reasoner
of a split deployment instead (`TRACKER_MODULE`, `REASONER_MODULE`).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import IO

__all__ = ["REASONER_MODULE", "SINGLE_NODE_MODULE", "TRACKER_MODULE", "NodeProcess"]

SINGLE_NODE_MODULE = "unipixel_ros.ros.perception_node"
TRACKER_MODULE = "unipixel_ros.ros.tracker_node"
REASONER_MODULE = "unipixel_ros.ros.reasoner_node"


class NodeProcess:
    """The unipixel node running in its own process; a context manager that stops it cleanly.

    Args:
        params_file: a YAML parameter file (`--params-file`), applied before ``parameters``.
        parameters: ROS parameters (`-p name:=value`).
        remappings: topic remappings (`-r from:=to`).
        log_path: file that receives the node's stdout and stderr; None inherits ours.
        module: the node's Python module (`SINGLE_NODE_MODULE`, `TRACKER_MODULE` or
            `REASONER_MODULE`).
    """

    def __init__(
        self,
        *,
        params_file: Path | None = None,
        parameters: Mapping[str, object] | None = None,
        remappings: Mapping[str, str] | None = None,
        log_path: Path | None = None,
        module: str = SINGLE_NODE_MODULE,
    ) -> None:
        command = [sys.executable, "-m", module, "--ros-args"]
        if params_file is not None:
            command += ["--params-file", str(params_file)]
        for name, value in (parameters or {}).items():
            command += ["-p", f"{name}:={_parameter_text(value)}"]
        for source, target in (remappings or {}).items():
            command += ["-r", f"{source}:={target}"]
        env = dict(os.environ)
        env.setdefault("FASTDDS_BUILTIN_TRANSPORTS", "LARGE_DATA")
        env.setdefault("PYTHONUNBUFFERED", "1")
        self._log: IO[bytes] | None = None if log_path is None else log_path.open("wb")
        self.command = command
        self.process = subprocess.Popen(
            command,
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT if self._log else None,
        )

    def stop(self, *, timeout_s: float = 15.0) -> int:
        """SIGINT, as Ctrl-C would; SIGKILL if it does not exit in time. Returns the exit code."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=timeout_s)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self._log is not None:
            self._log.close()
        return self.process.returncode

    def __enter__(self) -> NodeProcess:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()


def _parameter_text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str) and value == "":
        return "''"
    return str(value)
