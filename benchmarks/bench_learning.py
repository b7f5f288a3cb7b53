"""Learning benchmark: which algorithm gains the most on held-out personas, from one warm start, at one budget.

    python benchmarks/bench_learning.py                  # tiny model, 3 seeds, every method (an hour or more on 2 cores)
    python benchmarks/bench_learning.py --smoke          # tiny sizes, one seed: checks that everything runs
    python benchmarks/bench_learning.py --methods grpo,ppo --seeds 0,1,2 --budget 320
    python benchmarks/bench_learning.py --model smollm2-135m-instruct --methods grpo,ppo   # a real chat model

From the demo's SFT warm start (``rlemp demo``'s stages 1-2, built once into ``WORK/sft``, or ``--base DIR``),
every method trains through the public entry (``scripts/train.py --config RECIPE`` with overrides, one
subprocess per run) with the same budget of conversations played against the ``rule`` simulator: GRPO and PPO
get ``max_steps = budget / conversations per step``; each curriculum method is GRPO with that ``curriculum``
block; DPO runs its recipe's two mining rounds, one epoch over each round's pairs (round 2 trains on round 1's
pairs plus fresh ones mined with round 1's adapter, against round 1's policy; its budget is what mining plays,
not counted). Every adapter, and its checkpoint at half the budget (the curve), is evaluated with ``rlemp eval``
on the eval personas at ``--eval-turns`` (8: the evaluation's full length, longer than any training
conversation) with one evaluation seed for all, so that every score is paired with the SFT base's on the same
personas and seed.

``--model NAME`` runs the same comparison on a real chat model (a registry short name, pulled when needed, or a
model folder): it is its own warm start (no SFT), every method uses the model's recipes
(``recipes/<model>/``, named after its hub id), and the sizes shrink to what a CPU affords (``SIZES["model"]``:
64 conversations per run, 16 eval personas x 4 turns of at most 48 tokens).

Writes ``WORK/results.jsonl`` (one row per evaluated adapter), ``WORK/learning.md`` (the table: held-out
sentient score mean and spread over the training seeds, gain over the base, success and failure rates, training
wall time, conversations per second) and ``WORK/learning.png`` (held-out score against conversations played),
and prints one JSON record per method for ``run_all.py``. Finished runs and evaluations are kept and skipped
when the command is run again (``--fresh`` starts over).
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

from common import REPO_ROOT, describe_machine

RECIPES = REPO_ROOT / "recipes" / "tiny"
EVAL_PERSONAS = REPO_ROOT / "data" / "personas" / "eval.jsonl"
CURRICULA = ("sorted", "baby_steps", "competence", "adaptive")
PRC_EMO_PLACEHOLDER = "{prc_emo_difficulties}"


@dataclass(frozen=True)
class Method:
    """One row of the table: a recipe, overrides, and which of the run's adapters it evaluates."""

    name: str
    recipe: str
    overrides: tuple[str, ...] = ()
    run: str = ""  # the run folder's name (DPO's two rounds share one run); default: the method's name
    dpo_round: int | None = None  # evaluate this DPO round's adapter

    @property
    def run_name(self) -> str:
        return self.run or self.name


METHODS: dict[str, Method] = {
    "grpo": Method("grpo", "grpo.yaml"),
    "ppo": Method("ppo", "ppo.yaml"),
    "dpo_round1": Method("dpo_round1", "dpo.yaml", run="dpo", dpo_round=1),
    "dpo_round2": Method("dpo_round2", "dpo.yaml", run="dpo", dpo_round=2),
    **{
        f"grpo_{schedule}": Method(f"grpo_{schedule}", "grpo.yaml", ("--curriculum", json.dumps({"schedule": schedule})))
        for schedule in CURRICULA
    },
    # the same schedule ranked by PRC-Emo's weighted emotional shift of the warm start's own conversations
    # instead of the default measurement (a scripted reference policy's shift)
    "grpo_baby_steps_prc_emo": Method("grpo_baby_steps_prc_emo", "grpo.yaml", (
        "--curriculum", json.dumps({"schedule": "baby_steps", "difficulty_source": PRC_EMO_PLACEHOLDER}))),
}


