"""SAM 2.1's training tasks, every stage: a click on every object of frame 0, tracked through
the window with SAM 2.1's memory (the package's ``track_step``, as the streaming tracker runs
it); and a click per object on one rendered frame of each click scene, every multimask output
scored (SAM's min-over-masks loss, IoU head, object-score head)."""

from __future__ import annotations

import numpy as np
import torch

from unipixel_ros.nano.dataset import WINDOW, SceneArrays
from unipixel_ros.nano.training.losses import mask_loss
from unipixel_ros.sam import FrameFeatures, Sam2Model, preprocess_frames, to_model_coordinates

__all__ = ["SamTasks"]


class SamTasks:
    """Clicks and tracking on SAM 2.1, and the prompted decoding the language tasks reuse.

    Args:
        sam: the model's SAM 2.1.
        arrays: rendered training scenes.
        rng: the run's task sampler (shared with the language tasks).
        num_frames: length of the scenes the window frames come from.
        device: where the model runs.
    """

    def __init__(
        self,
        *,
        sam: Sam2Model,
        arrays: SceneArrays,
        rng: np.random.Generator,
        num_frames: int,
        device: torch.device,
    ):
        self.sam = sam
        self.arrays = arrays
        self.rng = rng
        self.num_frames = num_frames
        self.device = device

    def random_click(self, mask: np.ndarray) -> tuple[float, float]:
        """A pixel centre inside ``mask``, away from its border where the mask allows."""
        inner = mask.copy()
        inner[1:, :] &= mask[:-1, :]
        inner[:-1, :] &= mask[1:, :]
        inner[:, 1:] &= mask[:, :-1]
        inner[:, :-1] &= mask[:, 1:]
        rows, cols = np.nonzero(inner if inner.any() else mask)
        pick = int(self.rng.integers(rows.size))
        return float(cols[pick]) + 0.5, float(rows[pick]) + 0.5

    def point_inputs(self, labels: np.ndarray, object_ids: list[int]) -> dict[str, torch.Tensor]:
        height, width = labels.shape
        clicks = torch.tensor(
            [self.random_click(labels == i) for i in object_ids], dtype=torch.float32
        )
        coords = to_model_coordinates(
            clicks, frame_height=height, frame_width=width, image_size=self.sam.image_size
        )
        return {
            "point_coords": coords[:, None].to(self.device),
            "point_labels": torch.ones(len(object_ids), 1, dtype=torch.int32, device=self.device),
        }

    def targets(self, labels: np.ndarray, ids_per_row: list[tuple[int, ...]]) -> torch.Tensor:
        masks = np.stack([np.isin(labels, ids) for ids in ids_per_row])
        return torch.from_numpy(masks).to(self.device, torch.float32)

    def decode(
        self,
        features: FrameFeatures,
        num_objects: int,
        *,
        point_inputs: dict[str, torch.Tensor] | None = None,
        hidden_tokens: torch.Tensor | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Prompted decoding of a frame with no memory: (multimask logits, IoUs, scores)."""
        sam = self.sam
        feats, pos = features.expand(num_objects)
        sizes = list(features.feat_sizes)
        pix_feat = sam._prepare_memory_conditioned_features(
            frame_idx=0,
            is_init_cond_frame=True,
            current_vision_feats=feats[-1:],
            current_vision_pos_embeds=pos[-1:],
            feat_sizes=sizes[-1:],
            output_dict={"cond_frame_outputs": {}, "non_cond_frame_outputs": {}},
            num_frames=1,
        )
        high_res = Sam2Model._high_res_maps(feats, sizes)
        multimask = sam._use_multimask(True, point_inputs)
        multi, _, ious, _, _, _, scores = sam._forward_sam_heads(
            pix_feat,
            point_inputs=point_inputs,
            high_res_features=high_res,
            multimask_output=multimask,
            hidden_tokens=hidden_tokens,
        )
        return multi, ious, scores

    def click_loss(
        self, scene: int, features: list[FrameFeatures], others: list[int]
    ) -> torch.Tensor:
        """Clicks on every visible object of one window frame of ``scene`` and of one rendered
        frame of each scene in ``others``; the mean of their mask losses."""
        frames = [(scene, 1 + int(self.rng.integers(WINDOW)))]
        frames += [(s, int(self.rng.integers(WINDOW + 1))) for s in others]
        other_rgb = np.stack([self.arrays.rgb[s, f] for s, f in frames[1:]]) if others else None
        all_features = [features[frames[0][1]]]
        if other_rgb is not None:
            images = preprocess_frames(
                other_rgb, image_size=self.sam.image_size, device=self.device
            )
            all_features += self.sam.encode_images(images)
        losses = []
        for (s, f), frame_features in zip(frames, all_features, strict=True):
            labels = self.arrays.labels[s, f]
            visible = [i for i in range(1, int(labels.max()) + 1) if (labels == i).any()]
            if not visible:
                continue
            points = self.point_inputs(labels, visible)
            multi, ious, scores = self.decode(frame_features, len(visible), point_inputs=points)
            target = self.targets(labels, [(i,) for i in visible])
            losses.append(mask_loss(multi, scores, target, ious))
        return torch.stack(losses).mean()

    def track_losses(
        self,
        features: list[FrameFeatures],
        labels: np.ndarray,
        object_ids: list[int],
        frame_numbers: list[int],
    ) -> dict[str, torch.Tensor]:
        """Click every object on frame 0, then track through the window with memory."""
        sam = self.sam
        n = len(object_ids)
        output: dict[str, dict[int, dict[str, torch.Tensor]]] = {
            "cond_frame_outputs": {},
            "non_cond_frame_outputs": {},
        }
        losses = []
        for j, features_j in enumerate(features):
            feats, pos = features_j.expand(n)
            sizes = list(features_j.feat_sizes)
            point_inputs = self.point_inputs(labels[0], object_ids) if j == 0 else None
            # The package's track_step, unrolled: in training mode it drops the object score.
            out, heads, _, _ = sam._track_step(
                frame_numbers[j],
                j == 0,
                feats,
                pos,
                sizes,
                point_inputs,
                None,
                output,
                self.num_frames,
                False,
                None,
            )
            _, _, _, low_res, high_res, obj_ptr, score = heads
            out.update(pred_masks=low_res, pred_masks_high_res=high_res, obj_ptr=obj_ptr)
            sam._encode_memory_in_output(
                feats, sizes, point_inputs, j + 1 < len(features), high_res, score, out
            )
            key = "cond_frame_outputs" if j == 0 else "non_cond_frame_outputs"
            output[key][frame_numbers[j]] = out
            target = self.targets(labels[j], [(i,) for i in object_ids])
            losses.append(mask_loss(low_res, score, target))
        return {"track_start": losses[0], "track": torch.stack(losses[1:]).mean()}
