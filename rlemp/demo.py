"""The CPU demo: the whole pipeline a user would run on a GPU, at a size that fits 2 CPU cores.

1. build the tiny model (``rlemp tiny-model``), 2. SFT warm start on the shipped supporter-reply corpus,
3. evaluate the SFT model on the held-out personas, 4. train a LoRA adapter from a tiny recipe against the
``rule`` simulator on the training personas (``recipes/tiny/grpo.yaml`` by default; ``ppo.yaml`` and ``dpo.yaml``
work too), 5. evaluate the adapter and compare. Writes ``DIR/sft``, ``DIR/adapter``, ``DIR/eval_before``,
``DIR/eval_after``, ``DIR/comparison.md`` (verdict, sample replies, tables), ``DIR/summary.json`` (scores,
stage timings, the package versions) and, where the trainer draws one, ``DIR/reward_curves.png``. With DPO,
``summary.json`` also lists every round's evaluation (``rounds.json``; the tiny DPO recipe evaluates rounds with
the demo's evaluation settings, so round 1 compares with the SFT base).

``DIR/demo_state.json`` records the finished stages. Ctrl-C (or SIGTERM in training, which first saves a
checkpoint) stops the demo with a message naming what was kept; ``--resume`` then skips the finished stages and
continues training from its newest complete checkpoint.
"""

from __future__ import annotations

import json
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console

from rlemp.errors import RlempError
from rlemp.paths import EVAL_PERSONAS, SUPPORTER_CORPUS, TINY_GRPO_RECIPE

console = Console()


@dataclass
class DemoSize:
    """How big each stage is; ``default`` gives the README's figures, ``smoke`` is for a quick check and the tests."""

    model_size: str
    sft_epochs: float
    sft_learning_rate: float
    train_steps: int | None  # None: the recipe's max_steps
    eval_turns: int
    eval_personas: int | None  # None: all


SIZES = {
    "default": DemoSize("small", sft_epochs=20.0, sft_learning_rate=3e-3, train_steps=None, eval_turns=4,
                        eval_personas=None),
    "smoke": DemoSize("tiny", sft_epochs=0.3, sft_learning_rate=3e-3, train_steps=2, eval_turns=2, eval_personas=4),
}
STATE_FILE = "demo_state.json"


class DemoInterrupted(RlempError):
    """The demo stopped in ``stage`` on Ctrl-C or SIGTERM; the message names what was kept and how to go on."""

    exit_code = 130

    def __init__(self, stage: str, out: Path, done: list[str], command: str, checkpoint: Path | None = None):
        self.stage, self.done, self.checkpoint = stage, done, checkpoint
        kept = ", ".join(done) if done else "nothing finished"
        saved = f"; training saved {checkpoint}" if checkpoint else ""
        super().__init__(
            f"interrupted in stage {stage}. Kept in {out}: {kept}{saved}. Continue with `{command} --resume` "
            f"(skips the finished stages{', resumes training from its checkpoint' if checkpoint else ''}), "
            f"or start again with `{command}`")


def demo_command(out: Path, size: str, seed: int, recipe: Path) -> str:
    """The command line that reruns this demo."""
    default_recipe = TINY_GRPO_RECIPE.resolve()
    recipe_arg = "" if recipe.resolve() == default_recipe else f" --recipe {recipe}"
    return f"rlemp demo --out {out} --size {size} --seed {seed}{recipe_arg}"


