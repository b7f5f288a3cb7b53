"""Recipes: YAML files parsed by ``trl.TrlParser`` into rlemp's own arguments plus TRL's configs.

A recipe is one flat YAML mapping, as in open-r1: rlemp's fields (:class:`RlempArguments`), the algorithm's
training config (``GRPOConfig``, :class:`rlemp.trainers.ppo.PPOConfig` or ``DPOConfig``, chosen by the
``algorithm`` key) and ``trl.ModelConfig`` (model, LoRA/QLoRA). Every field can be overridden on the command
line (``--max_steps 10``). Errors in a recipe (unknown keys, wrong types, impossible batch sizes) are reported
on one line naming the recipe file.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import math
import re
import types
import typing
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional, Union

from rlemp.errors import RlempError
from rlemp.files import read_mapping

# On CPUs with AVX512-BF16, importing bitsandbytes (through transformers/TRL) logs that an optional faster CPU
# kernel (the `kernels` package, fetched from the Hub) is missing; training works without it, so keep that line
# off the console (``rlemp train`` prints a bad recipe as one line). Set before bitsandbytes is first imported.
logging.getLogger("bitsandbytes.backends.cpu.ops").setLevel(logging.ERROR)

ALGORITHMS = ("grpo", "ppo", "dpo")


class RecipeError(RlempError):
    """A recipe or its command-line overrides cannot be used: the same on every process of a distributed run, so
    only the main process prints it."""


@dataclass
class RlempArguments:
    """rlemp's own recipe fields (the simulated users, rewards and curriculum)."""

    algorithm: str = field(default="grpo", metadata={"help": "grpo, ppo or dpo"})
    personas: str = field(default="simulators/personas/train.jsonl", metadata={"help": "training persona JSONL"})
    eval_personas: Optional[str] = field(
        default="simulators/personas/eval.jsonl", metadata={"help": "held-out personas for evaluation"}
    )
    simulator_backend: str = field(default="rule", metadata={"help": "rule, hf or openai"})
    simulator_config: Optional[Union[dict, str]] = field(
        default=None, metadata={"help": "the backend's config mapping (JSON on the command line)"}
    )
    max_turns: int = field(default=8, metadata={"help": "agent turns per conversation"})
    max_turn_tokens: int = field(default=64, metadata={"help": "new tokens per agent turn"})
    rollout_kv_cache: bool = field(
        default=True,
        metadata={"help": "carry each conversation's KV cache across turns (transformers generation); false: "
                  "re-encode the whole conversation every turn"},
    )
    thinking: bool = field(default=False, metadata={"help": "<think>...</think> before each reply (RLVER)"})
    rewards: Optional[list[dict]] = field(
        default=None,
        metadata={"help": "list of {name, weight, options}; default: emotion_final with weight 1"},
    )
    flr_model: Optional[str] = field(
        default=None, metadata={"help": "scorer LM for the flr reward (default: the base model)"}
    )
    curriculum: Optional[Union[dict, str]] = field(
        default=None, metadata={"help": "curriculum block (schedule, ...; JSON on the command line)"}
    )
    max_failure_rate: float = field(
        default=0.2, metadata={"help": "stop if more than this share of conversations fail in the simulator"}
    )
    eval_max_turns: Optional[int] = field(default=None, metadata={"help": "turns for evaluation (default max_turns)"})
    eval_at_end: bool = field(default=True, metadata={"help": "evaluate the adapter on eval_personas at the end"})
    overwrite_output_dir: bool = field(
        default=False, metadata={"help": "start afresh in an output_dir used by another run (its logs are removed)"}
    )

    def __post_init__(self):
        if self.algorithm not in ALGORITHMS:
            raise RlempError(f"algorithm: expected one of {', '.join(ALGORITHMS)}, got {self.algorithm!r}")
        for name in ("max_turns", "max_turn_tokens"):
            value = getattr(self, name)
            if not isinstance(value, int) or value < 1:
                raise RlempError(f"{name}: expected a positive integer, got {value!r}")
        if not isinstance(self.max_failure_rate, (int, float)) or not 0 <= self.max_failure_rate <= 1:
            raise RlempError(f"max_failure_rate: expected a share between 0 and 1, got {self.max_failure_rate!r}")
        from rlemp.paths import resolve_data_path

        self.personas = str(resolve_data_path(self.personas))
        if self.eval_personas:
            self.eval_personas = str(resolve_data_path(self.eval_personas))
        if self.rewards is None:
            self.rewards = [{"name": "emotion_final", "weight": 1.0}]
        if not isinstance(self.rewards, list) or not all(isinstance(r, dict) and "name" in r for r in self.rewards):
            raise RlempError("rewards: expected a list of mappings with at least a 'name'")
        for name in ("simulator_config", "curriculum"):
            value = getattr(self, name)
            if isinstance(value, str):
                try:
                    value = json.loads(value)
                except json.JSONDecodeError as exc:
                    raise RlempError(f"{name}: not valid JSON ({exc.msg})") from None
                setattr(self, name, value)
            if value is not None and not isinstance(value, dict):
                raise RlempError(f"{name}: expected a mapping, got {value!r}")


