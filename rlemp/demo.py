"""The CPU demo: the whole pipeline a user would run on a GPU, at a size that fits 2 cores and 15 minutes.

1. build the tiny model (``rlemp tiny-model``), 2. SFT warm start on the shipped supporter-reply corpus,
3. evaluate the SFT model on the held-out personas, 4. train a LoRA adapter from a tiny recipe against the
``rule`` simulator on the training personas (``recipes/tiny/grpo.yaml`` by default; ``ppo.yaml`` and ``dpo.yaml``
work too), 5. evaluate the adapter, 6. compare. Writes ``DIR/sft``, ``DIR/adapter``, ``DIR/eval_before``,
``DIR/eval_after``, ``DIR/comparison.md``, ``DIR/summary.json`` and, where the trainer draws one,
``DIR/reward_curves.png``. With DPO, ``summary.json`` also lists every round's evaluation (``rounds.json``; the
tiny DPO recipe evaluates rounds with the demo's evaluation settings, so round 1 compares with the SFT base).
"""

from __future__ import annotations

import json
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console

from rlemp.paths import REPO_ROOT

console = Console()


@dataclass
class DemoSize:
    """How big each stage is; ``full`` is the README demo, ``smoke`` is for the test suite."""

    model_size: str
    sft_epochs: float
    sft_learning_rate: float
    train_steps: int | None  # None: the recipe's max_steps
    eval_turns: int
    eval_personas: int | None  # None: all


SIZES = {
    "full": DemoSize("small", sft_epochs=20.0, sft_learning_rate=3e-3, train_steps=None, eval_turns=4,
                     eval_personas=None),
    "smoke": DemoSize("tiny", sft_epochs=0.3, sft_learning_rate=3e-3, train_steps=2, eval_turns=2, eval_personas=4),
}


def run_demo(out: str | Path, size: str = "full", seed: int = 0, recipe: str | Path | None = None) -> dict:
    """Run the pipeline into ``out``; returns the before/after sentient scores and the stage timings."""
    from rlemp.evaluation import compare, evaluate_checkpoint
    from rlemp.sft import sft_warm_start
    from rlemp.tiny import build_tiny_model
    from rlemp.trainers import main as train_main

    cfg = SIZES[size]
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    recipe = Path(recipe or REPO_ROOT / "recipes" / "tiny" / "grpo.yaml")
    algorithm = recipe_algorithm(recipe)
    train_stage = f"4/5 {algorithm.upper()} with LoRA"
    eval_personas = REPO_ROOT / "simulators" / "personas" / "eval.jsonl"
    if cfg.eval_personas is not None:
        eval_personas = _head(eval_personas, cfg.eval_personas, out / "eval_personas.jsonl")
    timings: dict[str, float] = {}

    def stage(name: str):
        console.rule(f"[bold]{name}")
        timings[name] = time.perf_counter()

    def done(name: str):
        timings[name] = round(time.perf_counter() - timings[name], 1)

    stage("1/5 tiny model")
    base = build_tiny_model(out / "base", size=cfg.model_size, seed=seed)
    done("1/5 tiny model")

    stage("2/5 SFT warm start")
    sft = sft_warm_start(base, REPO_ROOT / "simulators" / "corpus" / "supporter_replies.jsonl", out / "sft",
                         epochs=cfg.sft_epochs, learning_rate=cfg.sft_learning_rate, max_length=192, seed=seed)
    done("2/5 SFT warm start")

    eval_kwargs = dict(personas_path=eval_personas, seed=seed, max_turns=cfg.eval_turns)
    stage("3/5 evaluate SFT base")
    before = evaluate_checkpoint(str(sft), out_dir=out / "eval_before", **eval_kwargs)
    done("3/5 evaluate SFT base")

    stage(train_stage)
    train_dir = out / algorithm
    argv = ["--config", str(recipe), "--model_name_or_path", str(sft), "--output_dir", str(train_dir),
            "--seed", str(seed), "--report_to", "tensorboard"]
    if cfg.train_steps is not None:
        argv += ["--max_steps", str(cfg.train_steps)]
    if algorithm != "dpo":  # stage 5 evaluates the adapter; DPO's per-round evaluations are the point of rounds
        argv += ["--eval_at_end", "false"]
    adapter = train_main(argv)
    if (out / "adapter").exists():
        shutil.rmtree(out / "adapter")
    shutil.copytree(adapter, out / "adapter")
    if (train_dir / "reward_curves.png").exists():
        shutil.copy(train_dir / "reward_curves.png", out / "reward_curves.png")
    done(train_stage)

    stage("5/5 evaluate adapter")
    after = evaluate_checkpoint(str(sft), adapter=str(out / "adapter"), out_dir=out / "eval_after", **eval_kwargs)
    compare(out / "eval_before", out / "eval_after", out_path=out)
    done("5/5 evaluate adapter")

    summary = {
        "algorithm": algorithm,
        "sentient_before": before["sentient_score"],
        "sentient_after": after["sentient_score"],
        "success_before": before["success_rate"],
        "success_after": after["success_rate"],
        "seed": seed,
        "size": size,
        "timings_s": timings,
    }
    rounds_file = train_dir / "rounds.json"
    if rounds_file.is_file():
        summary["rounds"] = json.loads(rounds_file.read_text(encoding="utf-8"))
    (out / "summary.json").write_text(json.dumps(summary, indent=2), encoding="utf-8")
    console.print(
        f"[bold]sentient score: {before['sentient_score']:.1f} (SFT base) -> {after['sentient_score']:.1f} "
        f"({algorithm.upper()} adapter)[/]; outputs in {out}"
    )
    return summary


def recipe_algorithm(recipe: Path) -> str:
    """The recipe's ``algorithm`` (grpo when unset, as in :class:`rlemp.configs.RlempArguments`)."""
    from rlemp.configs import parse_recipe

    args, _, _ = parse_recipe(["--config", str(recipe)])
    return args.algorithm


def _head(path: Path, n: int, out: Path) -> Path:
    lines = [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()][:n]
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return out