def run_demo(out: str | Path, size: str = "default", seed: int = 0, recipe: str | Path | None = None,
             resume: bool = False) -> dict:
    """Run the pipeline into ``out``; returns the before/after sentient scores, the stage timings and the
    package versions. ``resume`` skips the stages ``DIR/demo_state.json`` lists as finished (same settings
    only). Raises :class:`DemoInterrupted` on Ctrl-C."""
    from rlemp.evaluation import compare, evaluate_checkpoint
    from rlemp.sft import sft_warm_start
    from rlemp.tiny import build_tiny_model
    from rlemp.train import main as train_main
    from rlemp.trainers.reliability import TrainingInterrupted, checkpoints, is_complete
    from rlemp.versions import package_versions, versions_line

    cfg = SIZES[size]
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    recipe = Path(recipe or TINY_GRPO_RECIPE)
    algorithm = recipe_algorithm(recipe)
    command = demo_command(out, size, seed, recipe)
    settings = {"size": size, "seed": seed, "recipe": str(recipe)}
    state = read_state(out) if resume else {}
    if resume and state and state.get("settings") != settings:
        raise RlempError(f"{out / STATE_FILE}: that demo ran with {state.get('settings')}, not {settings}; "
                         f"rerun it with those settings, or start again without --resume")
    versions = package_versions()
    console.print(f"[bold]rlemp demo[/] --size {size} --seed {seed}; versions: {versions_line(versions)}",
                  highlight=False, soft_wrap=True)
    train_stage = f"4/5 {algorithm.upper()} with LoRA"
    train_dir = out / algorithm
    sft_dir = out / "sft"
    eval_personas = EVAL_PERSONAS
    if cfg.eval_personas is not None:
        eval_personas = _head(eval_personas, cfg.eval_personas, out / "eval_personas.jsonl")
    eval_kwargs = dict(personas_path=eval_personas, seed=seed, max_turns=cfg.eval_turns, progress=True)
    done: list[str] = list(state.get("done", []))
    timings: dict[str, float] = dict(state.get("timings_s", {}))

    def tiny_model():
        build_tiny_model(out / "base", size=cfg.model_size, seed=seed)

    def sft():
        sft_warm_start(out / "base", SUPPORTER_CORPUS, sft_dir,
                       epochs=cfg.sft_epochs, learning_rate=cfg.sft_learning_rate, max_length=192, seed=seed)

    def eval_before():
        evaluate_checkpoint(str(sft_dir), out_dir=out / "eval_before", **eval_kwargs)

    def train():
        argv = ["--config", str(recipe), "--model_name_or_path", str(sft_dir), "--output_dir", str(train_dir),
                "--seed", str(seed), "--report_to", "tensorboard", "--overwrite_output_dir", "true"]
        if cfg.train_steps is not None:
            argv += ["--max_steps", str(cfg.train_steps)]
        if algorithm != "dpo":  # stage 5 evaluates the adapter; DPO's per-round evaluations are the point of rounds
            argv += ["--eval_at_end", "false"]
        resumable = resume and any(is_complete(c) for c in checkpoints(train_dir))
        adapter = train_main(argv + (["--resume", "latest"] if resumable else []))
        if (out / "adapter").exists():
            shutil.rmtree(out / "adapter")
        shutil.copytree(adapter, out / "adapter")
        if (train_dir / "reward_curves.png").exists():
            shutil.copy(train_dir / "reward_curves.png", out / "reward_curves.png")

    def eval_after():
        evaluate_checkpoint(str(sft_dir), adapter=str(out / "adapter"), out_dir=out / "eval_after", **eval_kwargs)
        compare(out / "eval_before", out / "eval_after", out_path=out)

    stages = (("1/5 tiny model", tiny_model), ("2/5 SFT warm start", sft), ("3/5 evaluate SFT base", eval_before),
              (train_stage, train), ("5/5 evaluate adapter and compare", eval_after))
    for name, run in stages:
        if name in done:
            console.print(f"[dim]{name}: finished before, kept[/]", highlight=False)
            continue
        console.rule(f"[bold]{name}")
        started = time.perf_counter()
        try:
            run()
        except KeyboardInterrupt:
            raise DemoInterrupted(name, out, done, command) from None
        except TrainingInterrupted as exc:
            raise DemoInterrupted(name, out, done, command, checkpoint=exc.checkpoint) from None
        timings[name] = round(time.perf_counter() - started, 1)
        done.append(name)
        write_state(out, {"settings": settings, "done": done, "timings_s": timings, "versions": versions})

    before = json.loads((out / "eval_before" / "metrics.json").read_text(encoding="utf-8"))
    after = json.loads((out / "eval_after" / "metrics.json").read_text(encoding="utf-8"))
    verdict = json.loads((out / "comparison.json").read_text(encoding="utf-8"))["verdict"]
    summary = {
        "algorithm": algorithm,
        "sentient_before": before["sentient_score"],
        "sentient_after": after["sentient_score"],
        "success_before": before["success_rate"],
        "success_after": after["success_rate"],
        "verdict": verdict["text"],
        "seed": seed,
        "size": size,
        "timings_s": timings,
        "total_s": round(sum(timings.values()), 1),
        "versions": versions,
        "command": command,
    }
    rounds_file = train_dir / "rounds.json"
    if rounds_file.is_file():
        summary["rounds"] = json.loads(rounds_file.read_text(encoding="utf-8"))
    (out / "summary.json").write_text(json.dumps(summary, indent=2), encoding="utf-8")
    console.print(
        f"[bold]sentient score: {before['sentient_score']:.1f} (SFT base) -> {after['sentient_score']:.1f} "
        f"({algorithm.upper()} adapter)[/]; {verdict['text']}\n"
        f"stages: {', '.join(f'{name} {t:.0f} s' for name, t in timings.items())}; total {summary['total_s']:.0f} s; "
        f"outputs in {out}", highlight=False, soft_wrap=True)
    return summary


def read_state(out: Path) -> dict:
    """The demo's record of finished stages (empty when there is none)."""
    from rlemp.files import read_json

    path = out / STATE_FILE
    return read_json(path) if path.is_file() else {}


def write_state(out: Path, state: dict) -> None:
    (out / STATE_FILE).write_text(json.dumps(state, indent=2) + "\n", encoding="utf-8")


def recipe_algorithm(recipe: Path) -> str:
    """The recipe's ``algorithm`` (grpo when unset, as in :class:`rlemp.configs.RlempArguments`)."""
    from rlemp.configs import parse_recipe

    args, _, _ = parse_recipe(["--config", str(recipe)])
    return args.algorithm


def _head(path: Path, n: int, out: Path) -> Path:
    lines = [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()][:n]
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return out
