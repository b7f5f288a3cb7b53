"""Recipes: YAML files parsed by ``trl.TrlParser`` into rlemp's own arguments plus the algorithm's configs.

A recipe is one flat YAML mapping, as in open-r1: rlemp's fields (:class:`RlempArguments`), the algorithm's
training config (``trl.GRPOConfig``, :class:`PPOConfig` or :class:`RlempDPOConfig`, chosen by the ``algorithm``
key) and ``trl.ModelConfig`` (model, LoRA/QLoRA). Every field can be overridden on the command line
(``--max_steps 10``). Errors in a recipe (unknown keys, wrong types, impossible values) are reported on one line
naming the recipe file.
"""

from __future__ import annotations

import argparse
import dataclasses
import enum
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

import yaml

from rlemp.errors import RlempError, printable
from rlemp.files import read_mapping
from rlemp.paths import EVAL_PERSONAS, TRAIN_PERSONAS, in_checkout, resolve_data_path

# On CPUs with AVX512-BF16, importing bitsandbytes (through transformers/TRL) logs that an optional faster CPU
# kernel (the `kernels` package, fetched from the Hub) is missing; training works without it, so keep that line
# off the console (``rlemp train`` prints a bad recipe as one line). Set before bitsandbytes is first imported.
logging.getLogger("bitsandbytes.backends.cpu.ops").setLevel(logging.ERROR)

from transformers import TrainingArguments  # noqa: E402  (after the line above)
from trl import DPOConfig  # noqa: E402

from rlemp.preferences import JUDGES, MiningConfig, mining_config  # noqa: E402

ALGORITHMS = ("grpo", "ppo", "dpo")


class RecipeError(RlempError):
    """A recipe or its command-line overrides cannot be used: the same on every process of a distributed run, so
    only the main process prints it."""


