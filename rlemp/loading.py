"""The one loader of models, tokenizers and PEFT adapters: every command that loads them goes through here, so
that a broken folder fails the same way everywhere, with one line naming the folder and the cause.

What is checked before transformers/PEFT see anything: a local model folder exists, is a folder and has a
``config.json``; an adapter folder has a valid ``adapter_config.json`` with a known ``peft_type`` and a readable
``adapter_model.safetensors`` whose tensors are finite and whose LoRA ranks match the config; a LoRA adapter's
layers exist in the base model with the sizes it was trained on. What transformers, PEFT or safetensors still
raise while loading (a truncated weight file, a tokenizer that is missing, an unknown architecture) becomes an
:class:`RlempError` with the library's first line.
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any, Optional

from rlemp.errors import InputError, RlempError
from rlemp.files import read_json

ADAPTER_CONFIG = "adapter_config.json"
ADAPTER_WEIGHTS = "adapter_model.safetensors"
LORA_KEY = re.compile(r"^base_model\.model\.(?P<module>.+)\.(?P<matrix>lora_[AB])\.weight$")


def _load_errors() -> tuple[type[BaseException], ...]:
    """What the libraries raise for a broken or missing model: OSError (missing files, not on the Hub),
    ValueError/KeyError/TypeError (bad or unknown config), RuntimeError (size mismatch, deep JSON, memory),
    SafetensorError (truncated or random weight files), ImportError (an architecture's missing package)."""
    from safetensors import SafetensorError

    return (OSError, ValueError, KeyError, TypeError, RuntimeError, ImportError, SafetensorError)


def first_line(exc: BaseException) -> str:
    """An exception's message cut to its first non-empty line, for one-line errors."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return f"{type(exc).__name__}: {lines[0]}" if lines else type(exc).__name__


def quiet_progress_bars() -> None:
    """No "Loading weights" bar when stderr is not a terminal: a log or a caller reading one error line gets
    only what matters."""
    import sys

    from transformers.utils import logging as hf_logging

    if not sys.stderr.isatty():
        hf_logging.disable_progress_bar()


def model_source(name_or_path: str | Path, what: str = "model") -> str:
    """The local folder or Hub id to load ``name_or_path`` from; a local folder must hold a ``config.json``.
    A registry short name (``rlemp models pull``) becomes its pulled folder; a name that is not an existing path
    is passed on as a Hub id (transformers then reports if it is unknown)."""
    from rlemp.models import resolve

    name = resolve(name_or_path)
    if not name.strip():
        raise RlempError(f"cannot load {what}: empty model name")
    path = Path(name)
    if path.exists():
        if not path.is_dir():
            raise InputError(path, None, None, f"cannot load {what}: expected a model folder, got a file")
        if not (path / "config.json").is_file():
            content = "is empty" if not any(path.iterdir()) else "has no config.json"
            raise InputError(path, None, None, f"cannot load {what}: not a model folder ({content})")
        check_model_type(path / "config.json", what)
    elif name.startswith((".", "/", "~")) or "\\" in name or name.count("/") > 1:
        raise InputError(path, None, None, f"cannot load {what}: no such folder")
    return name


def check_model_type(config_file: Path, what: str) -> None:
    """A model folder's ``config.json`` is a JSON object whose ``model_type`` transformers knows (checked before
    loading: transformers would first log a multi-line warning, then fail)."""
    from transformers import CONFIG_MAPPING

    config = read_json(config_file)
    if not isinstance(config, dict):
        raise InputError(config_file, None, None, f"cannot load {what}: expected a JSON object")
    model_type = config.get("model_type")
    if model_type is not None and model_type not in CONFIG_MAPPING:
        raise InputError(config_file, None, "model_type",
                         f"cannot load {what}: transformers does not know the architecture {model_type!r}")


TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "tokenizer.model", "vocab.json", "vocab.txt")


def load_tokenizer(source: str | Path, what: str = "model", revision: Optional[str] = None,
                   chat_template: bool = True):
    """The tokenizer saved in a model or adapter folder (or on the Hub, at ``revision``), with a pad token; with
    ``chat_template`` it must have one (every conversation is rendered with it)."""
    from transformers import AutoTokenizer

    from rlemp.models import resolve

    source = resolve(source)
    local = Path(source)
    if local.is_dir() and not any((local / name).is_file() for name in TOKENIZER_FILES):
        # transformers would build an empty tokenizer from config.json alone
        raise InputError(local, None, None, f"cannot load {what}: no tokenizer files (tokenizer.json...)")
    try:
        tokenizer = AutoTokenizer.from_pretrained(str(source), revision=revision)
    except _load_errors() as exc:
        raise RlempError(f"{source}: cannot load {what}'s tokenizer: {first_line(exc)}") from None
    if isinstance(tokenizer, bool) or not hasattr(tokenizer, "apply_chat_template") or len(tokenizer) < 2:
        raise RlempError(f"{source}: cannot load {what}'s tokenizer: no usable vocabulary")
    if chat_template and not tokenizer.chat_template:
        raise RlempError(f"{source}: the {what}'s tokenizer has no chat template (use an instruct/chat model)")
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    return tokenizer


def load_model(
    name_or_path: str | Path,
    *,
    adapter: Optional[str | Path] = None,
    tokenizer_from: Optional[str | Path] = None,
    what: str = "model",
    chat_template: bool = True,
    **model_kwargs: Any,
):
    """``(model, tokenizer)``: a causal LM from a folder or the Hub (``model_kwargs`` go to ``from_pretrained``),
    with the LoRA ``adapter`` applied when given. The tokenizer comes from ``tokenizer_from``, else from the
    adapter folder when it saved one (it carries the chat template), else from the model."""
    from transformers import AutoModelForCausalLM

    source = model_source(name_or_path, what)
    if adapter is not None:
        check_adapter(adapter)
    if tokenizer_from is None:
        own = adapter is not None and (Path(adapter) / "tokenizer_config.json").is_file()
        tokenizer_from = adapter if own else source
    revision = model_kwargs.get("revision") if tokenizer_from == source else None
    tokenizer = load_tokenizer(tokenizer_from, what, revision, chat_template)
    quiet_progress_bars()
    try:
        model = AutoModelForCausalLM.from_pretrained(source, **model_kwargs)
    except _load_errors() as exc:
        raise RlempError(f"{source}: cannot load {what}: {first_line(exc)}") from None
    if adapter is not None:
        model = apply_adapter(model, adapter)
    return model, tokenizer


def load_for_inference(name_or_path: str | Path, adapter: Optional[str | Path] = None):
    """:func:`load_model` set up to generate (evaluation, mining, demos): in eval mode, float32 on a CPU, the
    checkpoint's own dtype on the GPU when there is one."""
    import torch

    on_gpu = torch.cuda.is_available()
    model, tokenizer = load_model(name_or_path, adapter=adapter or None, dtype="auto" if on_gpu else torch.float32)
    if on_gpu:
        model.to("cuda")
    return model.eval(), tokenizer


