"""What the benchmark scripts share: the ``--smoke``/``--size``/``--repeats``/``--device`` flags, interleaved
timing with warm-up and medians, the machine's description, the tiny model, the GRPO recipe, and result lines.

Conventions (as ``bench_flr.py``): a script builds a tiny model (:mod:`rlemp.tiny`) in a temporary folder,
runs every method once to warm up and then ``--repeats`` times, compares medians, prints one human line per
comparison and one JSON record per comparison (:func:`emit`). A record is a row of the results table::

    {"bench": "rollout", "metric": "...", "baseline": "...", "ratio": 12.3, "target": ">= 5", ...details}

``ratio`` is always "how many times better than the baseline" for speed (throughput / baseline throughput)
and "how many times the baseline" for memory and shares; the baseline is measured in the same run.
Repeats of the methods being compared are interleaved (A, B, A, B, ...), so that a change in the load of a
shared machine hits every method alike. ``--smoke`` picks a reduced size (the ``tiny`` model, few repeats)
that CI runs in seconds; the full size uses the ``small`` model. ``--device auto`` is CUDA when available.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
from pathlib import Path
from typing import Any, Callable

# Before transformers or tokenizers are imported: nothing is downloaded, and subprocesses do not deadlock.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("TRL_EXPERIMENTAL_SILENCE", "1")

REPO_ROOT = Path(__file__).resolve().parent.parent
TINY_GRPO_RECIPE = REPO_ROOT / "recipes" / "tiny" / "grpo.yaml"
TRAIN_PERSONAS = REPO_ROOT / "data" / "personas" / "train.jsonl"


# --- flags ---------------------------------------------------------------------------------------------------


def parser(description: str) -> argparse.ArgumentParser:
    """An argument parser with the shared flags; a script's own flags default to None (see :func:`finish`)."""
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--smoke", action="store_true", help="reduced size for CI (tiny model, few repeats)")
    p.add_argument("--size", choices=["tiny", "small"], default=None, help="tiny model size (default: small, smoke: tiny)")
    p.add_argument("--repeats", type=int, default=None, help="timed repeats per method (median reported)")
    p.add_argument("--device", default="auto", help="auto (cuda when available), cpu, cuda, ...")
    p.add_argument("--threads", type=int, default=1, help="torch CPU threads (1 keeps timings stable)")
    return p


def finish(args: argparse.Namespace, full: dict[str, Any], smoke: dict[str, Any]) -> argparse.Namespace:
    """Fill every flag left at None from the full-size or the smoke defaults; resolve ``--device auto``."""
    defaults = {"size": "small", "repeats": 3, **full}
    if args.smoke:
        defaults.update({"size": "tiny", "repeats": 2, **smoke})
    for name, value in defaults.items():
        if getattr(args, name, None) is None:
            setattr(args, name, value)
    args.device = resolve_device(args.device)
    return args


def resolve_device(device: str) -> str:
    if device != "auto":
        return device
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def setup_torch(args: argparse.Namespace) -> None:
    import torch

    torch.set_num_threads(args.threads)
    torch.manual_seed(0)


# --- timing --------------------------------------------------------------------------------------------------


def synchronize(device: str) -> None:
    """Wait for queued GPU work, so that a timer stops when the work is done."""
    if device.startswith("cuda"):
        import torch

        torch.cuda.synchronize()


def interleaved(methods: dict[str, Callable[[], float]], repeats: int, device: str = "cpu") -> dict[str, list[float]]:
    """Run each method once to warm up, then ``repeats`` rounds of every method in turn.

    A method returns the work it did (tokens, turns...; 1.0 for "one run"); the result is, per method, the
    list of work per second of each timed run.
    """
    for fn in methods.values():
        fn()
        synchronize(device)
    rates: dict[str, list[float]] = {name: [] for name in methods}
    for _ in range(repeats):
        for name, fn in methods.items():
            synchronize(device)
            start = time.perf_counter()
            work = fn()
            synchronize(device)
            rates[name].append(work / (time.perf_counter() - start))
    return rates


