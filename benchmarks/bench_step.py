"""Benchmark: one multi-turn GRPO training step broken down into generation, simulator, rewards,
forward/backward, optimizer and other, and the share of the step spent outside model compute.

    python benchmarks/bench_step.py [--smoke] [--size tiny|small] [--steps 6] [--model smollm2-135m-instruct]

Trains ``recipes/tiny/grpo.yaml`` (LoRA, rule simulator, emotion/safety/length rewards, 8 conversations per
step) on the tiny model for ``--steps`` steps with a real :class:`~rlemp.trainers.grpo.EmotionGRPOTrainer`
(built as ``rlemp train`` builds it; no checkpoints, ``report_to: none``), timing these calls with wrappers:

* generation: ``ModelPolicy.reply`` (the batched ``generate`` of a turn, with its token bookkeeping);
* simulator: the simulator's ``step_many``;
* rewards: TRL's ``_calculate_rewards`` (every reward function of the recipe);
* forward: ``compute_loss``, and ``_get_per_token_logps_and_entropies`` where TRL calls it outside the loss;
* backward: ``accelerator.backward``;
* optimizer: gradient clipping and ``optimizer.step`` (between the ``on_pre_optimizer_step`` and
  ``on_optimizer_step`` callbacks);
* other: the rest of the step, measured from one ``on_step_end`` to the next (data loading, the rollout's and
  TRL's bookkeeping: token streams to tensors, advantages, metrics, transcript log, logging).

Timers are exclusive: a timed call inside another is charged to its own category only. The first step is a
warm-up and is left out; shares are the category's time over the measured steps' total. The result is the
share outside model compute, ``(simulator + rewards + other) / step``, "the simulator, rewards and
bookkeeping" (target: at most 10% of a step), plus each category's share.

``--model NAME`` times a real model instead (a folder, or a registry short name pulled with ``rlemp models pull``)
with the batch and turn settings of its recipe ``recipes/SmolLM2-135M-Instruct/grpo.yaml`` (16 conversations of
2 turns x 48 tokens per step, micro-batches of 4), and also reports the process's peak resident memory.
"""

from __future__ import annotations

import functools
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from common import device_name, emit, finish, grpo_trainer, parser, setup_torch, synchronize

CATEGORIES = ("generation", "simulator", "rewards", "forward", "backward", "optimizer", "other")
OUTSIDE_MODEL = ("simulator", "rewards", "other")


class StepProfiler:
    """Exclusive wall-clock time per category, per training step."""

    def __init__(self, device: str):
        self.device = device
        self.current: dict[str, float] = defaultdict(float)
        self.stack: list[list] = []  # [category, time the innermost running timer last (re)started]
        self.steps: list[dict[str, float]] = []
        self.last_step_end: float | None = None

    def _now(self) -> float:
        synchronize(self.device)
        return time.perf_counter()

    def start(self, category: str) -> None:
        now = self._now()
        if self.stack:
            parent = self.stack[-1]
            self.current[parent[0]] += now - parent[1]
        self.stack.append([category, now])

    def stop(self) -> None:
        now = self._now()
        category, started = self.stack.pop()
        self.current[category] += now - started
        if self.stack:
            self.stack[-1][1] = now

    def wrap(self, category: str, fn):
        @functools.wraps(fn)
        def timed(*args, **kwargs):
            self.start(category)
            try:
                return fn(*args, **kwargs)
            finally:
                self.stop()

        return timed

    def step_end(self) -> None:
        """Close a training step: its total is the time since the previous step ended."""
        now = self._now()
        if self.last_step_end is not None:
            times = {c: self.current.get(c, 0.0) for c in CATEGORIES if c != "other"}
            times["step"] = now - self.last_step_end
            times["other"] = times["step"] - sum(times[c] for c in CATEGORIES if c != "other")
            self.steps.append(times)
        self.current.clear()
        self.last_step_end = now


