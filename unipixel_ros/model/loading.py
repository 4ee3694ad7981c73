"""Load UniPixel weights: a released full checkpoint, or base Qwen2.5-VL + adapter + partial + SAM.

Sources (safetensors only; never ``trust_remote_code``; nothing is executed from a checkpoint):

* **full** (PolyU-ChenLab/UniPixel-3B, -7B): ``config.json`` + ``model.safetensors`` or
  ``model.safetensors.index.json`` shards + ``tokenizer.json``; keys in the transformers 4.53
  layout (see `unipixel_ros.model.layout`), SAM 2.1 under ``sam2.``;
* **adapter**: a UniPixel ``config.json`` naming ``base_model_path``, plus
  ``adapter_model.safetensors`` + ``adapter_config.json`` (LoRA) and/or
  ``pytorch_model.safetensors`` (partial state dict: heads, embeddings, ...), with SAM 2.1 from
  the original ``.pt`` at ``sam2_checkpoint``. The LoRA deltas are merged here
  (``W += scale * B @ A``, scale = alpha / r, or alpha / sqrt(r) with rsLoRA) without ``peft``.

Loading is strict: every parameter must come from a file and every tensor must have a home;
otherwise a ``CheckpointError`` lists the keys.
"""

from __future__ import annotations

import json
import logging
import math
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file
from torch import nn

from unipixel_ros.errors import CheckpointError, ConfigError
from unipixel_ros.model.builder import build_unipixel
from unipixel_ros.model.configuration import PixelQwen2_5_VLConfig
from unipixel_ros.model.layout import to_module_key, to_module_layout
from unipixel_ros.model.tokenizer import MEM_TOKEN, REF_TOKEN, SEG_TOKEN, QwenTokenizer
from unipixel_ros.model.unipixel_model import UniPixelModel
from unipixel_ros.sam import load_sam2_pt
from unipixel_ros.strict_loading import check_state_dict

__all__ = [
    "LoadedUniPixel",
    "default_dtype",
    "load_unipixel",
    "merge_lora",
    "read_config",
    "read_safetensors",
    "resolve_checkpoint",
    "safetensors_files",
]

logger = logging.getLogger(__name__)

_HOW_TO_GET = (
    "Download it while online, e.g. `huggingface-cli download {repo} --local-dir DIR` (or "
    "`hf download {repo} --local-dir DIR`), then pass DIR; or set HF_HOME to a cache that holds it."
)
_ALLOW_PATTERNS = ["*.json", "*.safetensors", "*.txt", "*.jinja"]
_LISTED = 40


@dataclass(frozen=True)
class LoadedUniPixel:
    """A loaded model with what belongs to it.

    Attributes:
        model: weights on the requested device and dtype, in eval mode.
        tokenizer: from the checkpoint's ``tokenizer.json``.
        config: the checkpoint's configuration.
        directory: where the files were read.
    """

    model: UniPixelModel
    tokenizer: QwenTokenizer
    config: PixelQwen2_5_VLConfig
    directory: Path


def default_dtype(device: torch.device) -> torch.dtype:
    """bfloat16 on CUDA when supported (float16 otherwise), float32 on CPU."""
    if device.type == "cuda":
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    return torch.float32


def resolve_checkpoint(source: str | Path, *, local_files_only: bool = False) -> Path:
    """Local directory of a checkpoint given as a directory or a Hugging Face hub id.

    The hub cache is tried first without network; the hub is asked only if that fails and
    ``local_files_only`` is False.
    """
    path = Path(source).expanduser()
    if path.is_dir():
        return path
    if path.exists() or str(source).startswith((".", "/", "~")):
        raise CheckpointError(f"checkpoint directory {source} does not exist or is not a directory")
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import HfHubHTTPError, HFValidationError, LocalEntryNotFoundError

    repo = str(source)
    try:
        return Path(snapshot_download(repo, allow_patterns=_ALLOW_PATTERNS, local_files_only=True))
    except (LocalEntryNotFoundError, HfHubHTTPError, OSError) as err:
        cached_error: Exception = err
    except HFValidationError as err:
        raise CheckpointError(f"{repo!r} is neither a directory nor a hub id: {err}") from err
    if local_files_only:
        raise CheckpointError(
            f"{repo} is not in the Hugging Face cache and local_files_only is set. "
            + _HOW_TO_GET.format(repo=repo)
        ) from cached_error
    try:
        return Path(snapshot_download(repo, allow_patterns=_ALLOW_PATTERNS))
    except (LocalEntryNotFoundError, HfHubHTTPError, OSError, ValueError) as err:
        raise CheckpointError(
            f"cannot get {repo}: not in the Hugging Face cache and the hub is unreachable "
            f"({type(err).__name__}). " + _HOW_TO_GET.format(repo=repo)
        ) from err


