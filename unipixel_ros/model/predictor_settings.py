"""``PredictorSettings``: the predictor's deployment knobs and their checkpoint file
(``predictor_settings.json``)."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from unipixel_ros.errors import CheckpointError, ConfigError
from unipixel_ros.model.object_memory import MemoryTokenOrder
from unipixel_ros.model.qwen_preprocessing import QwenVideoSpec

__all__ = ["PREDICTOR_SETTINGS_FILE", "PredictorSettings"]

#: Optional file of a checkpoint directory: the settings its weights were trained for (our
#: own format; the released checkpoints have none and get the reference's settings).
PREDICTOR_SETTINGS_FILE = "predictor_settings.json"


@dataclass(frozen=True, kw_only=True)
class PredictorSettings:
    """Deployment knobs of the predictor.

    Args:
        video: frame sampling and pixel budget for the LLM.
        max_new_tokens: generation limit per answer.
        memory_order: pooling order of ``<|mem|>`` features (see ``MemoryTokenOrder``).
        segment_all_frames: ``segment`` tracks masks on every input frame (the reference's
            evaluation); False tracks only the frames the LLM saw.
        encode_batch_size: frames per SAM 2.1 image-encoder call.
    """

    video: QwenVideoSpec = field(default_factory=QwenVideoSpec)
    max_new_tokens: int = 512
    memory_order: MemoryTokenOrder = MemoryTokenOrder.REFERENCE
    segment_all_frames: bool = True
    encode_batch_size: int = 4

    def __post_init__(self) -> None:
        for name in ("max_new_tokens", "encode_batch_size"):
            if getattr(self, name) < 1:
                raise ConfigError(
                    f"PredictorSettings.{name} must be >= 1, got {getattr(self, name)}"
                )

    def save(self, directory: str | Path) -> Path:
        """Write these settings as ``PREDICTOR_SETTINGS_FILE`` in a checkpoint directory."""
        data = asdict(self)
        data["memory_order"] = self.memory_order.value
        path = Path(directory) / PREDICTOR_SETTINGS_FILE
        path.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")
        return path

    @classmethod
    def read(cls, directory: str | Path) -> PredictorSettings | None:
        """The settings a checkpoint directory carries, or None when it has no such file.

        Raises:
            CheckpointError: the file exists but does not hold valid settings.
        """
        path = Path(directory) / PREDICTOR_SETTINGS_FILE
        if not path.is_file():
            return None
        try:
            data = json.loads(path.read_text())
            video = QwenVideoSpec(**data.pop("video"))
            order = MemoryTokenOrder(data.pop("memory_order"))
            return cls(video=video, memory_order=order, **data)
        except (OSError, ValueError, TypeError, KeyError, AttributeError, ConfigError) as err:
            raise CheckpointError(f"{path} does not hold valid predictor settings: {err}") from err
