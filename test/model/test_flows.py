"""The four UniPixel flows end to end on a tiny random model (CPU, float32)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch

from unipixel_ros.errors import BadInputError, CancelledError
from unipixel_ros.model import MEM_TOKEN, SEG_TOKEN, RefPrompt, UniPixelPredictor, VisualPrompt


def _encoded_frames(predictor: UniPixelPredictor) -> list[int]:
    """Counts frames through SAM 2.1's image encoder (a real forward hook)."""
    seen: list[int] = []
    predictor.model.sam2.image_encoder.register_forward_hook(
        lambda _module, args, _out: seen.append(int(args[0].shape[0]))
    )
    return seen


def test_a_generated_seg_gives_one_track_over_every_frame(steered_predictor, clip):
    predictor = steered_predictor(f"[0] {SEG_TOKEN}")
    answer = predictor.segment(clip, "Please segment the red square.")
    assert answer.text == f"[0] {SEG_TOKEN}"
    assert len(answer.tracks) == answer.text.count(SEG_TOKEN) == 1
    assert [(t.object_id, t.from_prompt) for t in answer.tracks] == [(0, False)]
    assert answer.mask_frame_indices == tuple(range(clip.shape[0]))
    for track in answer.tracks:
        assert len(track.masks) == clip.shape[0]
        assert all(m.shape == clip.shape[1:3] and m.dtype == np.bool_ for m in track.masks)
        assert track.object_scores.shape == (clip.shape[0],)
        assert track.stacked().shape == clip.shape[:3]
    assert any(m.any() for m in answer.tracks[0].masks)


def test_seg_tokens_in_the_prompt_come_first_and_each_gives_one_track(steered_predictor, clip):
    predictor = steered_predictor(f"[5] {SEG_TOKEN}")
    answer = predictor.segment(clip, f"Track [2] {SEG_TOKEN} and find the other one.")
    assert len(answer.tracks) == 2
    assert [(t.object_id, t.from_prompt) for t in answer.tracks] == [(2, True), (5, False)]


def test_teacher_forced_response_decodes_its_segs_without_generating(steered_predictor, clip):
    predictor = steered_predictor("yes")
    answer = predictor.segment(
        clip, "Segment them.", response=f"[0] {SEG_TOKEN} [1] {SEG_TOKEN} [4] {SEG_TOKEN}"
    )
    assert answer.text == ""
    assert [t.object_id for t in answer.tracks] == [0, 1, 4]


def test_frames_are_encoded_once_per_query_whatever_the_number_of_segs(steered_predictor, clip):
    predictor = steered_predictor(f"[1] {SEG_TOKEN}")
    seen = _encoded_frames(predictor)
    answer = predictor.segment(clip, f"Track [0] {SEG_TOKEN} and the other square.")
    assert len(answer.tracks) == 2
    assert sum(seen) == clip.shape[0]


def test_greedy_answers_and_masks_are_deterministic(steered_predictor, clip):
    predictor = steered_predictor(f"[0] {SEG_TOKEN}")
    first = predictor.segment(clip, "Please segment the square.")
    second = predictor.segment(clip, "Please segment the square.")
    assert first.text == second.text
    for a, b in zip(first.tracks, second.tracks, strict=True):
        assert all(np.array_equal(x, y) for x, y in zip(a.masks, b.masks, strict=True))
        np.testing.assert_array_equal(a.object_scores, b.object_scores)


def test_random_model_greedy_generation_repeats_exactly(tokenizer, clip):
    predictor = UniPixelPredictor.tiny(seed=1)
    texts = {predictor.segment(clip, "What is in the video?").text for _ in range(2)}
    assert len(texts) == 1


def test_visual_prompts_become_ref_embeddings_and_the_model_answers(steered_predictor, clip):
    predictor = steered_predictor("table")
    prompts = [
        VisualPrompt(frame_index=1, point=(20.0, 30.0)),
        VisualPrompt(frame_index=4, box=(40.0, 20.0, 70.0, 40.0)),
    ]
    answer = predictor.describe(clip, "What are [0] <|ref|> and [1] <|ref|>?", prompts)
    assert answer.text == "table"
    assert {1, 4} <= set(answer.frame_indices)
    assert answer.tracks == ()


def test_ref_count_must_match_the_prompts(steered_predictor, clip):
    predictor = steered_predictor("x")
    with pytest.raises(BadInputError, match="1 ref tokens but 2 ref embeddings"):
        predictor.describe(
            clip,
            "What is [0] <|ref|>?",
            [
                VisualPrompt(frame_index=0, point=(1.0, 1.0)),
                VisualPrompt(frame_index=0, point=(2.0, 2.0)),
            ],
        )


