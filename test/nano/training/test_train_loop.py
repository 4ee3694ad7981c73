"""``train_model``: deterministic staged training, the tasks each stage runs, where it starts."""

from __future__ import annotations

import torch

from unipixel_ros.model import build_unipixel
from unipixel_ros.nano import SceneArrays, StepLosses, TrainSettings, nano_config, train_model


def _train(tokenizer, scenes: SceneArrays, settings: TrainSettings) -> tuple[list, object]:
    torch.manual_seed(settings.seed)
    model = build_unipixel(nano_config(tokenizer))
    seen: list[dict[str, float]] = []

    def record(_step: int, losses: StepLosses) -> None:
        seen.append({name: float(value.detach()) for name, value in losses.terms.items()})

    train_model(
        model, tokenizer, scenes, settings=settings, num_frames=8, progress=False, on_step=record
    )
    return seen, model


def test_training_is_deterministic_given_its_seed(nano_tokenizer, small_scenes) -> None:
    settings = TrainSettings(
        seed=3, steps=3, warmup_steps=1, tracking_from=0.0, stage_fractions=(0.0, 0.0, 0.0, 1.0)
    )
    first, model_a = _train(nano_tokenizer, small_scenes, settings)
    second, model_b = _train(nano_tokenizer, small_scenes, settings)
    assert first == second
    weights_b = model_b.state_dict()
    for key, value in model_a.state_dict().items():
        torch.testing.assert_close(value, weights_b[key], rtol=0, atol=0, msg=key)


def test_joint_stage_runs_every_task_and_trains_every_head(nano_tokenizer, small_scenes) -> None:
    settings = TrainSettings(
        seed=0, steps=1, warmup_steps=1, tracking_from=0.0, stage_fractions=(0.0, 0.0, 0.0, 1.0)
    )
    seen, model = _train(nano_tokenizer, small_scenes, settings)
    assert set(seen[0]) == {
        "track_start",
        "track",
        "click",
        "feature_scale",
        "ref_lm",
        "seg_lm",
        "seg_mask",
        "mem_lm",
    }
    for name in ("seg_head", "ref_proj", "msk_proj", "tem_proj", "lm_head"):
        grads = [p.grad for p in getattr(model, name).parameters()]
        assert all(g is not None and g.abs().sum() > 0 for g in grads), name
    memory_attention = list(model.sam2.memory_attention.parameters())
    assert any(p.grad is not None and p.grad.abs().sum() > 0 for p in memory_attention)


def test_sam_stage_trains_segmentation_only(nano_tokenizer, small_scenes) -> None:
    settings = TrainSettings(
        seed=0, steps=1, warmup_steps=1, tracking_from=0.0, stage_fractions=(1.0, 0, 0, 0)
    )
    seen, model = _train(nano_tokenizer, small_scenes, settings)
    assert set(seen[0]) == {"track_start", "track", "click", "feature_scale"}
    assert all(p.grad is None for p in model.model.language_model.parameters())


def test_tracking_losses_join_after_the_click_only_steps(nano_tokenizer, small_scenes) -> None:
    settings = TrainSettings(
        seed=0, steps=2, warmup_steps=1, tracking_from=0.5, stage_fractions=(1.0, 0, 0, 0)
    )
    seen, _ = _train(nano_tokenizer, small_scenes, settings)
    assert [set(terms) for terms in seen] == [
        {"click", "feature_scale"},
        {"track_start", "track", "click", "feature_scale"},
    ]


def test_ref_stage_trains_no_segmentation_from_text(nano_tokenizer, small_scenes) -> None:
    settings = TrainSettings(
        seed=0, steps=1, warmup_steps=1, tracking_from=0.0, stage_fractions=(0, 1.0, 0, 0)
    )
    seen, _ = _train(nano_tokenizer, small_scenes, settings)
    assert set(seen[0]) == {"track_start", "track", "click", "feature_scale", "ref_lm"}


def test_feature_scale_penalty_pulls_oversized_image_features_back(
    nano_tokenizer, small_scenes
) -> None:
    settings = TrainSettings(seed=0, steps=1, warmup_steps=1, stage_fractions=(1.0, 0, 0, 0))
    seen, _ = _train(nano_tokenizer, small_scenes, settings)
    assert seen[0]["feature_scale"] == 0.0

    torch.manual_seed(0)
    model = build_unipixel(nano_config(nano_tokenizer))
    with torch.no_grad():
        for lateral in model.sam2.image_encoder.neck.convs:
            lateral.conv.weight.mul_(100.0)
    recorded: list[float] = []
    train_model(
        model,
        nano_tokenizer,
        small_scenes,
        settings=settings,
        num_frames=8,
        progress=False,
        on_step=lambda _step, losses: recorded.append(float(losses.terms["feature_scale"])),
    )
    assert recorded[0] > 1.0


def test_memory_starts_position_aligned_and_the_mask_downsampler_stays_fixed(
    nano_tokenizer, small_scenes
) -> None:
    torch.manual_seed(0)
    fresh = build_unipixel(nano_config(nano_tokenizer)).sam2
    settings = TrainSettings(
        seed=0, steps=2, warmup_steps=1, tracking_from=0.0, stage_fractions=(1.0, 0, 0, 0)
    )
    _, model = _train(nano_tokenizer, small_scenes, settings)
    sam = model.sam2
    trained = dict(sam.memory_encoder.mask_downsampler.named_parameters())
    for name, value in fresh.memory_encoder.mask_downsampler.named_parameters():
        torch.testing.assert_close(trained[name], value, rtol=0, atol=0, msg=name)
    for layer in sam.memory_attention.layers:
        attention = layer.cross_attn_image
        # Two AdamW steps at lr 3e-3 move a zero-initialised weight by at most ~6e-3 per entry.
        assert attention.q_proj.weight.abs().max() < 0.01
        assert attention.k_proj.weight.abs().max() < 0.01
        torch.testing.assert_close(
            attention.q_proj.bias.abs(),
            torch.full_like(attention.q_proj.bias, 1.5),
            atol=0.01,
            rtol=0,
        )