def read_recipe(path: str | Path) -> dict[str, Any]:
    """The recipe's mapping, with a one-line error for a missing or malformed file."""
    if not Path(path).exists():
        raise RlempError(f"{path}: recipe not found")
    return read_mapping(path, "recipe")


def algorithm_config_class(algorithm: str):
    if algorithm == "grpo":
        from trl import GRPOConfig

        return GRPOConfig
    if algorithm == "ppo":
        from rlemp.trainers.ppo import PPOConfig

        return PPOConfig
    if algorithm == "dpo":
        from rlemp.trainers.dpo import RlempDPOConfig

        return RlempDPOConfig
    raise RlempError(f"algorithm: expected one of {', '.join(ALGORITHMS)}, got {algorithm!r}")


def parse_recipe(argv: list[str]):
    """``--config RECIPE.yaml [--field value ...]`` -> (rlemp args, training config, ModelConfig); any problem
    is a one-line :class:`RecipeError`."""
    try:
        return _parse_recipe(argv)
    except RecipeError:
        raise
    except RlempError as exc:
        raise RecipeError(str(exc)) from None


def _parse_recipe(argv: list[str]):
    from trl import ModelConfig, TrlParser

    # TrlParser reads only the spaced form of --config
    argv = [part for token in argv for part in (token.split("=", 1) if token.startswith("--config=") else [token])]

    config_path = _config_path(argv)
    recipe = read_recipe(config_path) if config_path else {}
    where = config_path or "command line"
    algorithm = _override(argv, "algorithm") or recipe.get("algorithm", "grpo")
    try:
        config_class = algorithm_config_class(str(algorithm))
    except RlempError as exc:
        raise RlempError(f"{where}: {exc}") from None
    classes = (RlempArguments, config_class, ModelConfig)
    _check_known_fields(recipe, classes, where)
    _check_recipe_values(recipe, argv, classes, where)
    for key, value in recipe.items():  # before TrainingArguments does arithmetic with them (int(inf) crashes)
        if isinstance(value, float) and not math.isfinite(value):
            raise RlempError(f"{where}: field '{key}': must be a finite number, got {value!r}")
    parser = TrlParser(classes)
    parser.error = _raise_argument_error  # argparse would print its whole usage and exit
    parser.allow_abbrev = False  # --learning_rat must not silently mean --learning_rate
    check_override_names(argv, parser)
    _check_hardware(recipe, argv, config_class, where)
    try:
        with warnings.catch_warnings():  # transformers' deprecation notices about TRL's own defaults: not the user's
            warnings.simplefilter("ignore", FutureWarning)
            args, training_args, model_args = parser.parse_args_and_config(args=argv)
    except RlempError as exc:
        raise RlempError(f"{where}: {exc}") from None
    except (ValueError, TypeError, OverflowError) as exc:  # OverflowError: an infinite step count
        message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise RlempError(f"{where}: {message}") from None
    except SystemExit as exc:  # argparse already printed its usage error
        raise RlempError(f"{where}: invalid command-line arguments") from exc
    _check_types(args, where)
    if not model_args.model_name_or_path:
        raise RlempError(f"{where}: model_name_or_path is required")
    check_ranges((args, training_args, model_args), where)
    return args, training_args, model_args


# Ranges checked once the recipe and the command line are parsed: (low, high, whether low itself is allowed).
RANGES: dict[str, tuple[float, float, bool]] = {
    "learning_rate": (0, math.inf, False),
    "temperature": (0, math.inf, False),
    "top_p": (0, 1, False),
    "num_train_epochs": (0, math.inf, False),
    "lora_r": (1, 4096, True),
    "lora_alpha": (0, math.inf, False),
    "lora_dropout": (0, 1, True),
    "max_failure_rate": (0, 1, True),
    "max_turns": (1, 1000, True),
    "eval_max_turns": (1, 1000, True),
    "max_turn_tokens": (1, 1_000_000, True),
    "weight_decay": (0, math.inf, True),
    "max_grad_norm": (0, math.inf, True),
    # transformers seeds numpy too, which takes 0 .. 2**32 - 1
    "seed": (0, 2**32 - 1, True),
    "data_seed": (0, 2**32 - 1, True),
}
DTYPES = ("auto", "float32", "float16", "bfloat16")


