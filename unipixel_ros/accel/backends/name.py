"""The names a node parameter or the CLI can give a backend."""

from __future__ import annotations

import enum
from typing import TypeVar

from unipixel_ros.errors import ConfigError

__all__ = ["BackendName", "parse_choice"]

E = TypeVar("E", bound=enum.Enum)


def parse_choice(choices: type[E], requested: E | str, refusal: str) -> E:
    """``requested`` as a member of ``choices``, e.g. straight from a node parameter.

    Raises:
        ConfigError: ``refusal``, then the values it could have been.
    """
    try:
        return choices(requested)
    except ValueError as err:
        values = [choice.value for choice in choices]
        raise ConfigError(f"{refusal}; expected one of {values}") from err


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
        return parse_choice(cls, requested, f"unknown backend {requested!r}")
