from __future__ import annotations

import pytest
import torch

from unipixel_ros.errors import CheckpointError
from unipixel_ros.model import (
    NANO_SAM2_CONFIG_NAME,
    PredictorSettings,
    UniPixelPredictor,
    build_unipixel,
    chatml_prompt,
    sam2_config_for,
)
from unipixel_ros.model.predictor_settings import PREDICTOR_SETTINGS_FILE
from unipixel_ros.nano import (
    NANO_SAM2_IMAGE_SIZE,
    SEG_RESPONSE,
    build_nano_tokenizer,
    nano_config,
    nano_settings,
    save_nano_checkpoint,
)
from unipixel_ros.sam import Sam2Config


def test_nano_tokenizer_is_the_same_on_every_build(nano_tokenizer) -> None:
    again = build_nano_tokenizer()
    text = "Please segment the purple bowl. Which cup is graspable? Sure, it is <|seg|>."
    assert again.encode(text) == nano_tokenizer.encode(text)
    assert again.vocab_size == nano_tokenizer.vocab_size


def test_answers_do_not_change_the_tokens_of_the_prompt(nano_tokenizer) -> None:
    prompt = chatml_prompt("What colour is [0] <|ref|>?", num_video_tokens=4)
    prefix = nano_tokenizer.encode(prompt)
    for answer in (SEG_RESPONSE, "red.", "It is a white cup.", "yes."):
        assert nano_tokenizer.encode(prompt + answer + "<|im_end|>")[: len(prefix)] == prefix


def test_nano_config_uses_the_nano_sam2_preset_at_128_pixels(nano_tokenizer) -> None:
    config = nano_config(nano_tokenizer)
    assert config.sam2_config == NANO_SAM2_CONFIG_NAME
    assert sam2_config_for(config) == Sam2Config.nano(image_size=128)
    assert config.sam2_image_size == NANO_SAM2_IMAGE_SIZE == 128
    assert config.seg_token_id == nano_tokenizer.token_id("<|seg|>")
    assert config.tie_word_embeddings


def test_saved_nano_checkpoint_loads_with_its_settings_through_from_pretrained(
    nano_tokenizer, tmp_path
) -> None:
    torch.manual_seed(0)
    model = build_unipixel(nano_config(nano_tokenizer)).eval()
    save_nano_checkpoint(model, nano_tokenizer, tmp_path / "nano")
    loaded = UniPixelPredictor.from_pretrained(tmp_path / "nano", device="cpu")
    original = model.state_dict()
    for key, value in loaded.model.state_dict().items():
        torch.testing.assert_close(value, original[key], rtol=0, atol=0, msg=key)
    assert loaded.settings == nano_settings()
    assert (tmp_path / "nano" / "training.json").is_file()


def test_a_damaged_settings_file_is_a_checkpoint_error(tmp_path) -> None:
    assert PredictorSettings.read(tmp_path) is None
    nano_settings().save(tmp_path)
    assert PredictorSettings.read(tmp_path) == nano_settings()
    (tmp_path / PREDICTOR_SETTINGS_FILE).write_text('{"video": {"sample_frames": 0}}')
    with pytest.raises(CheckpointError, match="does not hold valid predictor settings"):
        PredictorSettings.read(tmp_path)
