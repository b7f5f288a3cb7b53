"""Benchmark: batched follow-up likelihood scoring against a one-follow-up-at-a-time loop.

    python benchmarks/bench_flr.py [--size tiny|small] [--repeats 5] [--samples 16] [--batch-size 64]

Builds a tiny model (rlemp.tiny) in a temporary folder, makes ``--samples`` conversations of 1-4 exchanges
and scores the shipped follow-up sets (data/followups) after each with three methods on the same
token ids: the loop (one forward pass per (sample, follow-up)), FLR's shared-context batching (the default:
one pass over the contexts, the KV cache repeated over the follow-ups) and FLR's flat batching (padded
``context + follow-up`` rows). Each method runs once to warm up, then ``--repeats`` times; the medians are
compared and the scores checked to agree (allclose). Prints one line, then a JSON record
(``{"bench": "flr", "ratio": loop / shared, ...}``).
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time

import torch
from common import load_tiny_model

from rlemp.rewards.flr import FollowUpLikelihood, load_followups
from rlemp.tiny import BUILTIN_TEXT

LINES = [line for line in BUILTIN_TEXT.splitlines() if line.strip() and not line.startswith("{")]


def conversations(n: int) -> list[tuple[list[dict[str, str]], str]]:
    """``n`` deterministic (messages, reply) pairs of 1-4 exchanges built from the tiny corpus."""
    pairs = []
    for i in range(n):
        messages = []
        for turn in range(1 + i % 4):
            k = i + 2 * turn
            messages.append({"role": "user", "content": LINES[k % len(LINES)]})
            messages.append({"role": "assistant", "content": LINES[(k + 1) % len(LINES)]})
        messages.pop()  # end on the user's message: the reply to score follows it
        pairs.append((messages, LINES[(3 * i + 1) % len(LINES)]))
    return pairs


def loop_scores(model, contexts: list[list[int]], followup_ids: list[list[int]]) -> torch.Tensor:
    """The baseline: one forward pass per (context, follow-up), mean log-prob of the follow-up tokens."""
    scores = torch.zeros(len(contexts), len(followup_ids))
    with torch.no_grad():
        for i, context in enumerate(contexts):
            for f, follow in enumerate(followup_ids):
                ids = torch.tensor([context + follow], device=model.device)
                # logits only where the follow-up's tokens are predicted
                logits = model(ids, logits_to_keep=len(follow) + 1).logits[0, :-1]
                logp = torch.log_softmax(logits.float(), dim=-1)
                scores[i, f] = logp.gather(1, ids[0, len(context):, None]).mean().item()
    return scores


def median_time(fn, repeats: int) -> tuple[float, torch.Tensor]:
    result = fn()  # warm-up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=["tiny", "small"], default="tiny")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--samples", type=int, default=16)
    parser.add_argument("--batch-size", type=int, default=64, help="(sample, follow-up) rows per forward pass")
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads (1 keeps timings stable)")
    parser.add_argument("--device", default="cpu", help="cpu, cuda, ...")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    with tempfile.TemporaryDirectory() as tmp:
        model, tokenizer = load_tiny_model(tmp, args.size, args.device)
    positives, negatives = load_followups(None, "positive"), load_followups(None, "negative")
    shared = FollowUpLikelihood(model, tokenizer, positives, negatives, batch_size=args.batch_size)
    flat = FollowUpLikelihood(model, tokenizer, positives, negatives, batch_size=args.batch_size, share_context=False)
    contexts = [shared.context_ids(m, r) for m, r in conversations(args.samples)]

    loop_s, loop = median_time(lambda: loop_scores(model, contexts, shared.followup_ids), args.repeats)
    shared_s, batched = median_time(lambda: shared.followup_scores(contexts), args.repeats)
    flat_s, flat_scores = median_time(lambda: flat.followup_scores(contexts), args.repeats)
    max_diff = max((batched - loop).abs().max().item(), (flat_scores - loop).abs().max().item())
    if not (torch.allclose(batched, loop, atol=1e-4) and torch.allclose(flat_scores, loop, atol=1e-4)):
        raise SystemExit(f"batched and loop scores differ (max abs diff {max_diff:.2e})")

    record = {
        "bench": "flr",
        "size": args.size,
        "samples": args.samples,
        "followups": len(shared.followup_ids),
        "mean_context_tokens": round(sum(map(len, contexts)) / len(contexts), 1),
        "batch_size": args.batch_size,
        "repeats": args.repeats,
        "device": args.device,
        "threads": torch.get_num_threads(),
        "loop_s": round(loop_s, 4),
        "shared_context_s": round(shared_s, 4),
        "flat_batch_s": round(flat_s, 4),
        "ratio": round(loop_s / shared_s, 2),
        "ratio_flat": round(loop_s / flat_s, 2),
        "max_abs_diff": max_diff,
    }
    print(
        f"flr scoring, {args.samples} samples x {record['followups']} follow-ups ({args.size} model): "
        f"loop {loop_s:.3f}s, shared-context batch {shared_s:.3f}s ({record['ratio']}x), "
        f"flat batch {flat_s:.3f}s ({record['ratio_flat']}x); scores agree (max diff {max_diff:.1e})"
    )
    print(json.dumps(record))


if __name__ == "__main__":
    main()
