"""State-dict key layouts: transformers 4.53 (how the released files are written) <-> our modules.

transformers 4.53 saved Qwen2.5-VL with the legacy names; transformers 5.x modules (and ours)
nest the language model and the vision tower under ``model``:

==============================  ==================================
4.53 file                       module (transformers 5.x / ours)
==============================  ==================================
``model.embed_tokens.*``        ``model.language_model.embed_tokens.*``
``model.layers.N.*``            ``model.language_model.layers.N.*``
``model.norm.*``                ``model.language_model.norm.*``
``visual.*``                    ``model.visual.*``
``lm_head.weight``              ``lm_head.weight`` (absent when tied: UniPixel-3B)
``sam2.*``, heads               unchanged
==============================  ==================================

Files already written with the 5.x names load unchanged.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypeVar

__all__ = ["to_legacy_key", "to_module_key", "to_module_layout"]

_V = TypeVar("_V")
_LM = "model.language_model."
_VISION = "model.visual."


def to_module_key(key: str) -> str:
    """Module name of a checkpoint key written in either layout."""
    if key.startswith(("model.language_model.", "model.visual.")):
        return key
    if key.startswith("visual."):
        return "model." + key
    if key.startswith("model."):
        return _LM + key[len("model.") :]
    return key


def to_legacy_key(key: str) -> str:
    """Checkpoint key in the transformers 4.53 layout for one of our module names."""
    if key.startswith(_LM):
        return "model." + key[len(_LM) :]
    if key.startswith(_VISION):
        return key[len("model.") :]
    return key


def to_module_layout(state_dict: Mapping[str, _V]) -> dict[str, _V]:
    """Rename every key of a checkpoint to our module names."""
    return {to_module_key(key): value for key, value in state_dict.items()}