def check_ranges(configs: tuple, where: str) -> None:
    """Every float field of the parsed configs is finite (a NaN or infinite learning rate, temperature... would
    train on garbage or crash deep inside torch), the fields of :data:`RANGES` lie in their range, ``dtype`` is
    a known name and every reward weight is a finite number."""
    for config in configs:
        for f in dataclasses.fields(config):
            value = getattr(config, f.name, None)
            if isinstance(value, bool) or value is None:
                continue
            if isinstance(value, float) and not math.isfinite(value):
                if not (isinstance(f.default, float) and not math.isfinite(f.default)):
                    raise RlempError(f"{where}: field '{f.name}': must be a finite number, got {value!r}")
            if f.name in RANGES and isinstance(value, (int, float)):
                low, high, closed = RANGES[f.name]
                if not (low <= value <= high if closed else low < value <= high):
                    bound = f"at least {low}" if closed else f"greater than {low}"
                    upper = f" and at most {high}" if math.isfinite(high) else ""
                    raise RlempError(f"{where}: field '{f.name}': must be {bound}{upper}, got {value!r}")
    for config in configs:
        dtype = getattr(config, "dtype", None)
        if hasattr(config, "lora_r") and dtype is not None and dtype not in DTYPES:
            raise RlempError(f"{where}: field 'dtype': expected one of {', '.join(DTYPES)}, got {dtype!r}")
        for i, reward in enumerate(getattr(config, "rewards", None) or []):
            weight = reward.get("weight", 1.0)
            if isinstance(weight, bool) or not isinstance(weight, (int, float)) or not math.isfinite(weight):
                raise RlempError(f"{where}: field 'rewards[{i}].weight': must be a finite number, got {weight!r}")


def recipe_fields(algorithm: str = "grpo") -> list[tuple[str, list[tuple[str, str, str]]]]:
    """Every recipe field of an algorithm with its default and the help its dataclass gives, grouped by class:
    ``[(group title, [(name, default, help), ...]), ...]``, for ``rlemp train --help``."""
    from trl import ModelConfig

    config_class = algorithm_config_class(algorithm)
    groups = (("rlemp (simulated users, rewards, curriculum)", RlempArguments),
              ("model and LoRA (trl.ModelConfig)", ModelConfig),
              (f"training ({config_class.__module__.split('.')[0]}.{config_class.__name__})", config_class))
    listed = []
    for title, cls in groups:
        rows = []
        for f in dataclasses.fields(cls):
            if not f.init or f.name.startswith("_"):
                continue
            default = f.default if f.default is not dataclasses.MISSING else (
                "(computed)" if f.default_factory is dataclasses.MISSING else f.default_factory())
            rows.append((f.name, repr(default), " ".join(str(f.metadata.get("help", "")).split())))
        listed.append((title, rows))
    return listed


def check_override_names(argv: list[str], parser) -> None:
    """Every ``--name`` on the command line is exactly an option of the recipe parser (a field, its dashed
    alias or ``--no_FIELD``); otherwise a one-line error naming the option and the closest field. The recipe
    file is not blamed: the typo is on the command line."""
    import difflib

    options = {*parser._option_string_actions, "--config"}  # TrlParser reads --config itself
    for token in argv:
        if not token.startswith("--"):
            continue
        name = token.split("=", 1)[0]
        if name not in options:
            fields = sorted(o for o in options if o.startswith("--") and "-" not in o[2:])
            close = difflib.get_close_matches(name, fields, n=1)
            hint = f" (did you mean {close[0]}?)" if close else ""
            raise RecipeError(f"unknown option {name}{hint}; `rlemp train --help` lists every recipe field")


def _check_hardware(recipe: dict[str, Any], argv: list[str], config_class, where: str) -> None:
    """A bf16 recipe needs a GPU (transformers accepts bf16 on a CPU only with ``use_cpu``): say so, and where to
    start on a CPU, instead of transformers' advice to set ``use_cpu``."""
    import torch
    from transformers.hf_argparser import string_to_bool

    def setting(name: str) -> bool:
        value = _override(argv, name)
        if value is None:
            value = recipe.get(name, next(f.default for f in dataclasses.fields(config_class) if f.name == name))
        try:
            return bool(string_to_bool(value) if isinstance(value, str) else value)
        except argparse.ArgumentTypeError:  # not a boolean: argparse reports it with the field's name
            return False

    if setting("bf16") and not setting("use_cpu") and not torch.cuda.is_available():
        raise RecipeError(
            f"{where}: this recipe trains in bf16 and needs CUDA GPUs, and this machine has none; on a CPU start "
            "from a recipe in recipes/tiny (e.g. `rlemp train --config recipes/tiny/grpo.yaml`), and run "
            "`rlemp doctor --config RECIPE.yaml` to see what this machine can run")