@dataclass
class RlempArguments:
    """rlemp's own recipe fields (the simulated users, rewards and curriculum)."""

    algorithm: str = field(default="grpo", metadata={"help": "grpo, ppo or dpo"})
    personas: str = field(default=in_checkout(TRAIN_PERSONAS), metadata={"help": "training persona JSONL"})
    eval_personas: Optional[str] = field(
        default=in_checkout(EVAL_PERSONAS), metadata={"help": "held-out personas for evaluation"}
    )
    simulator_backend: str = field(default="rule", metadata={"help": "rule, hf, openai or remote"})
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
    rewards: Optional[Union[list, str]] = field(
        default=None,
        metadata={"help": "grpo and ppo: list of {name, weight, options} (JSON on the command line); default: "
                  "emotion_final with weight 1 (dpo judges its pairs with judge instead)"},
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
    resume: Optional[str] = field(
        default=None,
        metadata={"help": "continue from a checkpoint-N folder, or 'latest' (the newest complete one in "
                  "output_dir); a bare --resume means latest"},
    )
    # the fields the recipe file and the command line set, in that order (filled by parse_recipe)
    fields_given: list[str] = field(default_factory=list, init=False, repr=False)

    def __post_init__(self):
        self.personas = str(resolve_data_path(self.personas))
        if self.eval_personas:
            self.eval_personas = str(resolve_data_path(self.eval_personas))
        if self.rewards is None and self.algorithm != "dpo":  # dpo judges its pairs with the miner instead
            self.rewards = [{"name": "emotion_final", "weight": 1.0}]
        for name, kind in (("simulator_config", dict), ("curriculum", dict), ("rewards", list)):
            value = getattr(self, name)
            if isinstance(value, str):
                try:
                    value = json.loads(value)
                except json.JSONDecodeError as exc:
                    raise RlempError(f"{name}: not valid JSON ({exc.msg})") from None
                setattr(self, name, value)
            if value is not None and not isinstance(value, kind):
                raise RlempError(f"{name}: expected a {'mapping' if kind is dict else 'list'}, got {value!r}")


def read_recipe(path: str | Path) -> dict[str, Any]:
    """The recipe's mapping, with a one-line error for a missing or malformed file."""
    if not Path(path).exists():
        raise RlempError(f"{path}: recipe not found")
    return read_mapping(path, "recipe")


@dataclass
class RlempDPOConfig(DPOConfig):
    """``trl.DPOConfig`` plus how the preference pairs are mined (fields of :class:`rlemp.preferences.MiningConfig`).

    ``bf16`` defaults to False when training on CPU (``use_cpu`` or no CUDA), else to TRL's default.
    ``temperature`` and ``top_p`` are the policy's sampling in the state rollouts, look-ahead turns and
    evaluation; ``mining_temperature`` samples the candidates.
    """

    _VALID_DICT_FIELDS = DPOConfig._VALID_DICT_FIELDS + ["judge_weights"]

    pairs: Optional[str] = field(
        default=None, metadata={"help": "preference pairs JSONL for round 1 (default: mine from the base model)"}
    )
    rounds: int = field(default=1, metadata={"help": "iterations of mine -> train -> evaluate"})
    judge: str = field(default="lookahead", metadata={"help": f"candidate judge: {', '.join(JUDGES)}"})
    judge_weights: Optional[Union[dict, str]] = field(
        default=None,
        metadata={"help": "judge mix only: {flr: w, lookahead: w} (default flr 1.0, lookahead 0.1; JSON on the "
                  "command line)"},
    )
    candidates: int = field(default=4, metadata={"help": "replies sampled per dialogue state (K >= 2)"})
    margin: float = field(default=1.0, metadata={"help": "minimum score gap between chosen and rejected"})
    lookahead_turns: int = field(
        default=2, metadata={"help": "turns the simulated conversation goes on after a candidate (lookahead judge)"}
    )
    states_per_persona: int = field(
        default=0, metadata={"help": "dialogue states drawn from each persona's conversation (0: every turn)"}
    )
    mining_temperature: float = field(default=1.0, metadata={"help": "sampling temperature of the candidates"})
    mining_batch_size: int = field(default=64, metadata={"help": "rows of one generate call while mining"})
    temperature: float = field(default=1.0, metadata={"help": "policy sampling in rollouts and evaluation"})
    top_p: float = field(default=1.0, metadata={"help": "policy nucleus sampling in rollouts and evaluation"})

    def __post_init__(self):
        if self.bf16 is None and not self.fp16:
            import torch

            self.bf16 = False if self.use_cpu or not torch.cuda.is_available() else None
        super().__post_init__()
        self.mining_config()

    def mining_config(self) -> MiningConfig:
        return mining_config(
            judge=self.judge,
            judge_weights=self.judge_weights,
            candidates=self.candidates,
            margin=self.margin,
            lookahead_turns=self.lookahead_turns,
            states_per_persona=self.states_per_persona,
            temperature=self.mining_temperature,
        )


@dataclass
class PPOConfig(TrainingArguments):
    """``TrainingArguments`` plus PPO's fields. ``learning_rate`` is the policy's (actor's) learning rate.

    One step = ``rollouts_per_step`` conversations per process, then ``num_ppo_epochs`` epochs over minibatches
    of ``per_device_train_batch_size * gradient_accumulation_steps`` conversations (one optimizer step each);
    ``rollouts_per_step`` must be a multiple of that minibatch size. ``max_steps`` counts PPO steps; when it is
    not set, ``num_train_epochs`` passes over the personas decide. The reward placement (per turn or at the end
    of the conversation) follows from the reward names, see the module docstring.
    """

    critic_learning_rate: Optional[float] = field(
        default=None, metadata={"help": "learning rate of the critic (adapter + value head); default 5 x learning_rate"}
    )
    rollouts_per_step: int = field(default=8, metadata={"help": "conversations per PPO step on each process"})
    num_ppo_epochs: int = field(default=4, metadata={"help": "passes over each step's conversations"})
    cliprange: float = field(default=0.2, metadata={"help": "policy ratio clipping epsilon"})
    cliprange_value: float = field(default=0.2, metadata={"help": "value clipping epsilon (around the old values)"})
    vf_coef: float = field(default=0.1, metadata={"help": "weight of the value loss in the joint loss"})
    gamma: float = field(default=1.0, metadata={"help": "discount per agent token"})
    lam: float = field(default=0.95, metadata={"help": "GAE lambda"})
    kl_coef: float = field(default=0.05, metadata={"help": "initial weight of the per-token KL penalty in the reward"})
    kl_estimator: str = field(default="k1", metadata={"help": "k1 or k3 (see kl_penalty)"})
    adaptive_kl: bool = field(default=False, metadata={"help": "adapt kl_coef towards target_kl (Ziegler et al.)"})
    target_kl: float = field(default=6.0, metadata={"help": "adaptive KL: target KL per conversation (nats)"})
    horizon: int = field(default=10000, metadata={"help": "adaptive KL: horizon in conversations"})
    whiten_advantages: bool = field(default=True, metadata={"help": "whiten advantages over the step's agent tokens"})
    temperature: float = field(default=1.0, metadata={"help": "sampling temperature (also scales the log-probs)"})
    top_p: float = field(default=1.0, metadata={"help": "nucleus sampling"})
    top_k: int = field(default=0, metadata={"help": "top-k sampling (0: off)"})
    max_completion_length: int = field(
        default=1024, metadata={"help": "token budget of a whole conversation after the prompt (agent + user)"}
    )
    ds3_gather_for_generation: bool = field(
        default=True, metadata={"help": "ZeRO-3: gather the weights for generation (faster, needs the memory)"}
    )
    logging_steps: float = field(default=1, metadata={"help": "log every N PPO steps"})
    bf16: bool = field(default=False, metadata={"help": "bf16 mixed precision"})

    def __post_init__(self):
        super().__post_init__()
        if self.critic_learning_rate is None:
            self.critic_learning_rate = 5 * self.learning_rate
        if self.ddp_find_unused_parameters is None:
            self.ddp_find_unused_parameters = False  # every trainable parameter is used in every forward
        minibatch = self.per_device_train_batch_size * self.gradient_accumulation_steps
        checks = [
            (self.kl_estimator in ("k1", "k3"), f"kl_estimator: expected k1 or k3, got {self.kl_estimator!r}"),
            (self.rollouts_per_step >= 1, f"rollouts_per_step: expected >= 1, got {self.rollouts_per_step}"),
            (
                self.rollouts_per_step % minibatch == 0,
                f"rollouts_per_step ({self.rollouts_per_step}) must be a multiple of per_device_train_batch_size x "
                f"gradient_accumulation_steps ({minibatch})",
            ),
            (self.num_ppo_epochs >= 1, f"num_ppo_epochs: expected >= 1, got {self.num_ppo_epochs}"),
            (self.cliprange > 0 and self.cliprange_value > 0, "cliprange and cliprange_value must be positive"),
            (0 <= self.gamma <= 1 and 0 <= self.lam <= 1, "gamma and lam must lie in [0, 1]"),
            (self.kl_coef >= 0, f"kl_coef: expected >= 0, got {self.kl_coef}"),
            (self.kl_coef > 0 or not self.adaptive_kl, "adaptive_kl needs a positive initial kl_coef"),
            (self.target_kl > 0 and self.horizon > 0, "target_kl and horizon must be positive"),
            (self.temperature > 0, "temperature must be positive (PPO samples its rollouts)"),
            (self.max_completion_length > 0, "max_completion_length must be positive"),
        ]
        for ok, message in checks:
            if not ok:
                raise ValueError(message)

    @property
    def mini_batch_size(self) -> int:
        """Conversations per optimizer step on one process."""
        return self.per_device_train_batch_size * self.gradient_accumulation_steps


def algorithm_config_class(algorithm: str):
    """The training config of an algorithm."""
    if algorithm == "grpo":
        from trl import GRPOConfig

        return GRPOConfig
    if algorithm in ALGORITHMS:
        return {"ppo": PPOConfig, "dpo": RlempDPOConfig}[algorithm]
    raise RlempError(f"algorithm: expected one of {', '.join(ALGORITHMS)}, got {algorithm!r}")


def parse_recipe(argv: list[str]):
    """``--config RECIPE.yaml [--field value ...]`` -> (rlemp args, training config, ModelConfig); any problem
    is a one-line :class:`RecipeError`."""
    try:
        return _parse_recipe(argv)
    except RecipeError:
        raise
    except RlempError as exc:
        raise RecipeError(_with_recipe_line(str(exc), argv)) from None


def _with_recipe_line(message: str, argv: list[str]) -> str:
    """``RECIPE: field 'x': ...`` -> ``RECIPE:LINE: field 'x': ...`` where the recipe sets ``x`` at the top level,
    or ``command line, over RECIPE: field 'x': ...`` where the command line sets it (it overrides the recipe)."""
    path = config_path_of(argv)
    match = re.match(rf"{re.escape(str(path))}: (?:unknown )?field '(\w+)", message) if path else None
    if not match:
        return message
    if on_command_line(argv, match.group(1)):
        return f"command line, over {message}"
    try:
        root = yaml.compose(Path(path).read_text(encoding="utf-8"), Loader=yaml.SafeLoader)
    except (OSError, UnicodeDecodeError, yaml.YAMLError):  # already reported as the file's own error
        return message
    pairs = root.value if isinstance(root, yaml.MappingNode) else []
    lines = [key.start_mark.line + 1 for key, _ in pairs
             if isinstance(key, yaml.ScalarNode) and key.value == match.group(1)]
    return f"{path}:{lines[0]}{message[len(str(path)):]}" if lines else message


def _parse_recipe(argv: list[str]):
    from trl import ModelConfig, TrlParser

    # TrlParser reads only the spaced form of --config; a bare --resume means "latest"
    argv = [part for token in argv for part in (token.split("=", 1) if token.startswith("--config=") else [token])]
    bare_resume = [i for i, token in enumerate(argv)
                   if token == "--resume" and (i + 1 == len(argv) or argv[i + 1].startswith("--"))]
    for i in reversed(bare_resume):
        argv.insert(i + 1, "latest")

    config_path = config_path_of(argv)
    recipe = read_recipe(config_path) if config_path else {}
    where = config_path or "command line"
    algorithm = command_line_value(argv, "algorithm") or recipe.get("algorithm", "grpo")
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
    overridden = check_override_names(argv, parser)
    _check_hardware(recipe, argv, config_class, where)
    try:
        with warnings.catch_warnings():  # transformers' deprecation notices about TRL's own defaults: not the user's
            warnings.simplefilter("ignore", FutureWarning)
            args, training_args, model_args = parser.parse_args_and_config(args=argv)
    except RlempError as exc:
        raise RlempError(f"{where}: {exc}") from None
    except ZeroDivisionError:  # TRL divides batch sizes by num_generations while building its config
        raise RlempError(f"{where}: a batch size, num_generations or gradient_accumulation_steps is 0; each must "
                         "be at least 1") from None
    except (ValueError, TypeError, OverflowError, KeyError, IndexError) as exc:  # OverflowError: infinite steps
        message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise RlempError(f"{where}: {message}") from None
    except SystemExit as exc:  # argparse already printed its usage error
        raise RlempError(f"{where}: invalid command-line arguments") from exc
    check_values((args, training_args, model_args), where)
    check_blocks(args, training_args, where)
    given = [key for key in recipe if key != "env"]
    args.fields_given = [key for key in given + [k for k in overridden if k not in given] if key != "resume"]
    return args, training_args, model_args


def saved_recipe(configs: tuple) -> dict[str, Any]:
    """The recipe as parsed, for the adapter folder: ``algorithm``, then every field that the recipe file or the
    command line set (in that order) with its parsed value (``resume`` left out: it is not part of the recipe)."""
    args = configs[0]
    values: dict[str, Any] = {"algorithm": args.algorithm}
    for key in args.fields_given:
        owner = next(c for c in configs if any(f.name == key for f in dataclasses.fields(c)))
        values[key] = _plain(getattr(owner, key))
    return values


def _plain(value: Any) -> Any:
    """A parsed value as YAML writes it safely (enums by value, tuples as lists)."""
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, Path):
        return str(value)
    return value


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
    "rounds": (1, math.inf, True),
    "mining_batch_size": (1, math.inf, True),
    "weight_decay": (0, math.inf, True),
    "max_grad_norm": (0, math.inf, True),
    # transformers seeds numpy too, which takes 0 .. 2**32 - 1
    "per_device_train_batch_size": (1, math.inf, True),
    "per_device_eval_batch_size": (1, math.inf, True),
    "gradient_accumulation_steps": (1, math.inf, True),
    "num_generations": (1, math.inf, True),
    "max_completion_length": (1, math.inf, True),
    "seed": (0, 2**32 - 1, True),
    "data_seed": (0, 2**32 - 1, True),
}
DTYPES = ("auto", "float32", "float16", "bfloat16")


