"""The Qwen2 byte-level BPE tokenizer with the Qwen vision/chat tokens and UniPixel's three tokens.

Built on the ``tokenizers`` library only (no transformers tokenizer classes, no remote code).
``QwenTokenizer.from_directory`` reads a checkpoint's ``tokenizer.json``;
``build_tiny_tokenizer`` trains a small BPE on the fly for offline tests, with the same special
tokens in the same order, so the special ids sit right after the base vocabulary as in Qwen2.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from tokenizers import (
    AddedToken,
    Regex,
    Tokenizer,
    decoders,
    models,
    normalizers,
    pre_tokenizers,
    trainers,
)

from unipixel_ros.errors import CheckpointError, ConfigError

__all__ = [
    "MEM_TOKEN",
    "QWEN_ADDED_TOKENS",
    "QWEN_SPECIAL_TOKENS",
    "REF_TOKEN",
    "SEG_TOKEN",
    "QwenTokenizer",
    "build_tiny_tokenizer",
]

REF_TOKEN = "<|ref|>"
SEG_TOKEN = "<|seg|>"
MEM_TOKEN = "<|mem|>"

#: Qwen2.5-VL special tokens, in id order after the base vocabulary (151643 ...).
QWEN_SPECIAL_TOKENS = (
    "<|endoftext|>",
    "<|im_start|>",
    "<|im_end|>",
    "<|object_ref_start|>",
    "<|object_ref_end|>",
    "<|box_start|>",
    "<|box_end|>",
    "<|quad_start|>",
    "<|quad_end|>",
    "<|vision_start|>",
    "<|vision_end|>",
    "<|vision_pad|>",
    "<|image_pad|>",
    "<|video_pad|>",
)
#: Qwen2.5 added (non-special) tokens that follow the special ones.
QWEN_ADDED_TOKENS = (
    "<tool_call>",
    "</tool_call>",
    "<|fim_prefix|>",
    "<|fim_middle|>",
    "<|fim_suffix|>",
    "<|fim_pad|>",
    "<|repo_name|>",
    "<|file_sep|>",
)
#: UniPixel's tokens, added in this order after the Qwen ones.
UNIPIXEL_TOKENS = (REF_TOKEN, SEG_TOKEN, MEM_TOKEN)

#: Qwen2's pre-tokenisation pattern (split before byte-level mapping).
_QWEN2_SPLIT = (
    r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*"
    r"|\s*[\r\n]+|\s+(?!\S)|\s+"
)
_REQUIRED = (
    "<|endoftext|>",
    "<|im_start|>",
    "<|im_end|>",
    "<|vision_start|>",
    "<|vision_end|>",
    "<|video_pad|>",
    *UNIPIXEL_TOKENS,
)


class QwenTokenizer:
    """Encode/decode text with Qwen2's BPE; special tokens in the text map to single ids.

    Args:
        tokenizer: a ``tokenizers.Tokenizer`` that knows every Qwen chat/vision token and
            ``<|ref|>``, ``<|seg|>``, ``<|mem|>``.
    """

    def __init__(self, *, tokenizer: Tokenizer):
        missing = [token for token in _REQUIRED if tokenizer.token_to_id(token) is None]
        if missing:
            raise ConfigError(f"tokenizer lacks the special tokens {missing}")
        self._tokenizer = tokenizer

    @classmethod
    def from_file(cls, path: str | Path) -> QwenTokenizer:
        """Read a ``tokenizer.json``."""
        try:
            tokenizer = Tokenizer.from_file(str(path))
        except Exception as err:  # tokenizers raises a bare Exception on bad files
            raise CheckpointError(f"cannot read tokenizer file {path}: {err}") from err
        return cls(tokenizer=tokenizer)

    @classmethod
    def from_directory(cls, directory: str | Path) -> QwenTokenizer:
        """Read ``tokenizer.json`` from a checkpoint directory."""
        path = Path(directory) / "tokenizer.json"
        if not path.is_file():
            raise CheckpointError(f"no tokenizer.json in {directory}")
        return cls.from_file(path)

    def token_id(self, token: str) -> int:
        """Id of a token of the vocabulary."""
        token_id = self._tokenizer.token_to_id(token)
        if token_id is None:
            raise ConfigError(f"token {token!r} is not in the vocabulary")
        return token_id

    def encode(self, text: str) -> list[int]:
        """Token ids of ``text`` (special tokens written in the text become their ids)."""
        return self._tokenizer.encode(text, add_special_tokens=False).ids

    def decode(self, ids: Iterable[int]) -> str:
        """Text of ``ids``, special tokens kept (``<|seg|>`` stays visible in answers)."""
        return self._tokenizer.decode(list(ids), skip_special_tokens=False)

    def save(self, path: str | Path) -> None:
        """Write ``tokenizer.json``."""
        self._tokenizer.save(str(path))

    @property
    def vocab_size(self) -> int:
        """Number of ids, added tokens included."""
        return self._tokenizer.get_vocab_size(with_added_tokens=True)

    @property
    def stop_ids(self) -> frozenset[int]:
        """Ids that end generation: ``<|im_end|>`` and ``<|endoftext|>``."""
        return frozenset({self.token_id("<|im_end|>"), self.token_id("<|endoftext|>")})


_TINY_WORDS = (
    "please segment the red cup in this video image object person table chair left right "
    "where is what color answer question provide mask explain why localize relevant objects "
    "with ids frames denoted as highlighted regions are follows describe it a an of on and "
    "you helpful assistant system user yes no 0 1 2 3 4 5 6 7 8 9 [ ] < > - : . , ?"
)


def _tiny_corpus() -> list[str]:
    words = _TINY_WORDS.split()
    return [" ".join(words[i:] + words[:i]) for i in range(len(words))]


def build_tiny_tokenizer(
    *, vocab_size: int = 384, corpus: Iterable[str] | None = None
) -> QwenTokenizer:
    """Train a small Qwen2-style byte-level BPE offline (for tests and tiny models).

    Args:
        vocab_size: size of the base BPE vocabulary (>= 256 bytes plus merges).
        corpus: training text; a fixed English snippet by default, so the result is
            deterministic.

    Returns:
        ``QwenTokenizer`` whose special tokens follow the base vocabulary in Qwen's order, then
        ``<|ref|>``, ``<|seg|>``, ``<|mem|>``.
    """
    if vocab_size < 256:
        raise ConfigError(f"vocab_size must be >= 256 (the byte alphabet), got {vocab_size}")
    tokenizer = Tokenizer(models.BPE())
    tokenizer.normalizer = normalizers.NFC()
    tokenizer.pre_tokenizer = pre_tokenizers.Sequence(
        [
            pre_tokenizers.Split(Regex(_QWEN2_SPLIT), behavior="isolated", invert=False),
            pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
        ]
    )
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tokenizer.train_from_iterator(list(corpus) if corpus is not None else _tiny_corpus(), trainer)
    tokenizer.add_special_tokens(
        [AddedToken(token, special=True, normalized=False) for token in QWEN_SPECIAL_TOKENS]
    )
    tokenizer.add_tokens(
        [AddedToken(token, special=False, normalized=False) for token in QWEN_ADDED_TOKENS]
    )
    tokenizer.add_special_tokens(
        [AddedToken(token, special=True, normalized=False) for token in UNIPIXEL_TOKENS]
    )
    return QwenTokenizer(tokenizer=tokenizer)
