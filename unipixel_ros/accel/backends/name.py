"""The names a node parameter or the CLI can give a backend."""

from __future__ import annotations

import enum

from unipixel_ros.errors import ConfigError

__all__ = ["BackendName"]


class BackendName(enum.Enum):
    """The backends a node parameter can name."""

    EAGER = "eager"
    COMPILE = "compile"
    TENSORRT = "tensorrt"

    @classmethod
    def parse(cls, requested: BackendName | str) -> BackendName:
        """``requested`` as a name, e.g. straight from a node parameter.

        Raises:
            ConfigError: it names no backend.
        """
        try:
            return cls(requested)
        except ValueError as err:
            choices = [name.value for name in cls]
            raise ConfigError(f"unknown backend {requested!r}; expected one of {choices}") from err