def apply_adapter(model, adapter: str | Path, is_trainable: bool = False):
    """``model`` with the checked PEFT adapter of folder ``adapter`` applied (a ``PeftModel``)."""
    from peft import PeftModel

    check_adapter(adapter)
    check_adapter_fits(model, adapter)
    try:
        return PeftModel.from_pretrained(model, str(adapter), is_trainable=is_trainable)
    except _load_errors() as exc:
        raise RlempError(f"{adapter}: cannot apply the adapter: {first_line(exc)}") from None


def check_adapter(adapter_dir: str | Path) -> dict[str, Any]:
    """The adapter's config, after checking the folder: ``adapter_config.json`` is a JSON object with a known
    ``peft_type`` (and, for LoRA, a positive integer ``r``), ``adapter_model.safetensors`` opens, holds finite
    floating-point tensors and, for LoRA, lora_A/lora_B pairs of the configured ranks. Reads every tensor."""
    from peft import PeftType
    from safetensors import SafetensorError, safe_open

    path = Path(adapter_dir)
    if not path.is_dir():
        raise InputError(path, None, None, "adapter folder not found" if not path.exists() else
                         "expected an adapter folder, got a file")
    for name in (ADAPTER_CONFIG, ADAPTER_WEIGHTS):
        if not (path / name).is_file():
            raise InputError(path, None, None, f"not a LoRA adapter folder: {name} is missing")
    config_path = path / ADAPTER_CONFIG
    config = read_json(config_path)
    if not isinstance(config, dict):
        raise InputError(config_path, None, None, f"expected a JSON object, got {type(config).__name__}")
    peft_type = config.get("peft_type")
    known = [t.value for t in PeftType]
    if peft_type not in known:
        raise InputError(config_path, None, "peft_type", f"unknown PEFT type {peft_type!r}")
    ranks: set[int] = set()
    if peft_type == "LORA":
        r = config.get("r", 8)
        if isinstance(r, bool) or not isinstance(r, int) or not 1 <= r <= 65536:
            raise InputError(config_path, None, "r", f"expected a positive integer rank, got {r!r}")
        pattern = config.get("rank_pattern") or {}
        if not isinstance(pattern, dict) or not all(isinstance(v, int) and v >= 1 for v in pattern.values()):
            raise InputError(config_path, None, "rank_pattern", "expected a mapping of module names to ranks")
        alpha = config.get("lora_alpha", 8)
        if isinstance(alpha, bool) or not isinstance(alpha, (int, float)) or not math.isfinite(alpha):
            raise InputError(config_path, None, "lora_alpha", f"expected a finite number, got {alpha!r}")
        ranks = {r, *pattern.values()}
    weights = path / ADAPTER_WEIGHTS
    lora_keys = 0
    try:
        with safe_open(str(weights), framework="pt") as f:
            keys = list(f.keys())
            if not keys:
                raise InputError(weights, None, None, "holds no tensors")
            for key in keys:
                tensor = f.get_tensor(key)
                if tensor.is_floating_point() and not bool(tensor.isfinite().all()):
                    raise InputError(weights, None, key, "holds NaN or infinite values")
                match = LORA_KEY.match(key)
                if ranks and match:
                    lora_keys += 1
                    rank = tensor.shape[0] if match["matrix"] == "lora_A" else tensor.shape[-1]
                    if tensor.dim() != 2 or rank not in ranks:
                        raise InputError(weights, None, key, f"shape {list(tensor.shape)} does not match rank r="
                                         f"{config.get('r', 8)} of {ADAPTER_CONFIG}")
    except SafetensorError as exc:
        raise InputError(weights, None, None, f"not a readable safetensors file ({first_line(exc)})") from None
    except (OSError, RuntimeError, ValueError) as exc:
        if isinstance(exc, InputError):
            raise
        raise InputError(weights, None, None, f"cannot read tensors ({first_line(exc)})") from None
    if ranks and not lora_keys:
        raise InputError(weights, None, None, "holds no LoRA weights (base_model.model.*.lora_A/B.weight)")
    return config