def check_values(configs: tuple, where: str) -> None:
    """The checks of the parsed configs (the libraries' own ran while building them): a model is named, every
    float field is finite (a NaN or infinite learning rate, temperature... would train on garbage or crash deep
    inside torch), the fields of :data:`RANGES` lie in their range, ``dtype`` is a known name, and ``rewards``
    is a list of named mappings with finite weights (none for dpo, which judges its pairs instead)."""
    args, _, model_args = configs
    if not model_args.model_name_or_path:
        raise RlempError(f"{where}: model_name_or_path is required")
    if args.algorithm == "dpo" and not model_args.use_peft:
        raise RlempError(f"{where}: algorithm dpo trains a LoRA adapter: set use_peft: true in the recipe")
    if args.algorithm == "dpo" and args.rewards is not None:
        raise RlempError(f"{where}: field 'rewards': dpo judges its preference pairs (judge, judge_weights); "
                         "rewards apply to grpo and ppo")
    if args.rewards is not None and not (
            isinstance(args.rewards, list) and all(isinstance(r, dict) and "name" in r for r in args.rewards)):
        raise RlempError(f"{where}: field 'rewards': expected a list of mappings with at least a 'name'")
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
    from transformers.integrations.integration_utils import INTEGRATION_TO_CALLBACK

    report_to = getattr(configs[1], "report_to", None)
    for target in [report_to] if isinstance(report_to, str) else report_to or []:
        if target not in INTEGRATION_TO_CALLBACK and target not in ("none", "all"):
            raise RlempError(f"{where}: field 'report_to': unknown logger {target!r}; choose from none, all, "
                             f"{', '.join(sorted(INTEGRATION_TO_CALLBACK))}")
    steps = getattr(configs[1], "max_steps", -1)
    if isinstance(steps, int) and not isinstance(steps, bool) and steps != -1 and steps < 1:
        raise RlempError(f"{where}: field 'max_steps': must be -1 (train by epochs) or at least 1, got {steps}")
    if model_args.dtype is not None and model_args.dtype not in DTYPES:
        raise RlempError(f"{where}: field 'dtype': expected one of {', '.join(DTYPES)}, got {model_args.dtype!r}")
    for i, reward in enumerate(args.rewards or []):
        weight = reward.get("weight", 1.0)
        if isinstance(weight, bool) or not isinstance(weight, (int, float)) or not math.isfinite(weight):
            raise RlempError(f"{where}: field 'rewards[{i}].weight': must be a finite number, got {weight!r}")