@dataclass
class Size:
    """How big a benchmark run is."""

    model_size: str  # the tiny model's size
    sft: str  # the demo size whose SFT settings build the warm start
    budget: int  # conversations played per GRPO/PPO run
    seeds: tuple[int, ...]
    eval_turns: int
    eval_personas: int | None  # None: all
    dpo_steps: int | None  # DPO optimizer steps per round; None: the recipe's (one epoch over the round's pairs)
    eval_tokens: int | None = None  # tokens per evaluated agent turn; None: ``rlemp eval``'s default
    overrides: dict[str, tuple[str, ...]] = field(default_factory=dict)  # per algorithm, for every run


SIZES = {
    "full": Size("small", "default", budget=128, seeds=(0, 1, 2), eval_turns=8, eval_personas=None,
                 dpo_steps=None),
    "model": Size("", "", budget=64, seeds=(0, 1, 2), eval_turns=4, eval_personas=16, dpo_steps=None,
                  eval_tokens=48),
    "smoke": Size("tiny", "smoke", budget=8, seeds=(0,), eval_turns=2, eval_personas=2, dpo_steps=1, overrides={
        "grpo": ("--per_device_train_batch_size", "4", "--max_turns", "1"),
        "ppo": ("--rollouts_per_step", "4", "--per_device_train_batch_size", "2", "--num_ppo_epochs", "1",
                "--max_turns", "1"),
        "dpo": ("--candidates", "2", "--max_turns", "1", "--per_device_train_batch_size", "2"),
    }),
}


# --- the warm start ------------------------------------------------------------------------------------------


def model_recipes(model: str) -> tuple[Path, Path]:
    """A real chat model's folder (a registry short name is pulled first) and its recipe folder,
    ``recipes/<last part of its hub id>/`` (for a folder not named after a registry model: its own name)."""
    from rlemp.models import REGISTRY, pull

    folder = Path(model)
    entry = REGISTRY.get(folder.name.lower())  # a short name, or a folder it was pulled into
    if entry is not None and not folder.is_dir():
        folder = pull(entry.name)
    recipes = REPO_ROOT / "recipes" / (entry.hub_id if entry is not None else folder.name).split("/")[-1]
    if not (recipes / "grpo.yaml").is_file():
        raise SystemExit(f"--model {model}: no recipes for it in {recipes}")
    return folder.resolve(), recipes


def warm_start(work: Path, size: Size, base: Path | None) -> Path:
    """The model every method starts from: ``base`` when given, else the demo's stages 1-2 built once."""
    if base is not None:
        if not (base / "config.json").is_file():
            raise SystemExit(f"--base {base}: not a model folder (no config.json)")
        return base
    sft = work / "sft"
    if (sft / "model.safetensors").is_file():
        return sft
    from rlemp.demo import SIZES as DEMO_SIZES
    from rlemp.paths import SUPPORTER_CORPUS
    from rlemp.sft import sft_warm_start
    from rlemp.tiny import build_tiny_model

    demo = DEMO_SIZES[size.sft]
    print(f"building the warm start in {sft} (the demo's {size.sft} SFT: {demo.sft_epochs} epochs)", flush=True)
    build_tiny_model(work / "base", size=size.model_size, seed=0)
    sft_warm_start(work / "base", SUPPORTER_CORPUS, sft, epochs=demo.sft_epochs,
                   learning_rate=demo.sft_learning_rate, max_length=192, seed=0)
    return sft


# --- runs ----------------------------------------------------------------------------------------------------


def read_yaml(path: Path) -> dict[str, Any]:
    import yaml

    return yaml.safe_load(path.read_text(encoding="utf-8"))


def conversations_per_step(recipe: dict[str, Any], overrides: Sequence[str] = ()) -> int:
    """Conversations one training step plays on one process (GRPO: its generation batch; PPO: rollouts), from
    the recipe and ``--field value`` overrides."""
    recipe = {**recipe, **dict(zip(overrides[::2], overrides[1::2]))}
    recipe = {key.removeprefix("--"): value for key, value in recipe.items()}
    if recipe["algorithm"] == "ppo":
        return int(recipe["rollouts_per_step"])
    return int(recipe["per_device_train_batch_size"]) * int(recipe.get("gradient_accumulation_steps", 1))


