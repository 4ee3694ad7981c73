from __future__ import annotations

import pytest
from tokenizers import Tokenizer, models

from unipixel_ros.errors import ConfigError
from unipixel_ros.model import MEM_TOKEN, REF_TOKEN, SEG_TOKEN, QwenTokenizer, chatml_prompt
from unipixel_ros.model.chat import memory_prefix, object_ids_before_seg
from unipixel_ros.model.tokenizer import QWEN_ADDED_TOKENS, QWEN_SPECIAL_TOKENS


def test_special_tokens_follow_the_base_vocabulary_in_qwen_order_then_ref_seg_mem(tokenizer):
    ordered = [*QWEN_SPECIAL_TOKENS, *QWEN_ADDED_TOKENS, REF_TOKEN, SEG_TOKEN, MEM_TOKEN]
    ids = [tokenizer.token_id(t) for t in ordered]
    first = tokenizer.token_id("<|endoftext|>")
    assert ids == list(range(first, first + len(ordered)))
    assert tokenizer.vocab_size == first + len(ordered)
    # Same offsets as Qwen2.5-VL, whose <|endoftext|> is 151643 and <|video_pad|> 151656.
    assert tokenizer.token_id("<|video_pad|>") - first == 151656 - 151643


def test_special_tokens_in_text_become_single_ids_and_decode_back(tokenizer):
    text = f"[0] {REF_TOKEN} is where? [1] {SEG_TOKEN}{MEM_TOKEN}<|im_end|>"
    ids = tokenizer.encode(text)
    for token in (REF_TOKEN, SEG_TOKEN, MEM_TOKEN, "<|im_end|>"):
        assert ids.count(tokenizer.token_id(token)) == 1
    assert tokenizer.decode(ids) == text


def test_tokenizer_without_unipixel_tokens_is_rejected():
    with pytest.raises(ConfigError, match="lacks the special tokens"):
        QwenTokenizer(tokenizer=Tokenizer(models.BPE()))


def test_chatml_prompt_has_the_default_system_turn_and_one_pad_per_visual_token(tokenizer):
    prompt = chatml_prompt("Segment the cup.", num_video_tokens=6)
    assert prompt.startswith("<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n")
    assert prompt.endswith("Segment the cup.<|im_end|>\n<|im_start|>assistant\n")
    assert tokenizer.encode(prompt).count(tokenizer.token_id("<|video_pad|>")) == 6
    closed = chatml_prompt("q", num_video_tokens=1, response=f"[0] {SEG_TOKEN}")
    assert closed.endswith(f"assistant\n[0] {SEG_TOKEN}<|im_end|>\n")


def test_memory_prefix_lists_frame_pairs_and_mem_tokens_per_object():
    text = memory_prefix(5, {0: [0, 2], 3: [1]})
    assert text == (
        "Here is a video with 5 frames denoted as <1> to <5>. The highlighted regions are as "
        f"follows:\n[0]: <1>-<2> {MEM_TOKEN} <5>-<6> {MEM_TOKEN}\n[3]: <3>-<4> {MEM_TOKEN}\n"
    )


def test_object_ids_are_read_from_the_brackets_before_each_seg():
    assert object_ids_before_seg(f"[0] {SEG_TOKEN} and [12]{SEG_TOKEN} then {SEG_TOKEN}") == [
        0,
        12,
        None,
    ]