def check_blocks(args, training_args, where: str) -> None:
    """The checks ``rlemp train`` would otherwise meet only after loading the model, run while parsing (so that
    ``rlemp doctor --config`` runs them too): ``rewards`` is a non-empty list of known, distinct rewards whose
    options build, and the ``curriculum`` block is valid."""
    if args.rewards is not None:
        from rlemp.rewards import NEEDS_SCORER, REWARDS, build_reward, parse_specs

        if not args.rewards:
            raise RlempError(f"{where}: field 'rewards': empty list; name at least one reward "
                             f"({', '.join(REWARDS)}) or leave the field out for emotion_final")
        try:
            for spec in parse_specs(args.rewards):
                if spec.name not in REWARDS:
                    raise RlempError(f"unknown reward {spec.name!r}; choose from {', '.join(REWARDS)}")
                if spec.name not in NEEDS_SCORER:  # flr's options name a scorer model: built when training
                    build_reward(spec.name, **spec.options)
        except RlempError as exc:
            raise RlempError(f"{where}: field 'rewards': {exc}") from None
        except (TypeError, ValueError) as exc:  # an option the reward does not take
            raise RlempError(f"{where}: field 'rewards': {' '.join(str(exc).split())}") from None
    check_simulator(args, where)
    from rlemp.trainers.curriculum_hook import parse_curriculum

    try:
        parse_curriculum(args, training_args)
    except RlempError as exc:
        raise RlempError(f"{where}: {exc}") from None


