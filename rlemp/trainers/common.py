"""What a training run builds once (:class:`Parts`), and what every algorithm shares around its trainer: the
policy's sampling settings, evaluation on the held-out personas, and the saved adapter with what trained it."""

from __future__ import annotations

import json
import logging
import platform
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Optional

from pydantic import BaseModel

from rlemp.configs import RlempArguments
from rlemp.errors import RlempError
from rlemp.personas import Persona, load_personas
from rlemp.rollout import GenerationSettings
from rlemp.simulators.base import UserSimulator

if TYPE_CHECKING:
    from peft import PeftConfig
    from transformers import PreTrainedModel, PreTrainedTokenizerBase

    from rlemp.trainers.curriculum_hook import TrainerCurriculum

logger = logging.getLogger(__name__)


@dataclass
class Parts:
    """Everything a trainer is made of, built once per run by :func:`build_parts`."""

    personas: list[Persona]  # training personas
    eval_personas: list[Persona]  # held-out personas; [] when the recipe evaluates nothing
    simulator: UserSimulator
    model: PreTrainedModel  # the base model (quantized for QLoRA), not yet wrapped by PEFT
    tokenizer: PreTrainedTokenizerBase
    peft_config: PeftConfig | None  # None without use_peft
    reward_funcs: list[Callable]  # [] for dpo, whose miner judges the candidates itself
    reward_weights: list[float]
    curriculum: TrainerCurriculum | None


def build_parts(args: RlempArguments, training_args, model_args) -> Parts:
    """Load the personas, simulator, policy model, rewards and curriculum of a parsed recipe."""
    from accelerate import PartialState
    from transformers.integrations import is_deepspeed_zero3_enabled

    from rlemp.simulators import build_simulator
    from rlemp.trainers.curriculum_hook import curriculum_factory

    sharded_generation = getattr(training_args, "ds3_gather_for_generation", True) is False
    if sharded_generation and not getattr(training_args, "use_vllm", False) and is_deepspeed_zero3_enabled():
        # Sharded generation runs every forward pass on all processes in step, but each process plays its own
        # conversations, which end after different numbers of turns.
        raise RlempError("ds3_gather_for_generation: false is not supported by the multi-turn rollouts under "
                         "ZeRO-3; keep it true (or generate with vLLM: use_vllm: true)")
    factory = curriculum_factory(args, training_args)
    simulator = build_simulator(args.simulator_backend, args.simulator_config or {})
    personas = load_personas(args.personas, simulator)
    eval_personas = load_personas(args.eval_personas, simulator) if args.eval_at_end and args.eval_personas else []
    model, tokenizer, peft_config = load_policy(model_args)
    reward_funcs, reward_weights = build_reward_functions(args, model_args) if args.rewards else ([], [])
    curriculum = None
    if factory is not None:
        # The main process alone measures the persona difficulties and caches them; the others then read them.
        with PartialState().main_process_first():
            curriculum = factory(personas, simulator)
    return Parts(personas, eval_personas, simulator, model, tokenizer, peft_config, reward_funcs, reward_weights,
                 curriculum)


def load_policy(model_args):
    """The base model (4/8-bit with bitsandbytes when asked: QLoRA), its tokenizer and the LoRA config."""
    import torch
    from trl import get_peft_config, get_quantization_config

    from rlemp.loading import load_model

    quantization_config = get_quantization_config(model_args)
    dtype = model_args.dtype if model_args.dtype in ("auto", None) else getattr(torch, model_args.dtype)
    kwargs: dict[str, Any] = {"revision": model_args.model_revision, "dtype": dtype}
    if model_args.attn_implementation:
        kwargs["attn_implementation"] = model_args.attn_implementation
    if quantization_config is not None:
        kwargs["quantization_config"] = quantization_config
        kwargs["device_map"] = _local_device_map()
    model, tokenizer = load_model(model_args.model_name_or_path, **kwargs)
    if quantization_config is not None:
        keep_4bit_trainable_on_cpu(model)
    return model, tokenizer, get_peft_config(model_args)


def _local_device_map() -> dict[str, Any]:
    """A quantized model lives whole on this process's device (its local GPU under accelerate, else CPU)."""
    import torch
    from accelerate import PartialState

    return {"": PartialState().local_process_index} if torch.cuda.is_available() else {"": "cpu"}


def keep_4bit_trainable_on_cpu(model) -> int:
    """bitsandbytes repacks a CPU 4-bit weight on its first eval-mode forward, after which training breaks;
    switching that repacking off on every ``Linear4bit`` keeps QLoRA trainable on CPU. Returns the count."""
    try:
        import bitsandbytes as bnb
    except ImportError:
        return 0
    count = 0
    for module in model.modules():
        if isinstance(module, bnb.nn.Linear4bit):
            module.support_avx512bf16_for_cpu = False
            count += 1
    return count


def build_reward_functions(args: RlempArguments, model_args) -> tuple[list[Callable], list[float]]:
    """The recipe's reward functions and weights; the ``flr`` reward scores with ``flr_model``, or else a frozen
    copy of the base model (the policy's reference)."""
    from rlemp.rewards import build_rewards

    scorer, scorer_tokenizer = None, None
    if any(r["name"] == "flr" for r in args.rewards):
        from rlemp.rewards.flr import load_scorer

        scorer, scorer_tokenizer = load_scorer(args.flr_model or model_args.model_name_or_path)
    funcs, weights = build_rewards(args.rewards, scorer_model=scorer, tokenizer=scorer_tokenizer)
    return list(funcs), list(weights)


