"""Benchmark: peak memory of LoRA, QLoRA and full fine-tuning of the same model, a few GRPO steps each.

    python benchmarks/bench_memory.py [--smoke] [--size tiny|small] [--steps 3]

Each method trains ``recipes/tiny/grpo.yaml`` on the same tiny model for ``--steps`` steps in a fresh Python
process of its own (this script with ``--method``), so that no method inherits another's allocations; peak
memory is counted per process, so the three run at the same time:

* ``lora``: the recipe as it is (LoRA r 16 on every linear layer, base weights frozen, float32);
* ``qlora``: the same adapter over 4-bit NF4 base weights (bitsandbytes; ``load_in_4bit``, also on CPU);
* ``full``: every weight trained (``use_peft: false``), AdamW keeping two states per weight.

Peak memory: on CUDA, ``torch.cuda.max_memory_allocated`` over building the trainer and training; on CPU, the
process's peak resident set (``ru_maxrss``) minus its resident set after the libraries were imported, i.e. what
the model, the training state and the activations added. The training state (weights + gradients + optimizer
states, counted from the tensors after training; a gradient per trainable weight, as during a backward pass,
since the trainer frees them after each step) is reported too: on a model this small the activations and
the allocator dominate the peak, the state shows the difference the method makes at scale. Ratios are against
LoRA, measured in the same run; there are no repeats (peak memory of the same run does not vary much), the
JSON line of each method is printed as it finishes.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile

from common import device_name, emit, finish, grpo_trainer, parser, setup_torch

METHODS = {
    "lora": {"use_peft": True, "load_in_4bit": False},
    "qlora": {"use_peft": True, "load_in_4bit": True},
    "full": {"use_peft": False, "load_in_4bit": False},
}
NAMES = {"lora": "LoRA", "qlora": "QLoRA (4-bit base)", "full": "full fine-tuning"}


def tensor_bytes(tensors) -> int:
    return sum(t.numel() * t.element_size() for t in tensors)


def train_and_measure(args) -> dict:
    """In this fresh process: train with one method; its peak memory and training-state bytes."""
    import os
    import resource

    # every library any method loads is imported before the baseline is taken, so the baselines agree
    import bitsandbytes  # noqa: F401
    import datasets  # noqa: F401
    import peft  # noqa: F401
    import psutil
    import torch

    import rlemp.trainers.grpo  # noqa: F401

    cuda = args.device.startswith("cuda")
    baseline = 0 if cuda else psutil.Process(os.getpid()).memory_info().rss
    if cuda:
        torch.cuda.reset_peak_memory_stats()
    with tempfile.TemporaryDirectory() as tmp:
        trainer = grpo_trainer(args.model_dir, tmp, args.device, max_steps=args.steps, **METHODS[args.method])
        trainer.train()
        params = list(trainer.model.parameters())
        optimizer_states = [v for state in trainer.optimizer.state.values() for v in state.values() if torch.is_tensor(v)]
        state = {
            "weights": tensor_bytes(params),
            "gradients": tensor_bytes(p for p in params if p.requires_grad),  # one per trainable weight at the peak
            "optimizer": tensor_bytes(optimizer_states),
            "trainable_parameters": sum(p.numel() for p in params if p.requires_grad),
        }
    peak = torch.cuda.max_memory_allocated() if cuda else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    return {"method": args.method, "peak_bytes": peak - baseline, **state}


def main() -> None:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--steps", type=int, default=None)
    p.add_argument("--method", choices=list(METHODS), help=argparse.SUPPRESS)
    p.add_argument("--model-dir", help=argparse.SUPPRESS)
    args = finish(p.parse_args(), full={"steps": 3}, smoke={"steps": 2})
    setup_torch(args)
    if args.method:
        print(json.dumps(train_and_measure(args)), flush=True)
        return

    from rlemp.tiny import build_tiny_model

    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        model_dir = build_tiny_model(tmp, size=args.size, seed=0)
        workers = {
            method: subprocess.Popen(
                [sys.executable, __file__, "--method", method, "--model-dir", str(model_dir), "--size", args.size,
                 "--steps", str(args.steps), "--device", args.device, "--threads", str(args.threads)],
                stdout=subprocess.PIPE,
                text=True,
            )
            for method in METHODS
        }
        for method, worker in workers.items():
            output, _ = worker.communicate()
            if worker.returncode != 0:
                raise SystemExit(f"memory benchmark: {method} failed (exit code {worker.returncode})")
            results[method] = json.loads(output.strip().splitlines()[-1])

    mib = 2**20
    lora = results["lora"]
    state = {m: r["weights"] + r["gradients"] + r["optimizer"] for m, r in results.items()}
    print(
        f"memory ({args.size} model, {args.steps} GRPO steps, {device_name(args.device)}): peak "
        + ", ".join(f"{NAMES[m]} {r['peak_bytes'] / mib:.1f} MiB" for m, r in results.items())
        + "; training state "
        + ", ".join(f"{NAMES[m]} {state[m] / mib:.2f} MiB" for m in results),
        flush=True,
    )
    measure = "cuda max_memory_allocated" if args.device.startswith("cuda") else "peak RSS over the imports"
    for method in ("qlora", "full"):
        r = results[method]
        shared = {"size": args.size, "steps": args.steps, "device": device_name(args.device),
                  "trainable_parameters": r["trainable_parameters"]}
        emit("memory", f"{NAMES[method]}: peak memory", "LoRA", r["peak_bytes"] / lora["peak_bytes"],
             unit="MiB", value=round(r["peak_bytes"] / mib, 1), baseline_value=round(lora["peak_bytes"] / mib, 1),
             measure=measure, **shared)
        emit("memory", f"{NAMES[method]}: weights + gradients + optimizer state", "LoRA", state[method] / state["lora"],
             unit="MiB", value=round(state[method] / mib, 2), baseline_value=round(state["lora"] / mib, 2),
             **{k: r[k] for k in ("weights", "gradients", "optimizer")}, **shared)


if __name__ == "__main__":
    main()