def check_simulator(args, where: str) -> None:
    """``simulator_backend`` is a known backend and ``simulator_config`` valid for it (the config alone: building
    an ``hf`` simulator would load its model)."""
    from pydantic import ValidationError

    from rlemp.errors import first_validation_error
    from rlemp.simulators import BACKENDS, simulator_class

    if args.simulator_backend not in BACKENDS:
        raise RlempError(f"{where}: field 'simulator_backend': expected one of {', '.join(BACKENDS)}, got "
                         f"{args.simulator_backend!r}")
    try:
        simulator_class(args.simulator_backend).config_class.model_validate(args.simulator_config or {})
    except ValidationError as exc:
        field, message = first_validation_error(exc)
        raise RlempError(f"{where}: field 'simulator_config': {args.simulator_backend} config field '{field}': "
                         f"{message}") from None


def check_resume(args, training_args, where: str) -> None:
    """A ``resume`` checkpoint path (not ``latest``) must be a complete checkpoint, as ``rlemp train`` checks
    before it loads anything."""
    if args.resume not in (None, "latest"):
        from rlemp.trainers.reliability import resolve_resume

        try:
            resolve_resume(args.resume, training_args.output_dir)
        except RlempError as exc:
            raise RlempError(f"{where}: field 'resume': {str(exc).removeprefix('--resume: ')}") from None


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


