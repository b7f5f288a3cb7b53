"""Benchmark: the batched multi-turn rollout engine, with the KV cache carried across turns, against the same
engine re-encoding every turn, one conversation at a time, and TRL's own single-turn generation, in policy
tokens per second.

    python benchmarks/bench_rollout.py [--smoke] [--size tiny|small] [--model NAME_OR_PATH] [--repeats 3]
        [--conversations 1,8,32] [--no-sequential]

For each number of conversations N, on the same model (the tiny model of ``--size`` built by :mod:`rlemp.tiny`,
or ``--model``: a folder or a pulled short name such as ``smollm2-135m-instruct``), rule simulator and personas:

* ``batched``: :func:`rlemp.rollout.run_conversations` plays all N conversations together (one ``generate`` per
  turn for every open conversation, the simulator's ``step_many`` in between), carrying each conversation's KV
  cache to its next turn, which then encodes only the user's new message;
* ``re-encoding``: the same, re-encoding the whole conversation every turn (``kv_cache=False``);
* ``sequential``: the batched engine called with one conversation at a time, N times (``--no-sequential``
  skips it: slow on real models);
* ``trl``: TRL's ``GRPOTrainer._generate_single_turn`` (plain transformers generation, the path GRPO takes
  without ``rollout_func``) on the same N prompts (system prompt + persona opening, the engine's first turn),
  with ``max_completion_length`` equal to the engine's tokens per turn and the same sampling.

Throughput is the policy's generated tokens (its replies and the EOS it chose; ``env_mask`` 1) per second of
the whole call, simulator turns included for the engine. ``batched / re-encoding`` is what the carried cache
saves; ``batched / sequential`` the batching speed-up (target: at least 5 at 32 conversations); ``batched /
trl`` compares a multi-turn conversation with one single-turn ``generate`` of the same batch (target: at least
0.9 at 32 conversations): later turns attend over a longer context and the batch shrinks as conversations end,
so a ratio near 1 means the multi-turn engine costs about what TRL's single-turn path does per generated token.
Sampling uses temperature 1 with a fixed torch seed per call, so repeats do equal work; the two engines' streams
are checked to agree under greedy decoding first.
"""

from __future__ import annotations

import tempfile

from common import (device_name, emit, finish, interleaved, load_eval_model, load_tiny_model, median, parser,
                    personas, setup_torch)


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


def load_model(args, folder: str):
    """(model, tokenizer, label): ``--model`` when given, else the tiny model of ``--size``."""
    if args.model is None:
        model, tokenizer = load_tiny_model(folder, args.size, args.device)
        return model, tokenizer, f"rlemp tiny model ({args.size})"
    from rlemp.models import resolve

    model, tokenizer = load_eval_model(resolve(args.model), args.device)
    return model, tokenizer, args.model


def check_equal_streams(model, tokenizer, simulator, group, seeds, max_turns: int, turn_tokens: int) -> None:
    """Greedy streams with the carried cache equal the re-encoding ones (else the timing would be moot)."""
    from rlemp.rollout import GenerationSettings, ModelPolicy, run_conversations

    played = []
    for kv_cache in (True, False):
        policy = ModelPolicy(model, tokenizer, GenerationSettings(max_new_tokens=turn_tokens, temperature=0.0),
                             kv_cache=kv_cache)
        rollout = run_conversations(simulator, group, policy, seeds, max_turns)
        played.append([(c.stream.completion_ids, c.stream.env_mask) for c in rollout.conversations])
    if played[0] != played[1]:
        raise SystemExit("the carried KV cache changed the greedy token streams")


