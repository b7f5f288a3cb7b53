"""Run every benchmark and write their ratios, with the machine's description, to ``benchmarks/RESULTS.md``.

    python benchmarks/run_all.py              # full size (several minutes on a CPU); also refreshes the README table
    python benchmarks/run_all.py --smoke --out /tmp/RESULTS.md   # reduced size, as CI runs it

Each benchmark runs as its own process (``python benchmarks/bench_*.py``, the same command a user types);
its human lines are echoed, its JSON records become rows of the table. A benchmark that fails is named in the
file with the end of its error output, and the runner exits with status 1. Only a full-size run written to the
default place updates the table between the markers in ``benchmarks/README.md``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import describe_machine, resolve_device

HERE = Path(__file__).resolve().parent
DEFAULT_OUT = HERE / "RESULTS.md"
README = HERE / "README.md"
TABLE_START, TABLE_END = "<!-- results:start -->", "<!-- results:end -->"

# name -> (script, extra flags at full size, extra flags at smoke size); every script also gets --device
BENCHMARKS: dict[str, tuple[str, list[str], list[str]]] = {
    "rollout": ("bench_rollout.py", [], ["--smoke"]),
    "simulator": ("bench_simulator.py", [], ["--smoke"]),
    "flr": ("bench_flr.py", ["--size", "small", "--repeats", "5", "--samples", "16"],
            ["--size", "tiny", "--repeats", "2", "--samples", "4"]),
    "step": ("bench_step.py", [], ["--smoke"]),
    "memory": ("bench_memory.py", [], ["--smoke"]),
    "serve": ("bench_serve.py", [], ["--smoke"]),
    "learning": ("bench_learning.py", [], ["--smoke", "--methods", "grpo,ppo"]),
}

NOTES = """\
## What the ratios mean

Every ratio is measured against a baseline run in the same process, on the same model and inputs; each
method is warmed up once, then timed several times with the repeats of the compared methods interleaved, and
the medians are compared. Speed ratios are "times faster than the baseline" (throughput over the baseline's
throughput); memory ratios are "times the baseline's memory"; step shares are "fraction of the whole step".

* **rollout** (`bench_rollout.py`): policy tokens per second of the batched multi-turn engine
  (`rlemp.rollout.run_conversations`: every open conversation in one `generate` per turn, the rule simulator's
  `step_many` in between, each conversation's KV cache carried to its next turn) against the same engine
  re-encoding the whole conversation every turn (what the carried cache saves; the greedy token streams of the
  two are checked equal first), the same engine run one conversation at a time (target: at least 5x at 32
  conversations), and TRL's own single-turn generation (`GRPOTrainer._generate_single_turn`, the path GRPO
  takes without a rollout function) on the same prompts with the same tokens per turn and sampling (target: at
  least 0.9x at 32 conversations). The TRL ratio compares a whole multi-turn conversation with one single-turn
  `generate` of the same batch: later turns attend over a longer context and encode the user's messages, the
  batch shrinks as conversations end, and the simulator runs between turns; a ratio near 1 means multi-turn
  rollouts cost about what TRL's single-turn generation costs per generated token. `--model` runs it on
  another model (e.g. `smollm2-135m-instruct`, pulled with `rlemp models pull`).
* **simulator** (`bench_simulator.py`): simulated-user turns per second, `step_many` over many conversations
  played to the end. The baseline is the `openai` backend against a local fake server with a fixed latency
  (`tests/fake_openai_server.py`) sending one request at a time; at concurrency 16 the ideal ratio is 16 when
  the latency dominates. The `rule` backend's ratio says how many times faster the offline simulator is than
  such an endpoint (a lower bound for a real LLM endpoint).
* **flr** (`bench_flr.py`): follow-up likelihood scoring of several conversations against every shipped
  follow-up, batched with a shared context (the default: one pass over the contexts, the KV cache repeated
  over the follow-ups) or flat (padded context + follow-up rows), against one forward pass per (conversation,
  follow-up); the scores are checked to agree.
* **step** (`bench_step.py`): one multi-turn GRPO step of `recipes/tiny/grpo.yaml` (LoRA, rule simulator,
  emotion/safety/length rewards) broken down by timers around generation (`ModelPolicy.reply`), the
  simulator (`step_many`), the rewards (TRL's `_calculate_rewards`), forward (`compute_loss` and TRL's other
  log-prob passes), backward, optimizer (clipping and `optimizer.step`) and the rest of the step ("other":
  data loading, token streams to tensors, advantages, metrics, transcript log, logging). The headline row is
  the share outside model compute, simulator + rewards + other (target: at most 10% of a step).
