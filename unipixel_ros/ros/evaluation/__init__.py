"""The harness that drives a node from outside: node process, client, replay, recording."""

from __future__ import annotations

__all__: list[str] = []
