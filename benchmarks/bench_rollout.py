"""Benchmark: the batched multi-turn rollout engine against a one-conversation-at-a-time loop and against TRL's
own single-turn generation, in policy tokens per second.

    python benchmarks/bench_rollout.py [--smoke] [--size tiny|small] [--repeats 3] [--conversations 1,8,32]

For each number of conversations N, on the same tiny model (:mod:`rlemp.tiny`), rule simulator and personas:

* ``batched``: :func:`rlemp.rollout.rollout_model` plays all N conversations together (one ``generate`` per
  turn for every open conversation, the simulator's ``step_many`` in between);
* ``sequential``: the same engine called with one conversation at a time, N times;
* ``trl``: TRL's ``GRPOTrainer._generate_single_turn`` (plain transformers generation, the path GRPO takes
  without ``rollout_func``) on the same N prompts (system prompt + persona opening, the engine's first turn),
  with ``max_completion_length`` equal to the engine's tokens per turn and the same sampling.

Throughput is the policy's generated tokens (its replies and the EOS it chose; ``env_mask`` 1) per second of
the whole call, simulator turns included for the engine. ``batched / sequential`` is the batching speed-up
(target: at least 5 at 32 conversations). ``batched / trl`` compares a multi-turn conversation with one
single-turn ``generate`` of the same batch: later turns re-read a longer context and the batch shrinks as
conversations end, so a ratio near 1 means the multi-turn engine costs about what TRL's single-turn path does
per generated token. Sampling uses temperature 1 with a fixed torch seed per call, so repeats do equal work.
"""

from __future__ import annotations

import tempfile

from common import device_name, emit, finish, interleaved, load_tiny_model, median, parser, personas, setup_torch


def trl_single_turn(model, tokenizer, max_new_tokens: int, output_dir: str, device: str):
    """A plain ``GRPOTrainer`` on ``model`` (no rollout function) whose single-turn generation we time."""
    from datasets import Dataset
    from trl import GRPOConfig, GRPOTrainer

    def no_reward(completions, **_):
        return [0.0] * len(completions)

    config = GRPOConfig(
        output_dir=output_dir,
        per_device_train_batch_size=2,
        num_generations=2,
        max_completion_length=max_new_tokens,
        temperature=1.0,
        report_to="none",
        use_cpu=device == "cpu",
        bf16=False,
    )
    return GRPOTrainer(
        model=model,
        reward_funcs=no_reward,
        args=config,
        train_dataset=Dataset.from_list([{"prompt": [{"role": "user", "content": "hi"}]}] * 2),
        processing_class=tokenizer,
    )


def main() -> None:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--conversations", default="1,8,32", help="comma-separated numbers of conversations")
    p.add_argument("--max-turns", type=int, default=None, help="agent turns per conversation")
    p.add_argument("--turn-tokens", type=int, default=None, help="max new tokens per agent turn")
    args = finish(p.parse_args(), full={"max_turns": 3, "turn_tokens": 40}, smoke={"max_turns": 2, "turn_tokens": 12})
    setup_torch(args)

    import torch

    from rlemp.rollout import GenerationSettings, ModelPolicy, rollout_model
    from rlemp.simulators.rule import RuleSimulator

    counts = [int(n) for n in args.conversations.split(",")]
    with tempfile.TemporaryDirectory() as tmp:
        model, tokenizer = load_tiny_model(tmp, args.size, args.device)
        trainer = trl_single_turn(model, tokenizer, args.turn_tokens, f"{tmp}/trl", args.device)
    model.eval()
    simulator = RuleSimulator()
    policy = ModelPolicy(model, tokenizer, GenerationSettings(max_new_tokens=args.turn_tokens, temperature=1.0))

    def policy_tokens(groups) -> float:
        torch.manual_seed(0)
        tokens = 0
        for group, seeds in groups:
            _, streams = rollout_model(policy, simulator, group, seeds, args.max_turns)
            tokens += sum(sum(s.env_mask) for s in streams)
        return float(tokens)

    for n in counts:
        label = f"{n} conversation{'s' if n > 1 else ''}"
        group, seeds = personas(n), list(range(n))
        prompt_ids = [policy.prompt_ids(simulator.start(p, s, args.max_turns)) for p, s in zip(group, seeds)]

        def trl_tokens() -> float:
            torch.manual_seed(0)
            completions, _ = trainer._generate_single_turn(prompt_ids, None, {}, 1)
            return float(sum(len(c) for c in completions))

        rates = interleaved(
            {
                "batched": lambda: policy_tokens([(group, seeds)]),
                "sequential": lambda: policy_tokens([([p], [s]) for p, s in zip(group, seeds)]),
                "trl": trl_tokens,
            },
            args.repeats,
            args.device,
        )
        batched, sequential, trl = (median(rates[k]) for k in ("batched", "sequential", "trl"))
        shared = {
            "conversations": n,
            "unit": "policy tokens/s",
            "size": args.size,
            "max_turns": args.max_turns,
            "turn_tokens": args.turn_tokens,
            "repeats": args.repeats,
            "device": device_name(args.device),
            "threads": torch.get_num_threads(),
        }
        print(
            f"rollout, {label} ({args.size} model): batched {batched:.0f} tok/s, sequential "
            f"{sequential:.0f} tok/s ({batched / sequential:.2f}x), TRL single-turn {trl:.0f} tok/s "
            f"({batched / trl:.2f}x)",
            flush=True,
        )
        emit(
            "rollout",
            f"batched multi-turn rollouts, {label}",
            "one conversation at a time",
            batched / sequential,
            value=round(batched, 1),
            baseline_value=round(sequential, 1),
            target=">= 5" if n == 32 else None,
            **shared,
        )
        emit(
            "rollout",
            f"batched multi-turn rollouts, {label}",
            "TRL single-turn generation (same batch)",
            batched / trl,
            value=round(batched, 1),
            baseline_value=round(trl, 1),
            **shared,
        )


if __name__ == "__main__":
    main()
