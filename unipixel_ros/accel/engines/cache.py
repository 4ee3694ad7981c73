"""A directory of serialised engines, each with a JSON sidecar checked before it is loaded.

Layout of the cache directory (default: ``engines/`` at the repository root)::

    <part>-<precision>-<gpu slug>.engine        serialised TensorRT engine (opaque bytes)
    <part>-<precision>-<gpu slug>.engine.json   sidecar: the full EngineKey + integrity data
    timing-<tensorrt version>-<gpu slug>.cache  TensorRT timing cache shared by all builds

One file slot per (part, precision, GPU): when the model, the TensorRT version, the shape
profile or the calibration data change, the engine in the slot is *stale*. The sidecar is
compared field by field with the requested :class:`EngineKey`, and the engine bytes with the
SHA-256 the sidecar records, before anything is handed to TensorRT; a stale, foreign, truncated
or sidecar-less engine is never returned. See ``engines/README.md`` for the sidecar format.

This module is pure Python: it stores and checks bytes and never imports TensorRT.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from unipixel_ros.accel.engines.key import DeviceIdentity, EngineKey
from unipixel_ros.errors import EngineError

__all__ = [
    "DEFAULT_ENGINE_DIR",
    "SIDECAR_FORMAT_VERSION",
    "EngineCache",
    "EngineFiles",
    "EngineRecord",
]

_LOG = logging.getLogger(__name__)

SIDECAR_FORMAT_VERSION = 1
DEFAULT_ENGINE_DIR = Path(__file__).resolve().parents[3] / "engines"


@dataclass(frozen=True, kw_only=True)
class EngineFiles:
    """The two files of one cache slot."""

    engine: Path
    sidecar: Path


@dataclass(frozen=True, kw_only=True)
class EngineRecord:
    """Contents of an engine's JSON sidecar.

    Args:
        key: everything the engine depends on; compared before loading.
        engine_sha256: hex SHA-256 of the engine file, checked before loading.
        engine_size_bytes: size of the engine file.
        built_at: UTC time the build finished, ISO 8601.
        build_seconds: wall time of the build.
        builder_settings: informational build settings (workspace limit, optimisation level,
            ...) that do not change what the engine computes; not part of the key.
    """

    key: EngineKey
    engine_sha256: str
    engine_size_bytes: int
    built_at: str
    build_seconds: float
    builder_settings: Mapping[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "format_version": SIDECAR_FORMAT_VERSION,
            "key": self.key.to_json(),
            "key_sha256": self.key.digest,
            "engine_sha256": self.engine_sha256,
            "engine_size_bytes": self.engine_size_bytes,
            "built_at": self.built_at,
            "build_seconds": self.build_seconds,
            "builder_settings": dict(self.builder_settings),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any], *, source: Path) -> EngineRecord:
        """Parse a sidecar.

        Raises:
            EngineError: unknown format version, missing field, or a key digest that does not
                match the key (a hand-edited sidecar).
        """
        version = data.get("format_version")
        if version != SIDECAR_FORMAT_VERSION:
            raise EngineError(
                f"sidecar {source} has format_version {version!r}, expected "
                f"{SIDECAR_FORMAT_VERSION}"
            )
        try:
            key = EngineKey.from_json(data["key"])
            record = cls(
                key=key,
                engine_sha256=str(data["engine_sha256"]),
                engine_size_bytes=int(data["engine_size_bytes"]),
                built_at=str(data["built_at"]),
                build_seconds=float(data["build_seconds"]),
                builder_settings=dict(data.get("builder_settings", {})),
            )
        except (KeyError, TypeError, ValueError) as err:
            raise EngineError(f"sidecar {source} is malformed: missing or bad {err}") from err
        if data.get("key_sha256") != key.digest:
            raise EngineError(
                f"sidecar {source}: key_sha256 {data.get('key_sha256')!r} does not match its "
                f"key (digest {key.digest}); the sidecar was edited or corrupted"
            )
        return record


class EngineCache:
    """Engines on disk, keyed by :class:`EngineKey`, never loaded without a matching sidecar.

    Args:
        directory: where engines, sidecars and timing caches live; created on first write.
            Defaults to :data:`DEFAULT_ENGINE_DIR` (``engines/`` at the repository root).
    """

    def __init__(self, *, directory: Path | None = None) -> None:
        self._directory = DEFAULT_ENGINE_DIR if directory is None else Path(directory)

    @property
    def directory(self) -> Path:
        return self._directory

    def files_for(self, key: EngineKey) -> EngineFiles:
        """Paths of the slot that holds engines for ``key``'s part, precision and GPU."""
        stem = f"{key.part}-{key.precision.value}-{key.device.slug}.engine"
        return EngineFiles(engine=self._directory / stem, sidecar=self._directory / f"{stem}.json")

    def load(self, key: EngineKey) -> bytes:
        """The serialised engine for ``key``, after checking its sidecar and its bytes.

        Raises:
            EngineError: no engine in the slot, no sidecar, a sidecar whose key differs from
                ``key`` (the message names every mismatched field), or engine bytes whose size
                or SHA-256 differ from the sidecar's.
        """
        files = self.files_for(key)
        if not files.engine.is_file():
            raise EngineError(f"no engine for {key.part} ({key.precision.value}) at {files.engine}")
        return self.load_file(files.engine, key)

    @staticmethod
    def load_file(engine_path: Path, key: EngineKey) -> bytes:
        """Check ``engine_path`` and its ``.json`` sidecar against ``key``; return its bytes.

        Use this for an engine given by path (a node parameter) rather than found in the cache.

        Raises:
            EngineError: as :meth:`load`.
        """
        sidecar = engine_path.with_name(engine_path.name + ".json")
        record = _read_record(engine_path, sidecar)
        mismatched = key.mismatched_fields(record.key)
        if mismatched:
            details = "; ".join(
                f"{name}: need {want!r}, engine has {have!r}"
                for name, (want, have) in mismatched.items()
            )
            raise EngineError(
                f"engine {engine_path} was built for a different configuration and is not "
                f"loaded ({len(mismatched)} mismatched field(s): {details})"
            )
        data = engine_path.read_bytes()
        if len(data) != record.engine_size_bytes:
            raise EngineError(
                f"engine {engine_path} has {len(data)} bytes, its sidecar says "
                f"{record.engine_size_bytes}; the file is truncated or replaced"
            )
        actual_sha = hashlib.sha256(data).hexdigest()
        if actual_sha != record.engine_sha256:
            raise EngineError(
                f"engine {engine_path} has SHA-256 {actual_sha}, its sidecar says "
                f"{record.engine_sha256}; the file is corrupted or replaced"
            )
        return data

    def find_valid(self, key: EngineKey) -> bytes | None:
        """Like :meth:`load`, but ``None`` when the slot is empty, stale or corrupt.

        The reason a present engine is rejected is logged once at WARNING.
        """
        files = self.files_for(key)
        if not files.engine.exists() and not files.sidecar.exists():
            return None
        try:
            return self.load(key)
        except EngineError as err:
            _LOG.warning("ignoring cached engine: %s", err)
            return None

    def store(
        self,
        key: EngineKey,
        engine_bytes: bytes,
        *,
        build_seconds: float,
        builder_settings: Mapping[str, Any] | None = None,
    ) -> EngineFiles:
        """Write ``engine_bytes`` and its sidecar into ``key``'s slot, replacing what was there.

        The old sidecar is removed first and the new one written last, each file through a
        temporary name and an atomic rename, so a reader never pairs new bytes with an old
        sidecar (and a crash mid-write leaves a slot that :meth:`load` rejects).

        Raises:
            EngineError: ``engine_bytes`` is empty or the directory is not writable.
        """
        if not engine_bytes:
            raise EngineError(f"refusing to cache an empty engine for {key.part}")
        files = self.files_for(key)
        record = EngineRecord(
            key=key,
            engine_sha256=hashlib.sha256(engine_bytes).hexdigest(),
            engine_size_bytes=len(engine_bytes),
            built_at=dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
            build_seconds=round(build_seconds, 3),
            builder_settings=dict(builder_settings or {}),
        )
        sidecar_text = json.dumps(record.to_json(), indent=2, sort_keys=True) + "\n"
        try:
            self._directory.mkdir(parents=True, exist_ok=True)
            files.sidecar.unlink(missing_ok=True)
            _write_atomic(files.engine, engine_bytes)
            _write_atomic(files.sidecar, sidecar_text.encode())
        except OSError as err:
            raise EngineError(f"cannot write engine to {self._directory}: {err}") from err
        return files

    def get_or_build(
        self,
        key: EngineKey,
        build: Callable[[], bytes],
        *,
        force_rebuild: bool = False,
        allow_build: bool = True,
        builder_settings: Mapping[str, Any] | None = None,
    ) -> bytes:
        """The engine for ``key``: from the cache when valid, else built and cached.

        Args:
            key: the engine wanted.
            build: produces serialised engine bytes for ``key``; called at most once.
            force_rebuild: build even when a valid engine is cached.
            allow_build: when ``False``, a missing or stale engine raises instead of building
                (a node that must not spend minutes building at start-up).
            builder_settings: recorded in the sidecar.

        Raises:
            EngineError: building is needed but ``allow_build`` is ``False``, or ``build``
                returned nothing.
        """
        if not force_rebuild:
            cached = self.find_valid(key)
            if cached is not None:
                return cached
        if not allow_build:
            raise EngineError(
                f"no valid engine for {key.part} ({key.precision.value}, {key.device.gpu_name}) "
                f"in {self._directory} and building is disabled; build it on this device "
                f"with `unipixel-ros build-engines`"
            )
        reason = "forced" if force_rebuild else "missing or stale"
        _LOG.info("building engine %s (%s); this can take minutes", key.part, reason)
        started = time.monotonic()
        engine_bytes = build()
        elapsed = time.monotonic() - started
        self.store(key, engine_bytes, build_seconds=elapsed, builder_settings=builder_settings)
        _LOG.info("built engine %s in %.1f s", key.part, elapsed)
        return engine_bytes

    def timing_cache_path(self, *, tensorrt_version: str, device: DeviceIdentity) -> Path:
        """Path of the timing cache shared by every build for this TensorRT version and GPU."""
        return self._directory / f"timing-{tensorrt_version}-{device.slug}.cache"

    def read_timing_cache(self, *, tensorrt_version: str, device: DeviceIdentity) -> bytes:
        """Serialised timing cache, or ``b""`` when none exists yet (TensorRT starts empty)."""
        path = self.timing_cache_path(tensorrt_version=tensorrt_version, device=device)
        return path.read_bytes() if path.is_file() else b""

    def write_timing_cache(
        self, data: bytes, *, tensorrt_version: str, device: DeviceIdentity
    ) -> Path:
        """Replace the timing cache atomically; returns its path.

        Raises:
            EngineError: the directory is not writable.
        """
        path = self.timing_cache_path(tensorrt_version=tensorrt_version, device=device)
        try:
            self._directory.mkdir(parents=True, exist_ok=True)
            _write_atomic(path, data)
        except OSError as err:
            raise EngineError(f"cannot write timing cache {path}: {err}") from err
        return path


def _read_record(engine_path: Path, sidecar: Path) -> EngineRecord:
    if not engine_path.is_file():
        raise EngineError(f"engine file {engine_path} does not exist")
    if not sidecar.is_file():
        raise EngineError(
            f"engine {engine_path} has no sidecar {sidecar.name}; an engine of unknown origin "
            f"is never loaded"
        )
    try:
        data = json.loads(sidecar.read_text())
    except (OSError, json.JSONDecodeError) as err:
        raise EngineError(f"sidecar {sidecar} is unreadable: {err}") from err
    if not isinstance(data, dict):
        raise EngineError(f"sidecar {sidecar} holds {type(data).__name__}, expected an object")
    return EngineRecord.from_json(data, source=sidecar)


def _write_atomic(path: Path, data: bytes) -> None:
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with temporary.open("wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        temporary.replace(path)
    finally:
        temporary.unlink(missing_ok=True)
