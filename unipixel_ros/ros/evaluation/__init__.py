"""Driving a node from outside: its process, a client, replay, requests, recording, the run."""

from __future__ import annotations

__all__: list[str] = []
