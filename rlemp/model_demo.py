"""The demo on a real pretrained chat model (``rlemp demo --model NAME``): no tiny model, no SFT warm start.

1. pull the model when NAME is a registry short name (:mod:`rlemp.models`), 2. evaluate it as it is on the
held-out personas, 3. train a LoRA adapter with the model's GRPO recipe (``recipes/SmolLM2-135M-Instruct/grpo.yaml``
by default) against the ``rule`` simulator, 4. evaluate the adapter and compare, 5. check fluency: the KL of the
trained policy to the base on its own evaluation replies, and the base model's perplexity of the replies before
and after training (a reward-hacked policy drifts into text the base model finds unlikely).

Writes the tiny demo's outputs (``DIR/adapter``, ``DIR/eval_before``, ``DIR/eval_after``, ``DIR/comparison.md``
with sample replies before and after, ``DIR/summary.json``, ``DIR/reward_curves.png``) plus ``DIR/fluency.json``.
"""

from __future__ import annotations

import json
import math
import shutil
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from rich.console import Console

from rlemp.paths import EVAL_PERSONAS, SMOLLM2_GRPO_RECIPE

console = Console()


@dataclass
class ModelDemoSize:
    """How big each stage is. ``default`` is sized for 2 idle CPU cores and about 30 minutes with SmolLM2-135M."""

    eval_personas: int | None  # None: all 32 held-out personas
    eval_turns: int
    eval_tokens: int
    train_steps: int | None  # None: the recipe's max_steps


MODEL_SIZES = {
    "default": ModelDemoSize(eval_personas=16, eval_turns=3, eval_tokens=48, train_steps=20),
    "smoke": ModelDemoSize(eval_personas=2, eval_turns=1, eval_tokens=16, train_steps=1),
}