def read_config(directory: str | Path) -> PixelQwen2_5_VLConfig:
    """Read ``config.json`` of a UniPixel checkpoint (model type ``pixel_qwen2_5_vl``)."""
    path = Path(directory) / "config.json"
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError as err:
        raise CheckpointError(f"no config.json in {directory}") from err
    except json.JSONDecodeError as err:
        raise CheckpointError(f"config.json in {directory} is not valid JSON: {err}") from err
    model_type = data.get("model_type")
    if model_type != PixelQwen2_5_VLConfig.model_type:
        raise CheckpointError(
            f"{path} has model_type {model_type!r}, expected {PixelQwen2_5_VLConfig.model_type!r}"
        )
    try:
        return PixelQwen2_5_VLConfig.from_dict(data)
    except (TypeError, ValueError) as err:
        raise CheckpointError(f"cannot build the configuration from {path}: {err}") from err


def safetensors_files(directory: Path, *, stem: str = "model", key_prefix: str = "") -> list[Path]:
    """``{stem}.safetensors``, or the shards its index names that hold a key starting with
    ``key_prefix`` (all shards for "").

    Raises:
        CheckpointError: neither file is there, or the index has no valid weight_map.
    """
    single = directory / f"{stem}.safetensors"
    index = directory / f"{stem}.safetensors.index.json"
    if single.is_file():
        return [single]
    if index.is_file():
        try:
            weight_map = json.loads(index.read_text())["weight_map"]
        except (json.JSONDecodeError, KeyError) as err:
            raise CheckpointError(f"{index} has no valid weight_map: {err}") from err
        names = {f for k, f in weight_map.items() if k.startswith(key_prefix)}
        return [directory / name for name in sorted(names)]
    found = sorted(p.name for p in directory.iterdir()) if directory.is_dir() else []
    raise CheckpointError(
        f"no {stem}.safetensors or {stem}.safetensors.index.json in {directory} "
        f"(found {found[:20]}); only safetensors weights are read"
    )


def read_safetensors(
    directory: str | Path, *, stem: str = "model", device: torch.device | str = "cpu"
) -> dict[str, torch.Tensor]:
    """All tensors of ``{stem}.safetensors`` or of the shards named by its index, on ``device``."""
    tensors: dict[str, torch.Tensor] = {}
    for file in safetensors_files(Path(directory), stem=stem):
        try:
            tensors.update(load_file(str(file), device=str(device)))
        except (SafetensorError, OSError) as err:
            raise CheckpointError(f"cannot read {file}: {err}") from err
    return tensors


_PEFT_PREFIX = "base_model.model."
_LORA_KEY = re.compile(r"^(?P<module>.+)\.lora_(?P<part>[AB])(?:\.[^.]+)?\.weight$")


def _peft_free_key(key: str) -> str:
    key = key.removeprefix(_PEFT_PREFIX).replace(".base_layer.", ".")
    return to_module_key(key)