def median(values: list[float]) -> float:
    return statistics.median(values)


# --- machine -------------------------------------------------------------------------------------------------


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def describe_machine() -> dict[str, Any]:
    """CPU model, cores, memory, load, library versions and the CUDA device (if any)."""
    import psutil
    import torch
    import transformers
    import trl

    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    info: dict[str, Any] = {
        "cpu": cpu_model(),
        "cores": f"{usable} usable of {os.cpu_count()}",
        "memory_gib": round(psutil.virtual_memory().total / 2**30, 1),
        "load_average_1m": round(os.getloadavg()[0], 2),
        "os": platform.platform(),
        "python": platform.python_version(),
        "torch": torch.__version__,
        "transformers": transformers.__version__,
        "trl": trl.__version__,
        "cuda_device": None,
    }
    if torch.cuda.is_available():
        info["cuda_device"] = f"{torch.cuda.get_device_name(0)} x{torch.cuda.device_count()}"
        info["cuda"] = torch.version.cuda
    return info


def device_name(device: str) -> str:
    """The device as recorded in a result: ``cpu (MODEL)`` or the CUDA device's name."""
    if device.startswith("cuda"):
        import torch

        return torch.cuda.get_device_name(torch.device(device))
    return f"cpu ({cpu_model()})"


# --- models, personas, recipe --------------------------------------------------------------------------------


def load_eval_model(path: str | Path, device: str):
    """(model in float32 and eval mode on ``device``, tokenizer), loaded and checked as rlemp loads any model."""
    import torch

    from rlemp.loading import load_model

    model, tokenizer = load_model(path, dtype=torch.float32)
    return model.eval().to(device), tokenizer


def load_tiny_model(folder: str | Path, size: str, device: str):
    """Build the tiny model of ``size`` into ``folder``; returns (model in eval mode on ``device``, tokenizer)."""
    from rlemp.tiny import build_tiny_model

    return load_eval_model(build_tiny_model(folder, size=size, seed=0), device)


def personas(n: int):
    """The first ``n`` training personas (repeated when ``n`` is larger than the bank)."""
    from rlemp.personas import load_personas

    bank = load_personas(TRAIN_PERSONAS)
    return [bank[i % len(bank)] for i in range(n)]


def grpo_trainer(model_dir: str | Path, output_dir: str | Path, device: str, **overrides: Any):
    """The multi-turn GRPO trainer of ``recipes/tiny/grpo.yaml`` on ``model_dir``, built as ``rlemp train`` does,
    with ``overrides`` (recipe fields) applied; no checkpoints, no evaluation."""
    from rlemp.configs import parse_recipe
    from rlemp.trainers import grpo
    from rlemp.trainers.common import build_parts

    fields = {
        "model_name_or_path": str(model_dir),
        "output_dir": str(output_dir),
        "save_strategy": "no",
        "eval_at_end": "false",
        "report_to": "none",
        "use_cpu": "true" if device == "cpu" else "false",
        **{k: str(v).lower() if isinstance(v, bool) else str(v) for k, v in overrides.items()},
    }
    argv = ["--config", str(TINY_GRPO_RECIPE)]
    for key, value in fields.items():
        argv += [f"--{key}", value]
    configs = parse_recipe(argv)
    return grpo.make_trainer(build_parts(*configs), *configs)


# --- results -------------------------------------------------------------------------------------------------


def emit(bench: str, metric: str, baseline: str, ratio: float, **details: Any) -> dict[str, Any]:
    """Print one result record as a JSON line (a row of the results table) and return it."""
    record = {"bench": bench, "metric": metric, "baseline": baseline, "ratio": float(f"{ratio:.4g}"), **details}
    print(json.dumps(record), flush=True)
    return record
