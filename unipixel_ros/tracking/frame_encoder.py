"""Camera frame -> `FrameFeatures`, eager or through an accelerated image-encoder part.

The tracker's one encoder pass per frame is SAM 2.1's image encoder. With a runner of the
``sam2_image_encoder`` part (``unipixel_ros.accel.parts.sam2.image_encoder_part``, prepared on
any backend) it gives the same `FrameFeatures` as ``Sam2Model.encode_images``. The position
encodings of every level depend only on the image size, so they come from one eager pass at
construction; that pass also warms the runner up (a ``torch.compile`` step compiles on its first
call), so the first camera frame does not wait for it.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch

from unipixel_ros.sam import FrameFeatures, Sam2Model, preprocess_frames

__all__ = ["FrameEncoder", "ImageEncoderRunner"]

ImageEncoderRunner = Callable[[torch.Tensor], tuple[torch.Tensor, ...]]
"""`(T, 3, S, S)` float32 frames -> ``image_embed`` `(T, C, G, G)`, ``high_res_feat_0``
`(T, C/8, 4G, 4G)`, ``high_res_feat_1`` `(T, C/4, 2G, 2G)`, ``image_pos`` (the outputs of
``Sam2ImageEncoderPart``)."""


class FrameEncoder:
    """Encodes one camera frame for the tracker.

    Args:
        model: SAM 2.1 (float32, eval mode).
        runner: the accelerated image encoder; ``None`` runs ``model.encode_images``.
    """

    def __init__(self, *, model: Sam2Model, runner: ImageEncoderRunner | None = None) -> None:
        self._model = model
        self._runner = runner
        self._positions: tuple[torch.Tensor, ...] = ()
        self._feat_sizes: tuple[tuple[int, int], ...] = ()
        if runner is not None:
            size = model.image_size
            blank = torch.zeros(1, 3, size, size, device=model.device)
            with torch.inference_mode():
                reference = model.encode_images(blank)[0]
                runner(blank)
            self._positions = reference.vision_pos_embeds
            self._feat_sizes = reference.feat_sizes

    @property
    def accelerated(self) -> bool:
        return self._runner is not None

    def encode(self, frame: np.ndarray) -> FrameFeatures:
        """`(H, W, 3)` uint8 RGB -> the frame's features (levels: stride 4, 8, 16)."""
        model = self._model
        pixels = preprocess_frames(frame[None], image_size=model.image_size, device=model.device)
        if self._runner is None:
            return model.encode_images(pixels)[0]
        embed, high_res_0, high_res_1, _ = self._runner(pixels)
        levels = (high_res_0, high_res_1, embed)
        return FrameFeatures(
            vision_feats=tuple(x.flatten(2).permute(2, 0, 1).contiguous() for x in levels),
            vision_pos_embeds=self._positions,
            feat_sizes=self._feat_sizes,
        )
