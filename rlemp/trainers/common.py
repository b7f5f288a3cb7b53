"""Set-up shared by the GRPO, PPO and DPO trainers: model and LoRA/QLoRA, personas, simulator, rewards,
rollout logging and saving the adapter with what trained it."""

from __future__ import annotations

import json
import logging
import platform
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Sequence

from rlemp.configs import RlempArguments
from rlemp.errors import RlempError
from rlemp.personas import Persona, load_personas
from rlemp.rollout import GenerationSettings
from rlemp.transcript import Transcript, TranscriptWriter

logger = logging.getLogger(__name__)


def load_policy(model_args, training_args=None):
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


def load_training_personas(args: RlempArguments) -> list[Persona]:
    return load_personas(args.personas)


def build_training_simulator(args: RlempArguments):
    from rlemp.simulators import build_simulator

    return build_simulator(args.simulator_backend, args.simulator_config or {})


def generation_settings(args: RlempArguments, training_args) -> GenerationSettings:
    return GenerationSettings(
        max_new_tokens=args.max_turn_tokens,
        temperature=getattr(training_args, "temperature", 1.0),
        top_p=getattr(training_args, "top_p", 1.0),
        top_k=getattr(training_args, "top_k", 0) or 0,
    )


def persona_prompts(personas: Sequence[Persona], seed: int) -> list[dict[str, Any]]:
    """One dataset row per persona. TRL hands a rollout function only the ``prompt`` column, so the persona id
    and the conversation seed travel inside the (single) user message; the rollout rebuilds the chat itself."""
    return [
        {"prompt": [{"role": "user", "content": p.first_message, "persona_id": p.id, "seed": seed * 100_003 + i}]}
        for i, p in enumerate(personas)
    ]


def rollout_metrics(transcripts: Sequence[Transcript]) -> dict[str, float]:
    """Mean final emotion, success/failure rates and turns per conversation."""
    n = max(1, len(transcripts))
    return {
        "emotion/final_mean": sum(t.final_emotion for t in transcripts) / n,
        "emotion/success_rate": sum(t.outcome == "success" for t in transcripts) / n,
        "emotion/failure_rate": sum(t.outcome == "failure" for t in transcripts) / n,
        "emotion/turns_mean": sum(len(t.turns) for t in transcripts) / n,
    }


class FailureBudget:
    """Counts what the simulator failed on; the run stops with a clear error once either share passes
    ``max_rate`` (judged from ``min_count`` failures on): conversations dropped (the backend gave no answer after
    its retries) among all played, or turns it could not judge (fallbacks: invalid output after its retries)
    among all turns of the finished conversations. When every one failed (a wrong key, a dead endpoint) it
    stops at once, whatever the count: there is nothing to train on."""

    def __init__(self, max_rate: float, min_count: int = 8):
        self.max_rate, self.min_count = max_rate, min_count
        self.total = self.failed = self.turns = self.fallback_turns = 0

    def add(self, finished: Sequence[Transcript], failed: int) -> None:
        """Count one rollout: its finished conversations (from every process) and how many were dropped."""
        self.total += len(finished) + failed
        self.failed += failed
        self.turns += sum(len(t.turns) for t in finished)
        self.fallback_turns += sum(turn.fallback for t in finished for turn in t.turns)
        for count, among, what in ((self.failed, self.total, "failed on {} of {} conversations"),
                                   (self.fallback_turns, self.turns, "gave no valid output for {} of {} turns")):
            if among and (count == among or (count >= self.min_count and count / among > self.max_rate)):
                raise RlempError(f"the simulator {what.format(count, among)} "
                                 f"({count / among:.0%} > max_failure_rate {self.max_rate:.0%}); stopping")


def open_transcript_log(output_dir: str | Path, is_main: bool) -> TranscriptWriter | None:
    """``OUTPUT_DIR/transcripts.jsonl``, appended and flushed per record, written by the main process only."""
    return TranscriptWriter(Path(output_dir) / "transcripts.jsonl", mode="a") if is_main else None


def save_adapter(model, tokenizer, out_dir: str | Path, recipe: dict[str, Any], info: dict[str, Any]) -> Path:
    """Save the LoRA adapter and tokenizer, plus ``rlemp_recipe.yaml`` and ``rlemp_training.json``."""
    import yaml

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    (out / "rlemp_recipe.yaml").write_text(yaml.safe_dump(recipe, sort_keys=False), encoding="utf-8")
    (out / "rlemp_training.json").write_text(json.dumps(info, indent=2), encoding="utf-8")
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
    ``OUTPUT_DIR/rank{N}_trainable_{begin,end}.safetensors``: replicas that drifted apart (or weights that never
    moved) show up by comparing the files. Trainers add it when the environment variable ``RLEMP_SAVE_RANK_WEIGHTS``
    is ``1``; the distributed tests use it."""
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


def training_info(args: RlempArguments, training_args, model_args, steps: int) -> dict[str, Any]:
    import torch

    hardware = f"{torch.cuda.get_device_name(0)} x{torch.cuda.device_count()}" if torch.cuda.is_available() else (
        f"cpu ({platform.processor() or platform.machine()})"
    )
    return {
        "algorithm": args.algorithm,
        "base_model": model_args.model_name_or_path,
        "rewards": {r["name"]: r.get("weight", 1.0) for r in args.rewards},
        "curriculum": (args.curriculum or {}).get("schedule", "none"),
        "steps": steps,
        "hardware": hardware,
        "world_size": getattr(training_args, "world_size", 1),
        "simulator": args.simulator_backend,
        "max_turns": args.max_turns,
        "lora": {"r": model_args.lora_r, "alpha": model_args.lora_alpha, "load_in_4bit": model_args.load_in_4bit},
    }


def load_scorer(args: RlempArguments, model_args):
    """The scorer LM for the ``flr`` reward, when a recipe lists it: ``flr_model`` or else the base model
    (a frozen copy, i.e. the policy's reference)."""
    if not any(r["name"] == "flr" for r in args.rewards):
        return None, None
    from rlemp.rewards.flr import load_scorer as load

    return load(args.flr_model or model_args.model_name_or_path)