def check_override_names(argv: list[str], parser) -> list[str]:
    """The fields the command line sets, in order. Every ``--name`` must be exactly an option of the recipe
    parser (a field, its dashed alias or ``--no_FIELD``); otherwise a one-line error naming the option and the
    closest field. The recipe file is not blamed: the typo is on the command line."""
    import difflib

    actions = parser._option_string_actions
    fields: list[str] = []
    for token in argv:
        if not token.startswith("--"):
            continue
        name = token.split("=", 1)[0]
        if name == "--config":  # TrlParser reads --config itself
            continue
        if name not in actions:
            known = sorted(o for o in [*actions, "--config"] if o.startswith("--") and "-" not in o[2:])
            close = difflib.get_close_matches(name, known, n=1)
            hint = f" (did you mean {close[0]}?)" if close else ""
            raise RecipeError(f"unknown option {name}{hint}; `rlemp train --help` lists every recipe field")
        if actions[name].dest not in fields:
            fields.append(actions[name].dest)
    return fields


def _check_hardware(recipe: dict[str, Any], argv: list[str], config_class, where: str) -> None:
    """A bf16 recipe needs a GPU (transformers accepts bf16 on a CPU only with ``use_cpu``): say so, and where to
    start on a CPU, instead of transformers' advice to set ``use_cpu``."""
    import torch
    from transformers.hf_argparser import string_to_bool

    def setting(name: str) -> bool:
        value = command_line_value(argv, name)
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

    known = {f.name for cls in classes for f in dataclasses.fields(cls) if f.init} | {"env"}
    for key in recipe:
        if key not in known:
            close = difflib.get_close_matches(str(key), known, n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            raise RlempError(f"{where}: unknown field '{printable(str(key))}'{hint}")


# Fields that count samples or steps per batch: 0 or less cannot train (and some make TRL divide by zero).
POSITIVE_FIELDS = ("per_device_train_batch_size", "per_device_eval_batch_size", "gradient_accumulation_steps",
                   "num_generations", "generation_batch_size", "steps_per_generation", "num_iterations")


def _check_recipe_values(recipe: dict[str, Any], argv: list[str], classes: tuple, where: str) -> None:
    """Before the argument classes are built: no ``hub_token`` (a secret), the recipe's typed YAML values
    (argparse converts only strings) must fit their fields' simple types, and the batch-size fields must be
    positive."""
    if "hub_token" in recipe or command_line_value(argv, "hub_token") is not None:
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
        value = command_line_value(argv, key)
        value = recipe.get(key) if value is None else value
        if isinstance(value, bool) or not re.fullmatch(r"\s*-?\d+\s*", str(value)):
            continue  # absent, or not a whole number: the type checks report it
        if int(value) < 1:
            raise RlempError(f"{where}: field '{key}': must be a positive integer, got {int(value)}")


_SIMPLE_TYPES = {int: (int,), float: (int, float), bool: (bool,), str: (str,), type(None): (type(None),)}


def _accepted_types(annotation) -> tuple[type, ...]:
    """The Python types a YAML value may have for a simple annotation (int, float, bool, str, a list or a dict,
    optional or unions of them); empty for anything else (enums...), which is left to the libraries."""
    def one(arg) -> tuple[type, ...] | None:
        container = typing.get_origin(arg) or arg
        return _SIMPLE_TYPES.get(arg) or ((container,) if container in (list, dict) else None)

    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        parts = [one(arg) for arg in typing.get_args(annotation)]
        return () if any(part is None for part in parts) else tuple(t for part in parts for t in part)
    return one(annotation) or ()


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


def config_path_of(argv: list[str]) -> str | None:
    """The recipe file a command line names with ``--config`` (None when it names none)."""
    for i, token in enumerate(argv):
        if token == "--config" and i + 1 < len(argv):
            return argv[i + 1]
        if token.startswith("--config="):
            return token.split("=", 1)[1]
    return None


def on_command_line(argv: list[str], name: str) -> bool:
    """Whether a command line sets field ``name`` (``--name``, ``--name=V`` or the dashed alias), even without a
    value."""
    flags = {f"--{name}", f"--{name.replace('_', '-')}"}
    return any(token.split("=", 1)[0] in flags for token in argv if token.startswith("--"))


def command_line_value(argv: list[str], name: str) -> str | None:
    """The raw value a command line gives field ``name`` (``--name V`` or ``--name=V``), before parsing."""
    for i, token in enumerate(argv):
        if token == f"--{name}" and i + 1 < len(argv):
            return argv[i + 1]
        if token.startswith(f"--{name}="):
            return token.split("=", 1)[1]
    return None