def run_model_demo(model: str, out: str | Path, size: str = "default", seed: int = 0,
                   recipe: str | Path | None = None) -> dict:
    """Run the real-model pipeline into ``out``; returns the summary (also written to ``DIR/summary.json``)."""
    from rlemp.demo import _head
    from rlemp.evaluation import compare, evaluate_checkpoint
    from rlemp.models import REGISTRY, pull, resolve
    from rlemp.train import main as train_main

    cfg = MODEL_SIZES[size]
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    recipe = Path(recipe or SMOLLM2_GRPO_RECIPE)
    timings: dict[str, float] = {}

    def stage(name: str):
        console.rule(f"[bold]{name}")
        timings[name] = time.perf_counter()

    def done(name: str):
        timings[name] = round(time.perf_counter() - timings[name], 1)

    stage("1/5 model")
    base = str(pull(model, log=console.print)) if model.lower() in REGISTRY else resolve(model)
    done("1/5 model")

    eval_personas = EVAL_PERSONAS
    if cfg.eval_personas is not None:
        eval_personas = _head(eval_personas, cfg.eval_personas, out / "eval_personas.jsonl")
    eval_kwargs = dict(personas_path=eval_personas, seed=seed, max_turns=cfg.eval_turns,
                       max_new_tokens=cfg.eval_tokens)
    stage("2/5 evaluate the model as it is")
    before = evaluate_checkpoint(base, out_dir=out / "eval_before", **eval_kwargs)
    done("2/5 evaluate the model as it is")

    stage("3/5 GRPO with LoRA")
    train_dir = out / "grpo"
    argv = ["--config", str(recipe), "--model_name_or_path", base, "--output_dir", str(train_dir),
            "--seed", str(seed), "--report_to", "tensorboard", "--eval_at_end", "false"]
    if cfg.train_steps is not None:
        argv += ["--max_steps", str(cfg.train_steps), "--save_steps", str(cfg.train_steps)]
    adapter = train_main(argv)
    if (out / "adapter").exists():
        shutil.rmtree(out / "adapter")
    shutil.copytree(adapter, out / "adapter")
    if (train_dir / "reward_curves.png").exists():
        shutil.copy(train_dir / "reward_curves.png", out / "reward_curves.png")
    done("3/5 GRPO with LoRA")

    stage("4/5 evaluate the adapter")
    after = evaluate_checkpoint(base, adapter=str(out / "adapter"), out_dir=out / "eval_after", **eval_kwargs)
    compare(out / "eval_before", out / "eval_after", out_path=out)
    done("4/5 evaluate the adapter")

    stage("5/5 fluency")
    fluency = reply_fluency(base, out / "adapter", out / "eval_before", out / "eval_after")
    (out / "fluency.json").write_text(json.dumps(fluency, indent=2) + "\n", encoding="utf-8")
    done("5/5 fluency")

    summary = {
        "model": model,
        "algorithm": "grpo",
        "recipe": str(recipe),
        "sentient_before": before["sentient_score"],
        "sentient_after": after["sentient_score"],
        "success_before": before["success_rate"],
        "success_after": after["success_rate"],
        **fluency,
        "seed": seed,
        "size": size,
        "settings": asdict(cfg),
        "timings_s": timings,
    }
    (out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    console.print(
        f"[bold]sentient score: {before['sentient_score']:.1f} (as is) -> {after['sentient_score']:.1f} "
        f"(GRPO adapter)[/]; KL to base {fluency['kl_to_base']:.3f} nats/token; base perplexity of the replies "
        f"{fluency['base_perplexity_before']:.1f} -> {fluency['base_perplexity_after']:.1f}; outputs in {out}",
        highlight=False)
    return summary


def reply_fluency(base: str, adapter: str | Path, eval_before: str | Path, eval_after: str | Path) -> dict:
    """Fluency of the evaluation replies, each scored in its own context (system prompt, conversation so far):

    * ``kl_to_base``: mean over the trained policy's reply tokens of ``log p_adapter - log p_base``, a Monte
      Carlo estimate of KL(policy || base) in nats per token (the replies were sampled from the policy, at the
      evaluation's temperature, so this is an estimate, not the exact KL);
    * ``base_perplexity_before`` / ``base_perplexity_after``: ``exp`` of the base model's mean negative
      log-likelihood per token of the replies before / after training."""
    import torch

    from rlemp.evaluation import read_eval_dir
    from rlemp.loading import apply_adapter, load_for_inference

    model, tokenizer = load_for_inference(base)
    _, before = read_eval_dir(eval_before)
    _, after = read_eval_dir(eval_after)
    base_before = _reply_logprobs(model, tokenizer, before)
    base_after = _reply_logprobs(model, tokenizer, after)
    policy = apply_adapter(model, adapter).eval()
    with torch.no_grad():
        policy_after = _reply_logprobs(policy, tokenizer, after)
    kl = [p - b for p, b in zip(policy_after, base_after)]
    return {
        "kl_to_base": sum(kl) / len(kl),
        "base_perplexity_before": math.exp(-sum(base_before) / len(base_before)),
        "base_perplexity_after": math.exp(-sum(base_after) / len(base_after)),
        "reply_tokens_scored": len(kl),
    }


def _reply_logprobs(model, tokenizer, transcripts) -> list[float]:
    """Log-probability of every token of every agent reply (its text and end-of-turn token) in context."""
    import torch

    from rlemp.chat import system_prompt

    logprobs: list[float] = []
    for transcript in transcripts:
        messages = [{"role": "system", "content": system_prompt(False)},
                    {"role": "user", "content": transcript.opening}]
        for turn in transcript.turns:
            context = tokenizer.apply_chat_template(messages, add_generation_prompt=True, tokenize=False)
            context_ids = tokenizer(context, add_special_tokens=False)["input_ids"]
            reply_ids = tokenizer(turn.agent + tokenizer.eos_token, add_special_tokens=False)["input_ids"]
            ids = torch.tensor([context_ids + reply_ids], device=model.device)
            with torch.no_grad():
                logits = model(input_ids=ids).logits[0, len(context_ids) - 1:-1].float()
            token_logprobs = torch.log_softmax(logits, dim=-1).gather(1, ids[0, len(context_ids):, None])
            logprobs += token_logprobs.squeeze(1).tolist()
            messages += [{"role": "assistant", "content": turn.agent}, {"role": "user", "content": turn.user}]
    return logprobs
