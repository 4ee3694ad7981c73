"""Which model the demo and eval pick: UniPixel-3B when cached, else nano, else random."""

from __future__ import annotations

from pathlib import Path

from unipixel_ros.cli.model_choice import UNIPIXEL_3B_REPO, choose_model


def _nano(directory: Path) -> Path:
    directory.mkdir(parents=True)
    (directory / "config.json").write_text("{}")
    (directory / "model.safetensors").write_bytes(b"")
    return directory


def _cache_with_unipixel_3b(cache: Path) -> Path:
    """A Hugging Face hub cache laid out as snapshot_download leaves it."""
    repo = cache / f"models--{UNIPIXEL_3B_REPO.replace('/', '--')}"
    commit = "0123456789abcdef0123456789abcdef01234567"
    (repo / "refs").mkdir(parents=True)
    (repo / "refs" / "main").write_text(commit)
    snapshot = repo / "snapshots" / commit
    snapshot.mkdir(parents=True)
    (snapshot / "config.json").write_text("{}")
    (snapshot / "model.safetensors").write_bytes(b"")
    return snapshot


def test_without_cached_weights_or_nano_the_choice_is_random_and_says_so(tmp_path: Path) -> None:
    choice = choose_model("auto", hf_cache_dir=tmp_path / "hub", nano_dir=tmp_path / "nano")
    assert choice.model_path == "tiny-random" and choice.is_random
    assert "RANDOM weights" in choice.description
    assert "not in the local Hugging Face cache" in choice.description


def test_a_nano_checkpoint_is_used_when_unipixel_3b_is_not_cached(tmp_path: Path) -> None:
    nano = _nano(tmp_path / "nano")
    choice = choose_model("auto", hf_cache_dir=tmp_path / "hub", nano_dir=nano)
    assert choice.model_path == str(nano) and not choice.is_random
    assert "UniPixel-nano" in choice.description


def test_a_nano_directory_without_weights_is_not_used(tmp_path: Path) -> None:
    nano = _nano(tmp_path / "nano")
    (nano / "model.safetensors").unlink()
    choice = choose_model("auto", hf_cache_dir=tmp_path / "hub", nano_dir=nano)
    assert choice.is_random


def test_cached_unipixel_3b_wins_over_nano(tmp_path: Path) -> None:
    snapshot = _cache_with_unipixel_3b(tmp_path / "hub")
    choice = choose_model("auto", hf_cache_dir=tmp_path / "hub", nano_dir=_nano(tmp_path / "n"))
    assert Path(choice.model_path) == snapshot and not choice.is_random
    assert UNIPIXEL_3B_REPO in choice.description


def test_a_named_model_is_taken_as_given(tmp_path: Path) -> None:
    assert choose_model("tiny-random").is_random
    named = choose_model(str(tmp_path), hf_cache_dir=tmp_path / "hub")
    assert named.model_path == str(tmp_path) and not named.is_random