def _check_known_fields(recipe: dict[str, Any], classes: tuple, where: str) -> None:
    """Every key of the recipe is a field of one of the argument classes (``env`` is TrlParser's own)."""
    import difflib

    known = {f.name for cls in classes for f in dataclasses.fields(cls)} | {"env"}
    for key in recipe:
        if key not in known:
            close = difflib.get_close_matches(str(key), known, n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            raise RlempError(f"{where}: unknown field '{key}'{hint}")


# Fields that count samples or steps per batch: 0 or less cannot train (and some make TRL divide by zero).
POSITIVE_FIELDS = ("per_device_train_batch_size", "per_device_eval_batch_size", "gradient_accumulation_steps",
                   "num_generations", "generation_batch_size", "steps_per_generation", "num_iterations")


def _check_recipe_values(recipe: dict[str, Any], argv: list[str], classes: tuple, where: str) -> None:
    """Before the argument classes are built: no ``hub_token`` (a secret), the recipe's typed YAML values
    (argparse converts only strings) must fit their fields' simple types, and the batch-size fields must be
    positive."""
    if "hub_token" in recipe or _override(argv, "hub_token") is not None:
        # it would be saved in every checkpoint (training_args.bin) and in the adapter's rlemp_recipe.yaml
        raise RlempError(f"{where}: field 'hub_token': do not put a token in a recipe or on the command line; "
                         "use `hf auth login` or the HF_TOKEN environment variable")
    fields = {f.name: f for cls in classes for f in dataclasses.fields(cls)}
    hints = {}
    for cls in classes:
        try:
            hints.update(typing.get_type_hints(cls))
        except (NameError, TypeError):  # an unresolvable annotation: that class's fields keep their raw types
            continue
    for key, value in recipe.items():
        accepted = _accepted_types(hints.get(key, fields[key].type if key in fields else None))
        if accepted and not isinstance(value, str) and not _is_instance(value, accepted):
            names = " or ".join(t.__name__ for t in accepted if t is not type(None))
            raise RlempError(f"{where}: field '{key}': expected {names}, got {value!r}")
    for key in POSITIVE_FIELDS:
        value = _override(argv, key)
        value = recipe.get(key) if value is None else value
        if isinstance(value, bool) or not re.fullmatch(r"\s*-?\d+\s*", str(value)):
            continue  # absent, or not a whole number: the type checks report it
        if int(value) < 1:
            raise RlempError(f"{where}: field '{key}': must be a positive integer, got {int(value)}")


def _accepted_types(annotation) -> tuple[type, ...]:
    """The Python types a YAML value may have for a simple annotation (int, float, bool, str, optional or unions
    of them); empty for anything else (enums, dicts, lists...), which is left to the libraries."""
    simple = {int: (int,), float: (int, float), bool: (bool,), str: (str,), type(None): (type(None),)}
    if annotation in simple:
        return simple[annotation]
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        parts = [simple.get(arg) for arg in typing.get_args(annotation)]
        return () if any(part is None for part in parts) else tuple(t for part in parts for t in part)
    return ()


def _is_instance(value: Any, accepted: tuple[type, ...]) -> bool:
    """isinstance, except that a YAML true/false is not a number."""
    if isinstance(value, bool):
        return bool in accepted
    return isinstance(value, accepted)


def _raise_argument_error(message: str):
    """argparse's error, as an RlempError: "argument --max_turns/--max-turns: invalid int value: 'eight'" ->
    "field 'max_turns': invalid int value: 'eight'"."""
    match = re.match(r"argument --([\w]+)(?:/--[\w-]+)?: (.*)", message)
    raise RlempError(f"field '{match.group(1)}': {match.group(2)}" if match else message)


def _config_path(argv: list[str]) -> str | None:
    for i, token in enumerate(argv):
        if token == "--config" and i + 1 < len(argv):
            return argv[i + 1]
        if token.startswith("--config="):
            return token.split("=", 1)[1]
    return None


def _override(argv: list[str], name: str) -> str | None:
    for i, token in enumerate(argv):
        if token == f"--{name}" and i + 1 < len(argv):
            return argv[i + 1]
        if token.startswith(f"--{name}="):
            return token.split("=", 1)[1]
    return None


def _check_types(args: RlempArguments, where: str) -> None:
    """YAML values bypass argparse's conversion: check the simple fields' types here."""
    for f in dataclasses.fields(args):
        value = getattr(args, f.name)
        expected = {"str": str, "int": int, "float": (int, float), "bool": bool}.get(str(f.type))
        if expected is not None and value is not None and not isinstance(value, expected):
            raise RlempError(f"{where}: field '{f.name}': expected {f.type}, got {value!r}")