def check_adapter_fits(model, adapter_dir: str | Path) -> None:
    """A one-line :class:`RlempError` unless the LoRA weights saved in ``adapter_dir`` fit ``model`` (a base model
    or a PEFT model): every adapted layer must exist with the sizes the adapter was trained on, and, where the
    model already has a LoRA adapter (resuming training), with the same rank. Catches an adapter trained on
    another base model before PEFT fails with a wall of ``size mismatch`` lines. Reads only the file's header."""
    from safetensors import SafetensorError, safe_open

    path = Path(adapter_dir)
    weights = path / ADAPTER_WEIGHTS
    if not weights.is_file():
        raise InputError(path, None, None, f"not a LoRA adapter folder: {ADAPTER_WEIGHTS} is missing")
    config = read_json(path / ADAPTER_CONFIG) if (path / ADAPTER_CONFIG).is_file() else {}
    recorded = config.get("base_model_name_or_path") if isinstance(config, dict) else None
    trained_on = recorded or "an unrecorded base model"
    base = model.get_base_model() if hasattr(model, "get_base_model") else model
    target = getattr(getattr(base, "config", None), "_name_or_path", None) or "the model"
    own = {name: tuple(getattr(p, "ds_shape", p.shape)) for name, p in model.named_parameters() if "lora_" in name}
    try:
        with safe_open(str(weights), framework="pt") as f:
            for key in f.keys():
                match = LORA_KEY.match(key)
                if match is None:
                    continue
                shape = tuple(f.get_slice(key).get_shape())
                problem = _lora_misfit(base, own, key, match["module"], match["matrix"], shape)
                if problem:
                    raise RlempError(f"{path}: this adapter (trained on {trained_on}) does not fit {target}: "
                                     f"{problem}")
    except SafetensorError as exc:
        raise InputError(weights, None, None, f"not a readable safetensors file ({first_line(exc)})") from None


def _lora_misfit(base, own: dict[str, tuple], key: str, module_name: str, matrix: str, shape: tuple) -> str | None:
    if len(shape) != 2:
        return f"{key} has shape {list(shape)}, expected a matrix"
    try:
        layer = base.get_submodule(module_name)
    except AttributeError:
        return f"the model has no layer {module_name}"
    layer = getattr(layer, "base_layer", layer)
    # lora_A is (rank, in_features), lora_B is (out_features, rank)
    size_name, saved = ("in_features", shape[1]) if matrix == "lora_A" else ("out_features", shape[0])
    size = getattr(layer, size_name, None)
    if size is not None and size != saved:
        return f"{module_name} has {size_name}={size}, the adapter's {matrix} expects {saved}"
    mine = own.get(key.replace(f".{matrix}.weight", f".{matrix}.default.weight"))
    if mine is not None and mine != shape:
        return f"{key} has shape {list(shape)} in the adapter but {list(mine)} in the model (another LoRA rank?)"
    return None