def merge_lora(
    state_dict: Mapping[str, torch.Tensor],
    adapter: Mapping[str, torch.Tensor],
    adapter_config: Mapping[str, object],
) -> dict[str, torch.Tensor]:
    """Merge a LoRA adapter (peft format) into linear weights: ``W += scale * B @ A``.

    Args:
        state_dict: weights under our module names (`unipixel_ros.model.layout`).
        adapter: ``adapter_model.safetensors`` tensors (``...lora_A.weight``, ``...lora_B.weight``,
            with or without the ``base_model.model.`` prefix and an adapter name).
        adapter_config: ``adapter_config.json`` (``r``, ``lora_alpha``, ``use_rslora``,
            ``fan_in_fan_out``).

    Returns:
        A new state dict with the merged weights (merged in float32, stored in the base dtype).
    """
    rank = int(adapter_config.get("r", 0))  # type: ignore[call-overload]
    alpha = float(adapter_config.get("lora_alpha", rank))  # type: ignore[arg-type]
    if rank <= 0:
        raise CheckpointError(f"adapter_config.json has r={rank}; expected a positive rank")
    if adapter_config.get("fan_in_fan_out"):
        raise CheckpointError("fan_in_fan_out LoRA adapters are not supported (Conv1D layers)")
    scale = alpha / math.sqrt(rank) if adapter_config.get("use_rslora") else alpha / rank
    pairs: dict[str, dict[str, torch.Tensor]] = {}
    unexpected = []
    for key, value in adapter.items():
        match = _LORA_KEY.match(key.removeprefix(_PEFT_PREFIX))
        if match is None:
            unexpected.append(key)
            continue
        module = _peft_free_key(match.group("module"))
        pairs.setdefault(module, {})[match.group("part")] = value
    if unexpected:
        raise CheckpointError(f"adapter has non-LoRA tensors: {unexpected[:_LISTED]}")
    merged = dict(state_dict)
    for module, parts in pairs.items():
        weight_key = f"{module}.weight"
        if set(parts) != {"A", "B"} or weight_key not in merged:
            raise CheckpointError(
                f"LoRA for {module} needs lora_A and lora_B and a base weight {weight_key}; "
                f"have {sorted(parts)}, base weight present: {weight_key in merged}"
            )
        base = merged[weight_key]
        delta = parts["B"].float() @ parts["A"].float()
        if delta.shape != base.shape:
            raise CheckpointError(
                f"LoRA delta for {weight_key} has shape {tuple(delta.shape)}, weight has "
                f"{tuple(base.shape)}"
            )
        merged[weight_key] = (base.float() + scale * delta).to(base.dtype)
    return merged


@contextmanager
def _parameters_on_meta() -> Iterator[None]:
    """Create parameters on the meta device without initialising them; buffers stay real.

    Non-persistent buffers (rotary frequencies) and plain tensor attributes (SAM 2's RoPE
    tables) are computed normally, so only parameters need loading. It patches ``nn.Module``
    and ``nn.init`` process-wide while the block runs: do not build modules in other threads
    during a load.
    """
    register = nn.Module.register_parameter
    init_names = [name for name in dir(nn.init) if name.endswith("_") and not name.startswith("_")]
    saved_init = {name: getattr(nn.init, name) for name in init_names}

    def on_meta(module: nn.Module, name: str, param: nn.Parameter | None) -> None:
        if param is not None and param.device.type != "meta":
            param = nn.Parameter(param.to("meta"), requires_grad=param.requires_grad)
        register(module, name, param)

    def skip(tensor: torch.Tensor, *args: object, **kwargs: object) -> torch.Tensor:
        return tensor

    nn.Module.register_parameter = on_meta  # type: ignore[method-assign,assignment]
    for name in init_names:
        setattr(nn.init, name, skip)
    try:
        yield
    finally:
        nn.Module.register_parameter = register  # type: ignore[method-assign]
        for name, function in saved_init.items():
            setattr(nn.init, name, function)


def _load_strict(model: UniPixelModel, state_dict: Mapping[str, torch.Tensor], source: str) -> None:
    optional = {"lm_head.weight"} if model.config.tie_word_embeddings else set()
    check_state_dict(
        model.state_dict(),
        state_dict,
        what=f"weights from {source} do not fit UniPixel",
        optional=optional,
    )
    model.load_state_dict(state_dict, strict=False, assign=True)
    model.tie_weights()