def main() -> None:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--model", default=None, help="a model folder or pulled short name instead of the tiny model")
    p.add_argument("--conversations", default="1,8,32", help="comma-separated numbers of conversations")
    p.add_argument("--max-turns", type=int, default=None, help="agent turns per conversation")
    p.add_argument("--turn-tokens", type=int, default=None, help="max new tokens per agent turn")
    p.add_argument("--no-sequential", action="store_true", help="skip the one-conversation-at-a-time baseline")
    args = finish(p.parse_args(), full={"max_turns": 3, "turn_tokens": 40}, smoke={"max_turns": 2, "turn_tokens": 12})
    setup_torch(args)

    import torch

    from rlemp.rollout import GenerationSettings, ModelPolicy, run_conversations
    from rlemp.simulators.rule import RuleSimulator

    counts = [int(n) for n in args.conversations.split(",")]
    with tempfile.TemporaryDirectory() as tmp:
        model, tokenizer, model_label = load_model(args, tmp)
        trainer = trl_single_turn(model, tokenizer, args.turn_tokens, f"{tmp}/trl", args.device)
    model.eval()
    simulator = RuleSimulator()
    settings = GenerationSettings(max_new_tokens=args.turn_tokens, temperature=1.0)
    policies = {kv: ModelPolicy(model, tokenizer, settings, kv_cache=kv) for kv in (True, False)}
    check_equal_streams(model, tokenizer, simulator, personas(4), list(range(4)), args.max_turns, args.turn_tokens)

    def policy_tokens(groups, kv_cache: bool = True) -> float:
        torch.manual_seed(0)
        tokens = 0
        for group, seeds in groups:
            rollout = run_conversations(simulator, group, policies[kv_cache], seeds, args.max_turns)
            tokens += sum(sum(c.stream.env_mask) for c in rollout.conversations)
        return float(tokens)

    for n in counts:
        label = f"{n} conversation{'s' if n > 1 else ''}"
        group, seeds = personas(n), list(range(n))
        prompt_ids = [policies[True].prompt_ids(simulator.start(p, s, args.max_turns)) for p, s in zip(group, seeds)]

        def trl_tokens() -> float:
            torch.manual_seed(0)
            completions, _ = trainer._generate_single_turn(prompt_ids, None, {}, 1)
            return float(sum(len(c) for c in completions))

        methods = {
            "batched": lambda: policy_tokens([(group, seeds)]),
            "re-encoding": lambda: policy_tokens([(group, seeds)], kv_cache=False),
            "trl": trl_tokens,
        }
        if not args.no_sequential:
            methods["sequential"] = lambda: policy_tokens([([p], [s]) for p, s in zip(group, seeds)])
        rates = {k: median(v) for k, v in interleaved(methods, args.repeats, args.device).items()}
        batched = rates["batched"]
        shared = {
            "conversations": n,
            "unit": "policy tokens/s",
            "model": model_label,
            "max_turns": args.max_turns,
            "turn_tokens": args.turn_tokens,
            "repeats": args.repeats,
            "device": device_name(args.device),
            "threads": torch.get_num_threads(),
        }
        print(
            f"rollout, {label} ({model_label}): batched {batched:.0f} tok/s, re-encoding {rates['re-encoding']:.0f} "
            f"tok/s ({batched / rates['re-encoding']:.2f}x), TRL single-turn {rates['trl']:.0f} tok/s "
            f"({batched / rates['trl']:.2f}x)"
            + (f", sequential {rates['sequential']:.0f} tok/s ({batched / rates['sequential']:.2f}x)"
               if "sequential" in rates else ""),
            flush=True,
        )
        metric = f"batched multi-turn rollouts, {label}" + (f", {model_label}" if args.model else "")
        rows = [
            ("re-encoding", "the same engine re-encoding every turn", None),
            ("trl", "TRL single-turn generation (same batch)", ">= 0.9" if n == 32 else None),
            ("sequential", "one conversation at a time", ">= 5" if n == 32 else None),
        ]
        for key, baseline, target in rows:
            if key in rates:
                emit("rollout", metric, baseline, batched / rates[key], value=round(batched, 1),
                     baseline_value=round(rates[key], 1), target=target, **shared)


if __name__ == "__main__":
    main()