def instrument(trainer, profiler: StepProfiler) -> None:
    """Wrap the trainer's generation, simulator, reward, model and optimizer calls with the profiler's timers."""
    from transformers import TrainerCallback

    from rlemp.rollout import ModelPolicy

    ModelPolicy.reply = profiler.wrap("generation", ModelPolicy.reply)
    trainer.simulator.step_many = profiler.wrap("simulator", trainer.simulator.step_many)
    trainer._calculate_rewards = profiler.wrap("rewards", trainer._calculate_rewards)
    trainer.compute_loss = profiler.wrap("forward", trainer.compute_loss)
    trainer._get_per_token_logps_and_entropies = profiler.wrap("forward", trainer._get_per_token_logps_and_entropies)
    trainer.accelerator.backward = profiler.wrap("backward", trainer.accelerator.backward)
    trainer._clip_grad_norm = profiler.wrap("optimizer", trainer._clip_grad_norm)

    class Timing(TrainerCallback):
        def on_train_begin(self, args, state, control, **kwargs):
            profiler.step_end()  # the first step's clock starts here

        def on_pre_optimizer_step(self, args, state, control, **kwargs):
            profiler.start("optimizer")

        def on_optimizer_step(self, args, state, control, **kwargs):
            profiler.stop()

        def on_step_end(self, args, state, control, **kwargs):
            profiler.step_end()

    trainer.add_callback(Timing())


def main() -> None:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--steps", type=int, default=None, help="training steps (the first is a warm-up)")
    p.add_argument("--model", default=None, help="a real model (folder or registry short name) instead of the tiny one")
    args = finish(p.parse_args(), full={"steps": 6}, smoke={"steps": 3})
    setup_torch(args)

    import resource

    import torch

    from rlemp.configs import read_recipe
    from rlemp.models import resolve
    from rlemp.paths import REPO_ROOT
    from rlemp.tiny import build_tiny_model

    with tempfile.TemporaryDirectory() as tmp:
        overrides = {}
        if args.model:
            model_dir = resolve(args.model)
            recipe = read_recipe(REPO_ROOT / "recipes" / "SmolLM2-135M-Instruct" / "grpo.yaml")
            overrides = {k: recipe[k] for k in ("per_device_train_batch_size", "gradient_accumulation_steps",
                                                "max_turns", "max_turn_tokens", "learning_rate", "dtype")}
            args.size = Path(model_dir).name
        else:
            model_dir = build_tiny_model(f"{tmp}/model", size=args.size, seed=0)
        trainer = grpo_trainer(model_dir, f"{tmp}/run", args.device, max_steps=args.steps, logging_steps=1,
                               **overrides)
        profiler = StepProfiler(args.device)
        instrument(trainer, profiler)
        trainer.train()
        rollout_s = [row["time/rollout_s"] for row in trainer.state.log_history if "time/rollout_s" in row][1:]

    measured = profiler.steps[1:]  # the first step warms up
    total = {key: sum(step[key] for step in measured) for key in (*CATEGORIES, "step")}
    shares = {c: total[c] / total["step"] for c in CATEGORIES}
    outside = sum(shares[c] for c in OUTSIDE_MODEL)
    details = {
        "unit": "share of a step",
        "size": args.size,
        "steps_measured": len(measured),
        "step_s": round(total["step"] / len(measured), 4),
        "seconds_per_step": {c: round(total[c] / len(measured), 4) for c in CATEGORIES},
        "rollout_s_metric": round(sum(rollout_s) / len(rollout_s), 4) if rollout_s else None,
        "device": device_name(args.device),
        "threads": torch.get_num_threads(),
        "peak_rss_gb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20, 2),
    }
    print(
        f"GRPO step ({args.size} model, {len(measured)} steps measured): {details['step_s']:.3f}s per step; "
        + ", ".join(f"{c} {shares[c]:.1%}" for c in CATEGORIES)
        + f"; simulator + rewards + other {outside:.1%}",
        flush=True,
    )
    emit("step", "simulator + rewards + bookkeeping (outside model compute)", "whole GRPO step", outside,
         target="<= 0.10", **details)
    for c in CATEGORIES:
        emit("step", f"{c}", "whole GRPO step", shares[c], seconds=round(total[c] / len(measured), 4),
             size=args.size, device=details["device"])


if __name__ == "__main__":
    main()