def train_command(method: Method, sft: Path, out: Path, seed: int, size: Size, extra: Sequence[str] = (),
                  recipes: Path = RECIPES) -> list[str]:
    """``scripts/train.py`` with the recipe from ``recipes`` and this benchmark's overrides (budget, seed,
    checkpoints), then ``extra`` (``--train-args``)."""
    recipe_path = recipes / method.recipe
    recipe = read_yaml(recipe_path)
    argv = [sys.executable, str(REPO_ROOT / "scripts" / "train.py"), "--config", str(recipe_path),
            "--model_name_or_path", str(sft), "--output_dir", str(out), "--seed", str(seed),
            "--report_to", "none", "--eval_at_end", "false", "--overwrite_output_dir", "true"]
    if recipe["algorithm"] == "dpo":
        # no evaluation inside training: the benchmark evaluates each round's adapter itself, paired with the base
        argv += ["--rounds", "2", "--save_total_limit", "1", "--eval_personas", ""]
        if size.dpo_steps is not None:
            argv += ["--max_steps", str(size.dpo_steps), "--save_steps", str(size.dpo_steps)]
    else:
        per_step = conversations_per_step(recipe, size.overrides.get(recipe["algorithm"], ()))
        steps = max(2, size.budget // per_step)
        argv += ["--max_steps", str(steps), "--save_steps", str(steps // 2), "--save_total_limit", "3"]
    overrides = [o.replace(PRC_EMO_PLACEHOLDER, str(out.parent.parent.parent / "prc_emo_difficulties.jsonl"))
                 for o in method.overrides]
    return argv + list(size.overrides.get(recipe["algorithm"], ())) + overrides + list(extra)


def train(method: Method, sft: Path, run_dir: Path, seed: int, size: Size, extra: Sequence[str] = (),
          recipes: Path = RECIPES) -> dict[str, Any]:
    """Train once (kept: ``run.json`` marks a finished run); returns its command, wall time and budget."""
    marker = run_dir / "run.json"
    if marker.is_file():
        return json.loads(marker.read_text(encoding="utf-8"))
    if run_dir.exists():
        shutil.rmtree(run_dir)
    run_dir.mkdir(parents=True)
    command = train_command(method, sft, run_dir, seed, size, extra, recipes)
    print(f"== train {method.run_name} seed {seed}: {' '.join(command[1:])}", flush=True)
    started = time.perf_counter()
    with open(run_dir / "train.log", "w", encoding="utf-8") as log:
        code = subprocess.run(command, cwd=REPO_ROOT, stdout=log, stderr=subprocess.STDOUT).returncode
    seconds = time.perf_counter() - started
    if code != 0:
        tail = (run_dir / "train.log").read_text(encoding="utf-8").strip().splitlines()[-3:]
        raise RuntimeError(f"training {method.run_name} seed {seed} failed ({code}): {' / '.join(tail)}")
    stats = json.loads((run_dir / "simulator_stats.json").read_text(encoding="utf-8"))
    # DPO's miner plays its conversations outside the trainer's counter: no figure rather than a wrong one
    record = {"command": " ".join(command[1:]), "train_s": round(seconds, 1),
              "conversations": stats.get("conversations"), "simulator_turns": stats.get("turns")}
    marker.write_text(json.dumps(record, indent=2), encoding="utf-8")
    return record


def checkpoint_steps(run_dir: Path) -> list[int]:
    return sorted(int(p.name.split("-")[1]) for p in run_dir.glob("checkpoint-*") if p.name.split("-")[1].isdigit())


def adapters(method: Method, run_dir: Path, conversations: int) -> list[tuple[Path, int, bool]]:
    """``(adapter folder, conversations played when it was saved, final)`` for the curve and the table."""
    if method.dpo_round is not None:
        if method.dpo_round == 2:
            return [(run_dir / "adapter", conversations, True)]
        steps = checkpoint_steps(run_dir / "round-1")
        # mining plays the same states each round: round 1 ends at about half the two rounds' conversations
        half = conversations // 2 if conversations is not None else None
        return [(run_dir / "round-1" / f"checkpoint-{steps[-1]}", half, True)]
    steps = checkpoint_steps(run_dir)
    last = steps[-1]
    return [(run_dir / f"checkpoint-{s}", conversations * s // last, s == last) for s in steps]


def evaluate(sft: Path, adapter: Path | None, out: Path, size: Size, personas: Path, seed: int) -> dict[str, Any]:
    """``rlemp eval`` (kept when ``out/metrics.json`` exists); returns its metrics."""
    metrics = out / "metrics.json"
    if not metrics.is_file():
        command = [sys.executable, "-m", "rlemp.cli", "eval", "--model", str(sft), "--personas", str(personas),
                   "--max-turns", str(size.eval_turns), "--seed", str(seed), "--out", str(out)]
        if adapter is not None:
            command += ["--adapter", str(adapter)]
        if size.eval_tokens is not None:
            command += ["--max-new-tokens", str(size.eval_tokens)]
        result = subprocess.run(command, cwd=REPO_ROOT, capture_output=True, text=True)
        if result.returncode != 0:
            raise RuntimeError(f"evaluating {adapter or sft} failed: {result.stderr.strip().splitlines()[-1:]}")
    return json.loads(metrics.read_text(encoding="utf-8"))


def prc_emo_difficulties(work: Path, sft: Path, size: Size, seed: int, recipes: Path = RECIPES) -> Path:
    """``WORK/prc_emo_difficulties.jsonl``: each training persona's PRC-Emo weighted-shift difficulty, from one
    conversation of the warm start with it (``rlemp eval`` then ``rlemp curriculum --format rlemp``, whose ids
    ``persona@seed`` become persona ids)."""
    path = work / "prc_emo_difficulties.jsonl"
    if path.is_file():
        return path
    recipe = read_yaml(recipes / "grpo.yaml")
    personas = (REPO_ROOT / recipe["personas"]).resolve()
    transcripts = work / "eval" / "sft_train_personas"
    evaluate(sft, None, transcripts, size, personas, seed)
    ranked = work / "prc_emo_by_dialogue.jsonl"
    command = [sys.executable, "-m", "rlemp.cli", "curriculum", "--dialogues", str(transcripts / "transcripts.jsonl"),
               "--format", "rlemp", "--out", str(ranked)]
    result = subprocess.run(command, cwd=REPO_ROOT, capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"rlemp curriculum failed: {result.stderr.strip().splitlines()[-1:]}")
    rows = [json.loads(line) for line in ranked.read_text(encoding="utf-8").splitlines() if line.strip()]
    path.write_text("".join(json.dumps({"id": r["id"].split("@")[0], "difficulty": r["difficulty"]}) + "\n"
                            for r in rows), encoding="utf-8")
    return path


def eval_personas_file(work: Path, size: Size) -> Path:
    if size.eval_personas is None:
        return EVAL_PERSONAS
    lines = EVAL_PERSONAS.read_text(encoding="utf-8").splitlines()[: size.eval_personas]
    path = work / "eval_personas.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


# --- the table and the figure --------------------------------------------------------------------------------


def spread(values: Sequence[float]) -> float:
    """Sample standard deviation over seeds (0 for one seed)."""
    return statistics.stdev(values) if len(values) > 1 else 0.0


def summarize(rows: Sequence[dict[str, Any]], base_score: float) -> list[dict[str, Any]]:
    """One summary per method from its final adapters' rows (one per seed), in the order methods first appear."""
    methods: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        if row["final"]:
            methods.setdefault(row["method"], []).append(row)
    out = []
    for name, finals in methods.items():
        scores = [r["sentient_score"] for r in finals]
        seconds = [r["train_s"] for r in finals]
        conversations = [r["conversations"] for r in finals]
        counted = None not in conversations
        out.append({
            "method": name,
            "seeds": sorted(r["seed"] for r in finals),
            "score_mean": statistics.fmean(scores),
            "score_sd": spread(scores),
            "gain_mean": statistics.fmean(scores) - base_score,
            "success_rate": statistics.fmean(r["success_rate"] for r in finals),
            "failure_rate": statistics.fmean(r["failure_rate"] for r in finals),
            "train_s": statistics.fmean(seconds),
            "conversations": statistics.fmean(conversations) if counted else None,
            "conversations_per_s": statistics.fmean(c / s for c, s in zip(conversations, seconds)) if counted else None,
        })
    return out


def markdown(summary: Sequence[dict[str, Any]], base: dict[str, Any], header: str) -> str:
    lines = [header, "",
             "| Method | Held-out score (mean ± sd over seeds) | Gain over SFT base | Success | Failure | "
             "Conversations played | Training wall time (s) | Conversations/s | Seeds |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---|",
             f"| SFT base | {base['sentient_score']:.1f} | 0.0 | {base['success_rate']:.2f} | "
             f"{base['failure_rate']:.2f} | 0 | - | - | - |"]
    for s in summary:
        played = "n/a" if s["conversations"] is None else f"{s['conversations']:.0f}"
        rate = "n/a" if s["conversations_per_s"] is None else f"{s['conversations_per_s']:.2f}"
        lines.append(
            f"| {s['method']} | {s['score_mean']:.1f} ± {s['score_sd']:.1f} | {s['gain_mean']:+.1f} | "
            f"{s['success_rate']:.2f} | {s['failure_rate']:.2f} | {played} | {s['train_s']:.0f} | "
            f"{rate} | {','.join(map(str, s['seeds']))} |")
    return "\n".join(lines) + "\n"


def plot(rows: Sequence[dict[str, Any]], base_score: float, path: Path) -> None:
    """Held-out score against conversations played, mean over seeds, one line per method."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.5))
    methods: dict[str, dict[int, list[float]]] = {}
    for row in rows:
        if row["conversations"] is None:  # not counted (DPO's mining): no place on this axis
            continue
        methods.setdefault(row["method"], {}).setdefault(row["conversations"], []).append(row["sentient_score"])
    for name, points in methods.items():
        xs = [0] + sorted(points)
        ys = [base_score] + [statistics.fmean(points[x]) for x in xs[1:]]
        ax.plot(xs, ys, marker="o", label=name)
    ax.set_xlabel("conversations played in training")
    ax.set_ylabel("held-out sentient score (mean over seeds)")
    ax.axhline(base_score, color="grey", linestyle=":", linewidth=1)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def read_rows(work: Path) -> list[dict[str, Any]]:
    path = work / "results.jsonl"
    if not path.is_file():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def write_results(work: Path, rows: Sequence[dict[str, Any]], base: dict[str, Any], header: str) -> None:
    """``results.jsonl``, ``learning.md`` and ``learning.png`` from the rows so far (rewritten after every run)."""
    (work / "results.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    table = markdown(summarize(rows, base["sentient_score"]), base, header)
    (work / "learning.md").write_text(table, encoding="utf-8")
    plot(rows, base["sentient_score"], work / "learning.png")


# --- main ----------------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    import argparse

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--smoke", action="store_true", help="tiny sizes, one seed (checks that everything runs)")
    p.add_argument("--work", type=Path, default=None, help="folder for the warm start, runs, evaluations and results, "
                   "kept between calls (default outputs/bench_learning, smoke: outputs/bench_learning_smoke)")
    p.add_argument("--base", type=Path, default=None, help="an existing SFT warm start to use instead of building it")
    p.add_argument("--model", default=None, help="a real chat model instead of the tiny model (registry short name "
                   "such as smollm2-135m-instruct, or a folder): its own warm start, its recipes, smaller sizes")
    p.add_argument("--methods", default=",".join(METHODS), help=f"comma-separated, from {', '.join(METHODS)}")
    p.add_argument("--seeds", default=None, help="comma-separated training seeds (default 0,1,2; smoke 0)")
    p.add_argument("--budget", type=int, default=None, help="conversations played per GRPO/PPO run")
    p.add_argument("--eval-turns", type=int, default=None, help="turns per evaluation conversation (default 8)")
    p.add_argument("--eval-seed", type=int, default=0, help="evaluation seed, the same for every adapter")
    p.add_argument("--train-args", default="", help="recipe overrides for every run, e.g. '--learning_rate 1e-3' "
                   "(use another --work: finished runs are not retrained)")
    p.add_argument("--no-curve", action="store_true", help="evaluate the final adapters only (no half-budget point)")
    p.add_argument("--fresh", action="store_true", help="delete the runs and evaluations of --work first")
    p.add_argument("--device", default="cpu", help="accepted for run_all.py; training follows the recipes (CPU)")
    args = p.parse_args(argv)
    if args.model and (args.smoke or args.base):
        p.error("--model is its own warm start and size: not with --smoke or --base")
    size = SIZES["smoke" if args.smoke else "model" if args.model else "full"]
    if args.seeds:
        size.seeds = tuple(int(s) for s in args.seeds.split(","))
    if args.budget:
        size.budget = args.budget
    if args.eval_turns:
        size.eval_turns = args.eval_turns
    names = [n.strip() for n in args.methods.split(",") if n.strip()]
    unknown = [n for n in names if n not in METHODS]
    if unknown:
        p.error(f"unknown method {unknown[0]!r}; choose from {', '.join(METHODS)}")
    default_work = "bench_learning_smoke" if args.smoke else f"bench_learning_{args.model}" if args.model else "bench_learning"
    work = (args.work or REPO_ROOT / "outputs" / default_work).resolve()
    if args.fresh:
        for sub in ("runs", "eval"):
            shutil.rmtree(work / sub, ignore_errors=True)
    work.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

    recipes = RECIPES
    if args.model:
        sft, recipes = model_recipes(args.model)
    else:
        sft = warm_start(work, size, args.base.resolve() if args.base else None)
    personas = eval_personas_file(work, size)
    base = evaluate(sft, None, work / "eval" / "sft_base", size, personas, args.eval_seed)
    if any(PRC_EMO_PLACEHOLDER in o for name in names for o in METHODS[name].overrides):
        prc_emo_difficulties(work, sft, size, args.eval_seed, recipes)
    machine = describe_machine()
    dpo_length = "one epoch per round" if size.dpo_steps is None else f"{size.dpo_steps} steps per round"
    header = (f"Learning benchmark, `python benchmarks/bench_learning.py {' '.join(argv if argv is not None else sys.argv[1:])}`"
              f": warm start {sft} ({args.model or size.model_size + ' tiny model'}), budget {size.budget} conversations per GRPO/PPO "
              f"run, DPO {dpo_length}, training seeds {','.join(map(str, size.seeds))}, "
              f"evaluation on {personas.name} ({base['n_personas']} personas) x {size.eval_turns} turns"
              f"{f' of at most {size.eval_tokens} tokens' if size.eval_tokens else ''}, seed "
              f"{args.eval_seed}; torch {machine['torch']}, transformers {machine['transformers']}, trl "
              f"{machine['trl']}, {machine['cpu']} ({machine['cores']}), load {machine['load_average_1m']} at the start.")
    # rows of earlier calls on this work folder (other methods or seeds) stay in the table
    rows = [r for r in read_rows(work) if not (r["method"] in names and r["seed"] in size.seeds)]
    for seed in size.seeds:
        for name in names:
            method = METHODS[name]
            run_dir = work / "runs" / method.run_name / f"seed{seed}"
            run = train(method, sft, run_dir, seed, size, shlex.split(args.train_args), recipes)
            for adapter, conversations, final in adapters(method, run_dir, run["conversations"]):
                out = work / "eval" / name / f"seed{seed}" / adapter.name
                if args.no_curve and not final and not (out / "metrics.json").is_file():
                    continue  # no half-budget evaluation, unless an earlier call made one
                metrics = evaluate(sft, adapter, out, size, personas, args.eval_seed)
                rows.append({"method": name, "seed": seed, "adapter": str(adapter), "final": final,
                             "conversations": conversations, "sentient_score": metrics["sentient_score"],
                             "success_rate": metrics["success_rate"], "failure_rate": metrics["failure_rate"],
                             "train_s": run["train_s"], "command": run["command"]})
                print(f"   {name} seed {seed} {adapter.name}: held-out {metrics['sentient_score']:.1f} "
                      f"(base {base['sentient_score']:.1f}) after {conversations} conversations", flush=True)
            write_results(work, rows, base, header)

    for s in summarize(rows, base["sentient_score"]):
        print(json.dumps({
            "bench": "learning", "metric": f"held-out sentient score, {s['method']}", "baseline": "SFT base",
            "ratio": s["score_mean"] / base["sentient_score"] if base["sentient_score"] else float("nan"),
            "value": round(s["score_mean"], 2), "baseline_value": base["sentient_score"], "unit": "points",
            "sd": round(s["score_sd"], 2), "conversations": s["conversations"], "train_s": round(s["train_s"], 1),
        }), flush=True)
    print(f"wrote {work / 'learning.md'} and {work / 'learning.png'}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
