"""The exported graphs, run in onnxruntime, reproduce the sam2 package's own ``track_step``
over a short clip: memory layout (spatial memories first, object pointers last), the decoder
on tracked frames and the memory encoder are checked in context, not only in isolation."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from unipixel_ros.accel.engines.onnx_export import export_onnx, run_onnx
from unipixel_ros.accel.parts.part import AcceleratedPart
from unipixel_ros.accel.parts.sam2.image_encoder import image_encoder_part
from unipixel_ros.accel.parts.sam2.limits import Sam2PartLimits
from unipixel_ros.accel.parts.sam2.memory_attention import memory_attention_part
from unipixel_ros.accel.parts.sam2.memory_encoder import memory_encoder_part
from unipixel_ros.accel.parts.sam2.prompt_decoder import prompt_decoder_part
from unipixel_ros.sam import Sam2Model

ONNX_TOLERANCE = 1e-4
NUM_OBJECTS = 2
NUM_FRAMES = 5


class OnnxPart:
    """Runs an exported part in onnxruntime with the part's positional contract."""

    def __init__(self, part: AcceleratedPart, directory: Path) -> None:
        self.part = part
        self.path = export_onnx(part, directory / f"{part.name}.onnx")

    def __call__(self, *inputs: torch.Tensor) -> list[torch.Tensor]:
        outputs = run_onnx(self.path, dict(zip(self.part.input_names, inputs, strict=True)))
        return [torch.from_numpy(outputs[name]) for name in self.part.output_names]


def max_diff(a: torch.Tensor, b: torch.Tensor) -> float:
    return float((a.float() - b.float()).abs().max())


@torch.inference_mode()
def test_onnx_parts_reproduce_package_track_step_over_a_clip(
    sam2_present: Sam2Model, tmp_path: Path
) -> None:
    model = sam2_present
    limits = Sam2PartLimits()
    encoder = OnnxPart(image_encoder_part(model, limits=limits, example_frames=2), tmp_path)
    attention = OnnxPart(
        memory_attention_part(
            model, limits=limits, example_objects=2, example_memory_frames=2, example_pointers=2
        ),
        tmp_path,
    )
    decoders = {
        multimask: OnnxPart(
            prompt_decoder_part(
                model,
                limits=limits,
                multimask_output=multimask,
                example_objects=2,
                example_points=2,
            ),
            tmp_path,
        )
        for multimask in (True, False)
    }
    memory_encoder = OnnxPart(
        memory_encoder_part(model, limits=limits, example_objects=2), tmp_path
    )

    captured: list[dict[str, Any]] = []

    def capture(_module: torch.nn.Module, _args: tuple, kwargs: dict, output: torch.Tensor) -> None:
        captured.append({**kwargs, "output": output})

    handle = model.memory_attention.register_forward_hook(capture, with_kwargs=True)
    torch.manual_seed(3)
    frames = torch.randn(NUM_FRAMES, 3, model.image_size, model.image_size)
    output_dict: dict[str, dict[int, Any]] = {
        "cond_frame_outputs": {},
        "non_cond_frame_outputs": {},
    }
    points = {
        "point_coords": torch.rand(NUM_OBJECTS, 2, 2) * model.image_size,
        "point_labels": torch.tensor([[1, 0], [1, 1]], dtype=torch.int32),
    }
    checked_attention = 0
    try:
        for t in range(NUM_FRAMES):
            backbone = model.forward_image(frames[t : t + 1])
            _, feats, pos, sizes = model._prepare_backbone_features(backbone)
            feats = [x.expand(-1, NUM_OBJECTS, -1) for x in feats]
            pos = [x.expand(-1, NUM_OBJECTS, -1) for x in pos]
            out = model.track_step(
                frame_idx=t,
                is_init_cond_frame=t == 0,
                current_vision_feats=feats,
                current_vision_pos_embeds=pos,
                feat_sizes=sizes,
                point_inputs=points if t == 0 else None,
                mask_inputs=None,
                output_dict=output_dict,
                num_frames=NUM_FRAMES,
            )
            store = "cond_frame_outputs" if t == 0 else "non_cond_frame_outputs"
            output_dict[store][t] = out

            embed, feat0, feat1, image_pos = encoder(frames[t : t + 1])
            assert max_diff(embed, backbone["backbone_fpn"][-1]) <= ONNX_TOLERANCE
            if t == 0:
                conditioned = embed + model.no_mem_embed.view(1, -1, 1, 1)
                conditioned = conditioned.expand(NUM_OBJECTS, -1, -1, -1)
                coords, labels = points["point_coords"], points["point_labels"]
            else:
                call = captured[-1]
                num_pointers = call["num_obj_ptr_tokens"]
                memory = call["memory"].transpose(0, 1)
                memory_pos = call["memory_pos"].transpose(0, 1)
                spatial_end = memory.shape[1] - num_pointers
                (conditioned,) = attention(
                    embed,
                    image_pos,
                    memory[:, :spatial_end],
                    memory_pos[:, :spatial_end],
                    memory[:, spatial_end:],
                    memory_pos[:, spatial_end:],
                )
                grid = model.image_size // model.backbone_stride
                want = call["output"].permute(1, 2, 0).reshape(NUM_OBJECTS, -1, grid, grid)
                assert max_diff(conditioned, want) <= ONNX_TOLERANCE
                checked_attention += 1
                coords = torch.zeros(NUM_OBJECTS, 1, 2)
                labels = torch.full((NUM_OBJECTS, 1), -1, dtype=torch.int32)
            # The package's rule: multimask for 0-1 clicks (and tracked frames), else single.
            multimask = model._use_multimask(t == 0, points if t == 0 else None)
            decoder = decoders[multimask]
            _, _, best, pointer, score = decoder(conditioned, feat0, feat1, coords, labels)
            assert max_diff(best, out["pred_masks"]) <= ONNX_TOLERANCE
            assert max_diff(pointer, out["obj_ptr"]) <= ONNX_TOLERANCE
            assert max_diff(score, out["object_score_logits"]) <= ONNX_TOLERANCE
            memory_features, _ = memory_encoder(embed, best, score)
            assert max_diff(memory_features, out["maskmem_features"]) <= ONNX_TOLERANCE
    finally:
        handle.remove()
    assert checked_attention == NUM_FRAMES - 1
    pointer_counts = {call["num_obj_ptr_tokens"] for call in captured}
    assert len(pointer_counts) > 1, "the clip must exercise more than one memory length"


def test_clip_exercises_both_decoder_graphs(sam2_present: Sam2Model) -> None:
    # The clip above starts with two clicks (single-mask graph) and tracks with the multimask
    # graph; if the settings changed, the test would silently check only one of them.
    two_clicks = {"point_labels": torch.ones(NUM_OBJECTS, 2, dtype=torch.int32)}
    assert not sam2_present._use_multimask(True, two_clicks)
    assert sam2_present._use_multimask(False, None)