* **learning** (`bench_learning.py`): held-out sentient score of adapters trained from the demo's SFT warm
  start by GRPO, PPO, DPO (rounds 1 and 2) and GRPO with each curriculum schedule, at one budget of
  conversations played, over several seeds (`outputs/bench_learning/learning.md` and `learning.png`); the
  ratio is the adapter's score over the SFT base's on the eval personas at 8 turns. Slow: the full size trains
  24 adapters (an hour or more on 2 idle cores); `--smoke` trains GRPO and PPO for 2 steps each.
* **memory** (`bench_memory.py`): a few GRPO steps of the same recipe with LoRA (baseline), QLoRA (4-bit NF4
  base weights, bitsandbytes) and full fine-tuning, each in a fresh process. Peak memory is
  `torch.cuda.max_memory_allocated` on a GPU and, on a CPU, the peak resident set minus the resident set after
  the imports (model, training state and activations). On a model this small the activations and the
  allocator dominate that peak; the "weights + gradients + optimizer state" rows count the training state
  from the tensors and show what the method changes at scale.
* **serve** (`bench_serve.py`): simulated-user turns per second served by a real `rlemp serve` process (rule
  backend, SQLite store) on loopback to 1, 16 and 128 concurrent asyncio clients (one reply request per turn),
  and to one client sending one batched request per turn, against the rule simulator called in-process one
  step at a time. Each row also records the server's own CPU time per served turn (from `/proc`), which
  separates the service's cost from the clients', who share the same cores.
"""

REPRODUCE = """\
## Reproduce

```bash
pip install -e .                       # rlemp with torch, transformers, trl, peft, bitsandbytes
python benchmarks/run_all.py           # every benchmark at full size; writes benchmarks/RESULTS.md
python benchmarks/run_all.py --smoke --out /tmp/RESULTS.md   # reduced size, about a minute or two
python benchmarks/bench_rollout.py     # or any one benchmark alone (see its --help); add --smoke for the small size
```

On a machine with a GPU the same commands run on it (`--device auto`) and record its name above.
"""


def run_benchmark(name: str, smoke: bool, device: str) -> tuple[list[dict], str | None, float]:
    """Run one benchmark script; returns its JSON records, an error text (None when it succeeded), seconds."""
    script, full_flags, smoke_flags = BENCHMARKS[name]
    command = [sys.executable, str(HERE / script), *(smoke_flags if smoke else full_flags), "--device", device]
    print(f"== {name}: {' '.join(command[1:])}", flush=True)
    records = []
    started = time.perf_counter()
    with tempfile.TemporaryFile(mode="w+") as errors:
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=errors, text=True, cwd=HERE.parent)
        for line in process.stdout:
            record = result_record(line)
            if record is not None:
                records.append(record)
            elif line.strip() and not line.startswith("{"):  # the trainer's log dicts are left out
                print(f"   {line.strip()}", flush=True)
        code = process.wait()
        errors.seek(0)
        tail = errors.read().strip().splitlines()[-5:]
    seconds = time.perf_counter() - started
    if code != 0:
        return records, f"exit code {code}: " + " / ".join(tail), seconds
    if not records:
        return records, "no results printed", seconds
    return records, None, seconds


def result_record(line: str) -> dict | None:
    """A benchmark's JSON result line (an object with a ``bench`` key), else None."""
    try:
        value = json.loads(line)
    except json.JSONDecodeError:
        return None
    return value if isinstance(value, dict) and "bench" in value else None


def rows_of(record: dict) -> list[dict]:
    """Table rows from one benchmark record; ``bench_flr.py``'s record holds two comparisons."""
    if record["bench"] == "flr":
        common = {"bench": "flr", "baseline": "one follow-up at a time", "unit": "s"}
        return [
            {**common, "metric": f"batched scoring, shared context ({record['samples']} conversations x "
                                 f"{record['followups']} follow-ups)",
             "ratio": record["ratio"], "value": record["shared_context_s"], "baseline_value": record["loop_s"]},
            {**common, "metric": "batched scoring, flat batch",
             "ratio": record["ratio_flat"], "value": record["flat_batch_s"], "baseline_value": record["loop_s"]},
        ]
    return [record]


def meets(target: str | None, ratio: float) -> str:
    if not target:
        return ""
    match = re.fullmatch(r"(>=|<=)\s*([0-9.]+)", target)
    if match is None:
        return target
    bound = float(match.group(2))
    ok = ratio >= bound if match.group(1) == ">=" else ratio <= bound
    return f"{target}: {'met' if ok else 'MISSED'}"