def _check_token_ids(config: PixelQwen2_5_VLConfig, tokenizer: QwenTokenizer) -> None:
    for token, name in (
        (REF_TOKEN, "ref_token_id"),
        (SEG_TOKEN, "seg_token_id"),
        (MEM_TOKEN, "mem_token_id"),
    ):
        expected = getattr(config, name)
        if tokenizer.token_id(token) != expected:
            raise ConfigError(
                f"tokenizer maps {token} to {tokenizer.token_id(token)}, "
                f"config.{name} is {expected}"
            )


def _adapter_state_dict(
    directory: Path, config: PixelQwen2_5_VLConfig, local_files_only: bool
) -> dict[str, torch.Tensor]:
    if not config.base_model_path:
        raise CheckpointError(f"{directory} holds an adapter but config.base_model_path is empty")
    base_dir = resolve_checkpoint(config.base_model_path, local_files_only=local_files_only)
    state_dict = to_module_layout(read_safetensors(base_dir))
    if not config.sam2_checkpoint:
        raise CheckpointError(f"{directory} holds an adapter but config.sam2_checkpoint is empty")
    sam2_path = Path(config.sam2_checkpoint)
    if not sam2_path.is_absolute() and (directory / sam2_path).is_file():
        sam2_path = directory / sam2_path
    state_dict.update({f"sam2.{k}": v for k, v in load_sam2_pt(sam2_path).items()})
    adapter_file = directory / "adapter_model.safetensors"
    if adapter_file.is_file():
        adapter_config_file = directory / "adapter_config.json"
        try:
            adapter_config = json.loads(adapter_config_file.read_text())
        except (OSError, json.JSONDecodeError) as err:
            raise CheckpointError(f"cannot read {adapter_config_file}: {err}") from err
        state_dict = merge_lora(
            state_dict, read_safetensors(directory, stem="adapter_model"), adapter_config
        )
    if (directory / "pytorch_model.safetensors").is_file():
        partial = read_safetensors(directory, stem="pytorch_model")
        state_dict.update({_peft_free_key(k): v for k, v in partial.items()})
    return state_dict


def load_unipixel(
    source: str | Path,
    *,
    device: torch.device | str | None = None,
    dtype: torch.dtype | None = None,
    local_files_only: bool = False,
    attn_implementation: str = "sdpa",
) -> LoadedUniPixel:
    """Load a UniPixel checkpoint strictly.

    Args:
        source: checkpoint directory or hub id (e.g. ``"PolyU-ChenLab/UniPixel-3B"``).
        device: target device; CUDA when available, else CPU.
        dtype: parameter dtype; ``default_dtype(device)`` when ``None``.
        local_files_only: never contact the hub (only the local cache / directory).
        attn_implementation: transformers attention backend for the Qwen modules.

    Raises:
        CheckpointError: files missing or unreadable, or weights not matching the architecture.
    """
    directory = resolve_checkpoint(source, local_files_only=local_files_only)
    config = read_config(directory)
    tokenizer = QwenTokenizer.from_directory(directory)
    _check_token_ids(config, tokenizer)
    target = (
        torch.device(device)
        if device is not None
        else torch.device("cuda" if torch.cuda.is_available() else "cpu")
    )
    dtype = dtype or default_dtype(target)
    is_adapter = any(
        (directory / name).is_file()
        for name in ("adapter_model.safetensors", "pytorch_model.safetensors")
    )
    if is_adapter:
        state_dict = _adapter_state_dict(directory, config, local_files_only)
    else:
        # Straight to the target device: no CPU copy of the weights on CUDA.
        state_dict = to_module_layout(read_safetensors(directory, device=target))
    with _parameters_on_meta():
        model = build_unipixel(config, attn_implementation=attn_implementation)
    _load_strict(model, state_dict, str(directory))
    del state_dict
    model = model.to(device=target).eval()
    model.cast_parameters(dtype)
    logger.debug("loaded UniPixel from %s on %s as %s", directory, target, dtype)
    return LoadedUniPixel(model=model, tokenizer=tokenizer, config=config, directory=directory)
