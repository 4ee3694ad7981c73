"""``<|seg|>`` states -> object tracks: each state prompts SAM 2.1 on the first frame, SAM 2.1
tracks it through the rest, and the ``"[N]"`` before each ``<|seg|>`` names the object."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from unipixel_ros.errors import BadInputError
from unipixel_ros.model.chat import object_ids_before_seg
from unipixel_ros.model.decoding import Generation
from unipixel_ros.model.outputs import ObjectTrack
from unipixel_ros.model.unipixel_model import UniPixelModel
from unipixel_ros.sam import FrameFeatures, HiddenStatePrompt, masks_from_logits, preprocess_frames
from unipixel_ros.tracking import ClipStart, encode_clip, track_clip

__all__ = ["seg_tracks", "track_hidden_prompts"]


def seg_tracks(
    model: UniPixelModel,
    generation: Generation,
    *,
    prompt: str,
    text: str,
    frames: list[np.ndarray],
    encode_batch_size: int,
    features: Sequence[FrameFeatures] | None = None,
) -> tuple[ObjectTrack, ...]:
    """One track per ``<|seg|>`` of a generation (prompt ones first) over ``frames``.

    Args:
        model: the UniPixel model that generated ``generation``.
        generation: its ``seg_states`` become SAM 2.1 prompt tokens.
        prompt: the prompt text (object ids of its ``<|seg|>``).
        text: the decoded answer (object ids of the generated ``<|seg|>``).
        frames: `(H_t, W_t, 3)` uint8 RGB frames to track through, the prompted one first.
        encode_batch_size: frames per SAM 2.1 image-encoder call.
        features: the frames' SAM 2.1 features when the caller has them (one per frame, e.g.
            the tracker's); None encodes the frames.

    Returns:
        The tracks; none when there is no ``<|seg|>`` or the config disables the decoder.
    """
    ids = object_ids_before_seg(prompt)[: generation.num_prompt_segs]
    ids += object_ids_before_seg(text)
    tracks: list[ObjectTrack] = []
    if generation.seg_states.shape[0] and model.config.sam2_enable_decoder:
        tokens = model.seg_prompt_tokens(generation.seg_states)
        masks, scores = track_hidden_prompts(
            model, frames, tokens, encode_batch_size=encode_batch_size, features=features
        )
        for obj in range(tokens.shape[0]):
            tracks.append(
                ObjectTrack(
                    object_id=ids[obj] if obj < len(ids) else None,
                    from_prompt=obj < generation.num_prompt_segs,
                    masks=tuple(frame_masks[obj] for frame_masks in masks),
                    object_scores=scores[:, obj],
                )
            )
    return tuple(tracks)


def track_hidden_prompts(
    model: UniPixelModel,
    frames: list[np.ndarray],
    tokens: torch.Tensor,
    *,
    encode_batch_size: int,
    features: Sequence[FrameFeatures] | None = None,
) -> tuple[list[np.ndarray], np.ndarray]:
    """Objects prompted by hidden tokens on frame 0, propagated through ``frames``.

    Every frame goes through the SAM 2.1 image encoder once (or not at all when its
    ``features`` are given); all N objects share it.

    Args:
        model: the UniPixel model whose SAM 2.1 tracks.
        frames: `(H_t, W_t, 3)` uint8 RGB frames.
        tokens (`torch.Tensor` of shape `(N, K, C)`): SAM 2.1 prompt tokens (``seg_head``).
        encode_batch_size: frames per SAM 2.1 image-encoder call.
        features: one per frame, as ``Sam2Model.encode_images`` gives them; None encodes.

    Returns:
        Per frame, `(N, H_t, W_t)` bool masks at that frame's size; and `(T, N)` float32
        object-score logits.
    """
    sam = model.sam2
    if features is None:
        images = torch.cat(
            [
                preprocess_frames(f[None], image_size=sam.image_size, device=model.device)
                for f in frames
            ]
        )
        features = encode_clip(sam, images, batch_size=encode_batch_size)
    elif len(features) != len(frames):
        raise BadInputError(f"{len(features)} frame features for {len(frames)} frames")
    start = ClipStart(frame_index=0, prompt=HiddenStatePrompt(tokens=tokens.to(model.device)))
    tracks = track_clip(sam, list(features), [start])
    masks = [
        masks_from_logits(
            tracks.low_res_logits[:, t], tracks.object_score_logits[:, t], frame.shape[:2]
        ).numpy()
        for t, frame in enumerate(frames)
    ]
    return masks, tracks.object_score_logits.T.contiguous().numpy()