def detail(row: dict) -> str:
    if "value" in row:
        return f"{row['value']:g} vs {row['baseline_value']:g} {row['unit']}"
    if "seconds" in row:
        return f"{row['seconds']:g} s per step"
    if "step_s" in row:
        return f"step {row['step_s']:g} s"
    return ""


def table(rows: list[dict]) -> str:
    lines = ["| Benchmark | Measure | Baseline | Ratio | Target | Measured |", "|---|---|---|---:|---|---|"]
    for row in rows:
        lines.append(
            f"| {row['bench']} | {row['metric']} | {row['baseline']} | {row['ratio']:.3g} | "
            f"{meets(row.get('target'), row['ratio'])} | {detail(row)} |"
        )
    return "\n".join(lines)


def machine_section(machine: dict, load_end: float) -> str:
    lines = ["## Machine", "", "| | |", "|---|---|"]
    labels = {
        "cpu": "CPU", "cores": "cores", "memory_gib": "memory (GiB)", "cuda_device": "CUDA device",
        "cuda": "CUDA", "os": "OS", "python": "Python", "torch": "torch", "transformers": "transformers",
        "trl": "trl",
    }
    for key, label in labels.items():
        if key in machine:
            lines.append(f"| {label} | {machine[key] if machine[key] is not None else 'none'} |")
    lines.append(f"| load average (1 min), start / end | {machine['load_average_1m']} / {load_end:.2f} |")
    return "\n".join(lines)


def write_results(out: Path, command: str, machine: dict, load_end: float, rows: list[dict],
                  failures: dict[str, str], timings: dict[str, float], smoke: bool) -> None:
    date = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    size = "smoke size (tiny model)" if smoke else "full size (small tiny model)"
    parts = [
        "# rlemp benchmarks",
        "",
        f"Run on {date}, {size}, with `{command}`; wall time per benchmark: "
        + ", ".join(f"{name} {seconds:.0f} s" for name, seconds in timings.items()) + ".",
        "",
        machine_section(machine, load_end),
        "",
        "## Results",
        "",
        table(rows),
    ]
    if failures:
        parts += ["", "Failed benchmarks:", ""] + [f"* {name}: {error}" for name, error in failures.items()]
    parts += ["", NOTES, REPRODUCE]
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(parts), encoding="utf-8")


def update_readme(rows: list[dict], machine: dict) -> None:
    """Replace the table between the README's markers with this run's."""
    text = README.read_text(encoding="utf-8")
    start, end = text.index(TABLE_START) + len(TABLE_START), text.index(TABLE_END)
    device = machine["cuda_device"] or f"{machine['cpu']}, {machine['cores']} cores"
    block = f"\n{table(rows)}\n\n({device}; load average {machine['load_average_1m']}; see RESULTS.md)\n"
    README.write_text(text[:start] + block + text[end:], encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="reduced size (tiny model, few repeats)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="the results file to write")
    parser.add_argument("--only", default=",".join(BENCHMARKS), help="comma-separated benchmarks to run")
    parser.add_argument("--device", default="auto", help="auto (cuda when available), cpu, cuda, ...")
    args = parser.parse_args(argv)
    names = [n.strip() for n in args.only.split(",") if n.strip()]
    unknown = [n for n in names if n not in BENCHMARKS]
    if unknown:
        parser.error(f"unknown benchmark {unknown[0]!r}; choose from {', '.join(BENCHMARKS)}")
    device = resolve_device(args.device)
    machine = describe_machine()
    command = "python benchmarks/run_all.py " + " ".join(argv if argv is not None else sys.argv[1:])

    rows: list[dict] = []
    failures: dict[str, str] = {}
    timings: dict[str, float] = {}
    for name in names:
        records, error, timings[name] = run_benchmark(name, args.smoke, device)
        for record in records:
            rows += rows_of(record)
        if error:
            failures[name] = error
            print(f"   FAILED: {error}", flush=True)
    bad = [r for r in rows if not (isinstance(r["ratio"], (int, float)) and math.isfinite(r["ratio"]))]
    for row in bad:
        failures[row["bench"]] = f"non-finite ratio for {row['metric']!r}"

    write_results(args.out, command.strip(), machine, os.getloadavg()[0], rows, failures, timings, args.smoke)
    print(f"wrote {args.out}", flush=True)
    if not args.smoke and args.out.resolve() == DEFAULT_OUT and not failures and names == list(BENCHMARKS):
        update_readme(rows, machine)
        print(f"updated the table in {README}", flush=True)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
