"""Recipes: YAML files parsed by ``trl.TrlParser`` into rlemp's own arguments plus TRL's configs.

A recipe is one flat YAML mapping, as in open-r1: rlemp's fields (:class:`RlempArguments`), the algorithm's
training config (``GRPOConfig``, :class:`rlemp.trainers.ppo.PPOConfig` or ``DPOConfig``, chosen by the
``algorithm`` key) and ``trl.ModelConfig`` (model, LoRA/QLoRA). Every field can be overridden on the command
line (``--max_steps 10``). Errors in a recipe (unknown keys, wrong types, impossible batch sizes) are reported
on one line naming the recipe file.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import re
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional, Union

from rlemp.errors import RlempError

# On CPUs with AVX512-BF16, importing bitsandbytes (through transformers/TRL) logs that an optional faster CPU
# kernel (the `kernels` package, fetched from the Hub) is missing; training works without it, so keep that line
# off the console (``rlemp train`` prints a bad recipe as one line). Set before bitsandbytes is first imported.
logging.getLogger("bitsandbytes.backends.cpu.ops").setLevel(logging.ERROR)

ALGORITHMS = ("grpo", "ppo", "dpo")


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
    import yaml

    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise RlempError(f"{path}: recipe not found") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        raise RlempError(f"{where}: not valid YAML ({getattr(exc, 'problem', exc)})") from None
    if not isinstance(data, dict):
        raise RlempError(f"{path}: a recipe is a mapping of fields, got {type(data).__name__}")
    return data


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
    """``--config RECIPE.yaml [--field value ...]`` -> (rlemp args, training config, ModelConfig)."""
    from trl import ModelConfig, TrlParser

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
    parser = TrlParser(classes)
    parser.error = _raise_argument_error  # argparse would print its whole usage and exit
    try:
        args, training_args, model_args = parser.parse_args_and_config(args=argv)
    except RlempError as exc:
        raise RlempError(f"{where}: {exc}") from None
    except (ValueError, TypeError) as exc:
        message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise RlempError(f"{where}: {message}") from None
    except SystemExit as exc:  # argparse already printed its usage error
        raise RlempError(f"{where}: invalid command-line arguments") from exc
    _check_types(args, where)
    if not model_args.model_name_or_path:
        raise RlempError(f"{where}: model_name_or_path is required")
    return args, training_args, model_args


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