def test_ref_embedding_depends_on_the_place_and_the_frame_of_the_prompt(steered_predictor):
    model = steered_predictor("x").model
    point = torch.tensor([[10.0, 20.0]])

    def embed(coords, labels, frame):
        return model.embed_ref_prompts(
            [RefPrompt(coords=coords, labels=labels, frame_index=frame)], grid_t=2
        )

    base = embed(point, torch.tensor([1]), 0)
    assert base.shape == (1, model.sizes.llm_dim)
    assert not torch.allclose(base, embed(point + 5, torch.tensor([1]), 0))
    assert not torch.allclose(base, embed(point, torch.tensor([1]), 3))
    box = embed(torch.tensor([[5.0, 5.0], [30.0, 40.0]]), torch.tensor([2, 3]), 0)
    assert box.shape == base.shape


def test_memory_qa_localizes_then_answers_with_one_mem_per_object_slot(steered_predictor, clip):
    predictor = steered_predictor("it moves")
    answer = predictor.memory_qa(
        clip,
        "What is [0] <|ref|> doing?",
        prompts=[VisualPrompt(frame_index=2, point=(30.0, 30.0))],
    )
    assert answer.localization is not None
    assert [t.object_id for t in answer.localization.tracks] == [0]
    assert answer.localization.mask_frame_indices == answer.localization.frame_indices
    assert len(answer.localization.tracks[0].masks) == len(answer.localization.frame_indices)
    assert answer.localization.tracks[0].from_prompt
    slots = answer.slots_per_object[0]
    assert answer.prompt.count(MEM_TOKEN) == len(slots) >= 1
    assert "<|ref|>" not in answer.prompt and answer.prompt.endswith("What is [0] doing?")
    assert answer.text == "it moves"


def test_masks_from_outside_become_memory_on_the_slots_they_touch(steered_predictor, clip):
    predictor = steered_predictor("left")
    masks = np.zeros(clip.shape[:3], dtype=bool)
    masks[0, 20:40, 10:30] = True  # only in frame 0 -> slot 0 of the 4 sampled frames
    other = np.zeros_like(masks)
    other[4, :10, :10] = True  # only in the last frame -> last slot
    answer = predictor.answer_with_memory(clip, "Is [3] left of [7]?", {3: masks, 7: other})
    assert answer.slots_per_object == {3: (0,), 7: (1,)}
    assert "[3]: <1>-<2> <|mem|>\n[7]: <3>-<4> <|mem|>\n" in answer.prompt
    assert answer.localization is None
    assert answer.text == "left"


def test_memory_masks_must_cover_every_frame(steered_predictor, clip):
    predictor = steered_predictor("x")
    with pytest.raises(BadInputError, match="masks of object 0 must have shape"):
        predictor.answer_with_memory(clip, "q", {0: np.zeros((2, 60, 90), dtype=bool)})


def test_multi_image_returns_masks_at_each_image_size(steered_predictor, clip):
    predictor = steered_predictor(f"[0] {SEG_TOKEN}")
    images = [clip[0], np.full((48, 64, 3), 200, dtype=np.uint8), clip[3][:50, :70].copy()]
    answer = predictor.multi_image(images, "Which camera sees the red square?")
    assert len(answer.tracks) == 1
    assert [m.shape for m in answer.tracks[0].masks] == [(60, 90), (48, 64), (50, 70)]
    assert answer.frame_indices == answer.mask_frame_indices == (0, 1, 2)


def test_tiny_predictor_builds_from_a_seed_with_random_weights():
    first, second = UniPixelPredictor.tiny(seed=4), UniPixelPredictor.tiny(seed=4)
    for a, b in zip(first.model.parameters(), second.model.parameters(), strict=True):
        assert torch.equal(a, b)
    assert first.model.lm_head.weight.dtype == torch.float32


def test_a_single_image_is_segmented_as_a_two_frame_video_with_one_mask(steered_predictor, clip):
    predictor = steered_predictor(f"[0] {SEG_TOKEN}")
    answer = predictor.segment(clip[:1], "Please segment the red square.")
    assert answer.frame_indices == (0,)
    assert len(answer.tracks) == 1 and len(answer.tracks[0].masks) == 1


def test_memory_qa_without_prompts_uses_the_ids_the_model_writes(steered_predictor, clip):
    predictor = steered_predictor(f"[3] {SEG_TOKEN}")
    answer = predictor.memory_qa(clip, "Where does [3] go?")
    assert answer.localization is not None
    assert answer.localization.text == f"[3] {SEG_TOKEN}"
    assert list(answer.slots_per_object) == [3]
    assert answer.prompt.count(MEM_TOKEN) == len(answer.slots_per_object[3])


def test_answer_text_streams_token_by_token_to_the_observer(steered_predictor, clip):
    predictor = steered_predictor("the red cup")
    seen: list[str] = []
    answer = predictor.segment(clip, "Where is it?", on_text=lambda text: seen.append(text) or True)
    assert seen[-1] == answer.text
    assert len(seen) >= 3 and all(b.startswith(a) for a, b in itertools.pairwise(seen))


def test_observer_returning_false_cancels_generation(steered_predictor, clip):
    predictor = steered_predictor("the red cup")
    with pytest.raises(CancelledError, match="generation cancelled after 2 tokens"):
        predictor.segment(clip, "Where is it?", on_text=lambda text: len(text) < 3)