def generation_settings(args: RlempArguments, training_args) -> GenerationSettings:
    return GenerationSettings(
        max_new_tokens=args.max_turn_tokens,
        temperature=getattr(training_args, "temperature", 1.0),
        top_p=getattr(training_args, "top_p", 1.0),
        top_k=getattr(training_args, "top_k", 0) or 0,
    )


def evaluate_policy(model, tokenizer, parts: Parts, args: RlempArguments, training_args, out: Path,
                    meta: dict[str, Any]) -> dict[str, Any]:
    """Play the held-out personas with ``model`` as the recipe samples, into ``out``; returns the metrics."""
    from rlemp.evaluation import evaluate

    return evaluate(
        model,
        tokenizer,
        parts.eval_personas,
        parts.simulator,
        out,
        seed=training_args.seed,
        max_turns=args.eval_max_turns or args.max_turns,
        settings=generation_settings(args, training_args),
        thinking=args.thinking,
        meta={**meta, "personas": args.eval_personas},
    )


# --- the saved adapter --------------------------------------------------------------------------------------

RECIPE_FILE = "rlemp_recipe.yaml"
TRAINING_FILE = "rlemp_training.json"


class LoraInfo(BaseModel):
    r: int
    alpha: int
    load_in_4bit: bool


class TrainingInfo(BaseModel):
    """``rlemp_training.json``: what trained an adapter (the model card's training summary reads it)."""

    algorithm: str
    base_model: str
    rewards: Optional[dict[str, float]] = None  # reward name -> weight (grpo, ppo)
    judge: Optional[dict[str, float]] = None  # judge name -> weight of the preference miner (dpo)
    curriculum: str
    steps: int  # optimizer steps, over every round
    hardware: str
    world_size: int
    simulator: str
    max_turns: int
    lora: LoraInfo


def training_info(args: RlempArguments, training_args, model_args, steps: int) -> TrainingInfo:
    import torch

    hardware = f"{torch.cuda.get_device_name(0)} x{torch.cuda.device_count()}" if torch.cuda.is_available() else (
        f"cpu ({platform.processor() or platform.machine()})"
    )
    mining = getattr(training_args, "mining_config", None)
    return TrainingInfo(
        algorithm=args.algorithm,
        base_model=model_args.model_name_or_path,
        rewards={r["name"]: r.get("weight", 1.0) for r in args.rewards} if args.rewards else None,
        judge=mining().weights if mining is not None else None,
        curriculum=(args.curriculum or {}).get("schedule", "none"),
        steps=steps,
        hardware=hardware,
        world_size=getattr(training_args, "world_size", 1),
        simulator=args.simulator_backend,
        max_turns=args.max_turns,
        lora=LoraInfo(r=model_args.lora_r, alpha=model_args.lora_alpha, load_in_4bit=model_args.load_in_4bit),
    )


def save_adapter(model, tokenizer, out_dir: str | Path, recipe: dict[str, Any], info: TrainingInfo) -> Path:
    """Save the LoRA adapter and tokenizer, plus the recipe (``rlemp_recipe.yaml``) and ``rlemp_training.json``."""
    import yaml

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    (out / RECIPE_FILE).write_text(yaml.safe_dump(recipe, sort_keys=False), encoding="utf-8")
    (out / TRAINING_FILE).write_text(json.dumps(info.model_dump(exclude_none=True), indent=2), encoding="utf-8")
    return out


@contextmanager
def gathered_trainable_parameters(model):
    """The trainable (LoRA) parameters whole on every process for the duration of the block. ZeRO-3 shards
    them (``p.data`` is then an empty placeholder); elsewhere they are already whole and nothing happens.
    Under ZeRO-3 this is a collective: every process must enter and leave the block together."""
    params = [p for p in model.parameters() if p.requires_grad]
    if not any(hasattr(p, "ds_id") for p in params):
        yield
        return
    import deepspeed

    with deepspeed.zero.GatheredParameters(params, modifier_rank=None):
        yield


def trainable_state_dict(model) -> dict[str, Any]:
    """CPU copies of the trainable parameters by name, whole under ZeRO-3 (a collective there)."""
    with gathered_trainable_parameters(model):
        return {name: p.detach().to("cpu", copy=True).contiguous()
                for name, p in model.named_parameters() if p.requires_grad}


RANK_WEIGHTS_ENV = "RLEMP_SAVE_RANK_WEIGHTS"


def rank_weights_callback(output_dir: str | Path):
    """A callback with which every process saves its trainable parameters when training begins and ends, to
    ``OUTPUT_DIR/rank{N}_trainable_{begin,end}.safetensors``, so that replicas that drifted apart (or weights
    that never moved) show up by comparing the files. ``rlemp.train.main`` adds it when the environment
    variable ``RLEMP_SAVE_RANK_WEIGHTS`` is ``1``; the distributed tests use it."""
    from accelerate import PartialState
    from safetensors.torch import save_file
    from transformers import TrainerCallback

    def save(model, state, moment: str) -> None:
        weights = trainable_state_dict(model)
        out = Path(output_dir) / f"rank{PartialState().process_index}_trainable_{moment}.safetensors"
        out.parent.mkdir(parents=True, exist_ok=True)
        save_file(weights, str(out), metadata={"global_step": str(state.global_step)})

    class RankWeights(TrainerCallback):
        def on_train_begin(self, args, state, control, model=None, **kwargs):
            save(model, state, "begin")

        def on_train_end(self, args, state, control, model=None, **kwargs):
            save(model, state, "end")

    return RankWeights()
