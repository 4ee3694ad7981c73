"""ChatML prompts as Qwen2.5-VL's chat template writes them, with the default system turn.

One user turn holding one video (``<|vision_start|>`` + video pads + ``<|vision_end|>``) and the
question, then the assistant turn: open (to generate) or closed with a given response (teacher
forcing, as the reference's memory pass 1 does).
"""

from __future__ import annotations

import re

from unipixel_ros.errors import BadInputError
from unipixel_ros.model.tokenizer import MEM_TOKEN, SEG_TOKEN

__all__ = [
    "DEFAULT_SYSTEM",
    "LOCALIZE_WITH_IDS",
    "chatml_prompt",
    "memory_prefix",
    "object_ids_before_seg",
]

DEFAULT_SYSTEM = "You are a helpful assistant."
#: Reference wording that asks for masks with object ids (``SEG_MEMORY_PROMPTS[0]``).
LOCALIZE_WITH_IDS = "{} Please localize the relevant objects with IDs."


def chatml_prompt(
    question: str,
    *,
    num_video_tokens: int,
    response: str | None = None,
    system: str = DEFAULT_SYSTEM,
) -> str:
    """Prompt text with the video pads expanded.

    Args:
        question: user text (may contain ``<|ref|>``, ``<|seg|>``, ``<|mem|>``).
        num_video_tokens: number of ``<|video_pad|>`` tokens (merged visual tokens).
        response: assistant text for teacher forcing; ``None`` leaves the turn open.
        system: system turn text.

    Returns:
        The full prompt string.
    """
    if num_video_tokens < 1:
        raise BadInputError(f"num_video_tokens must be >= 1, got {num_video_tokens}")
    video = "<|vision_start|>" + "<|video_pad|>" * num_video_tokens + "<|vision_end|>"
    prompt = (
        f"<|im_start|>system\n{system}<|im_end|>\n"
        f"<|im_start|>user\n{video}{question}<|im_end|>\n<|im_start|>assistant\n"
    )
    if response is not None:
        prompt += f"{response}<|im_end|>\n"
    return prompt


def memory_prefix(num_frames: int, slots_per_object: dict[int, list[int]]) -> str:
    """The reference's memory preamble listing each object's ``<|mem|>`` tokens.

    Args:
        num_frames: sampled frames shown to the LLM (before padding to even).
        slots_per_object: object id -> temporal slots (frame pairs) where the object is present,
            ascending; slot s covers frames ``2s+1`` and ``2s+2`` (1-based).

    Returns:
        ``"Here is a video with N frames denoted as <1> to <N>. The highlighted regions are as
        follows:\\n[id]: <a>-<b> <|mem|> ...\\n"``.
    """
    text = (
        f"Here is a video with {num_frames} frames denoted as <1> to <{num_frames}>. "
        "The highlighted regions are as follows:\n"
    )
    for object_id, slots in slots_per_object.items():
        if not slots:
            raise BadInputError(f"object {object_id} has no memory slot")
        entries = " ".join(f"<{2 * s + 1}>-<{2 * s + 2}> {MEM_TOKEN}" for s in slots)
        text += f"[{object_id}]: {entries}\n"
    return text


_ID_BEFORE_SEG = re.compile(r"\[(\d+)\]\s*$")


def object_ids_before_seg(text: str) -> list[int | None]:
    """For each ``<|seg|>`` in ``text``, the ``[N]`` written right before it (or ``None``)."""
    pieces = text.split(SEG_TOKEN)[:-1]
    ids: list[int | None] = []
    for piece in pieces:
        match = _ID_BEFORE_SEG.search(piece)
        ids.append(int(match.group(1)) if match else None)
    return ids
