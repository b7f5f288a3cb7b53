"""Benchmark: simulated-user turns per second, the ``rule`` backend and the ``openai`` backend against a local
server with a fixed latency, at concurrency 1 and 16.

    python benchmarks/bench_simulator.py [--smoke] [--repeats 3] [--conversations 16] [--max-turns 4] [--delay 0.05]

Every method plays ``--conversations`` conversations with the first training personas to the end (at most
``--max-turns`` agent turns), every open conversation advancing together through ``step_many`` as in a
rollout; the agent's replies are taken in a fixed order from the reply bank
(``data/corpus/reply_bank.jsonl``, every category, helpful and hurtful). The ``openai`` backend talks to
``tests/fake_openai_server.py`` (a real HTTP server in its own process that answers after ``--delay`` seconds)
with its request cache off and ``concurrency`` 1 or 16 worker threads.

The baseline is the ``openai`` backend at concurrency 1 (one request at a time). ``openai, concurrency 16``
over it is the concurrency speed-up (at most ``min(16, conversations)`` when the latency dominates);
``rule`` over it says how many times faster the offline rule simulator is than an LLM endpoint that answers
in ``--delay`` seconds, which is a lower bound for a real one. ``rule`` turns/s is also printed as is, and
so is the baseline's measured time per request (the delay plus the HTTP round trip).
"""

from __future__ import annotations

import importlib.util
import json

from common import REPO_ROOT, emit, finish, interleaved, median, parser, personas

from rlemp.simulators.base import SimulatorError

REPLY_BANK = REPO_ROOT / "data" / "corpus" / "reply_bank.jsonl"
FAKE_SERVER = REPO_ROOT / "tests" / "fake_openai_server.py"


def fake_server_class():
    """``FakeOpenAIServer`` from the tests folder (it runs that file as a subprocess)."""
    spec = importlib.util.spec_from_file_location("fake_openai_server", FAKE_SERVER)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.FakeOpenAIServer


def play(simulator, group, replies: list[str], max_turns: int) -> float:
    """Play every conversation to its end with ``step_many``; returns the number of turns taken."""
    transcripts = [simulator.start(p, seed, max_turns) for seed, p in enumerate(group)]
    open_ = list(range(len(transcripts)))
    turns = 0
    while open_:
        batch = [transcripts[i] for i in open_]
        answers = [replies[(7 * i + 13 * len(transcripts[i].turns)) % len(replies)] for i in open_]
        results = simulator.step_many(batch, answers)
        failed = [r for r in results if isinstance(r, SimulatorError)]
        if failed:
            raise SystemExit(f"simulator failed: {failed[0]}")
        turns += len(batch)
        open_ = [i for i in open_ if not transcripts[i].done]
    return float(turns)


def main() -> None:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--conversations", type=int, default=None)
    p.add_argument("--max-turns", type=int, default=None)
    p.add_argument("--delay", type=float, default=None, help="the fake server's latency in seconds")
    p.add_argument("--concurrency", type=int, default=16)
    args = finish(
        p.parse_args(),
        full={"conversations": 16, "max_turns": 4, "delay": 0.05},
        smoke={"conversations": 16, "max_turns": 2, "delay": 0.02},
    )

    from rlemp.simulators.openai import OpenAISimulator
    from rlemp.simulators.rule import RuleSimulator

    replies = [json.loads(line)["text"] for line in REPLY_BANK.read_text(encoding="utf-8").splitlines() if line.strip()]
    group = personas(args.conversations)
    rule = RuleSimulator()
    with fake_server_class()("--delay", str(args.delay)) as server:

        def openai(concurrency: int) -> OpenAISimulator:
            return OpenAISimulator({
                "base_url": server.base_url, "model": "fake", "api_key_env": None, "cache_dir": None,
                "concurrency": concurrency,
            })

        serial, concurrent = openai(1), openai(args.concurrency)
        rates = interleaved(
            {
                "rule": lambda: play(rule, group, replies, args.max_turns),
                "openai_1": lambda: play(serial, group, replies, args.max_turns),
                "openai_n": lambda: play(concurrent, group, replies, args.max_turns),
            },
            args.repeats,
        )
    rule_rate, serial_rate, concurrent_rate = (median(rates[k]) for k in ("rule", "openai_1", "openai_n"))
    details = {
        "unit": "turns/s",
        "conversations": args.conversations,
        "max_turns": args.max_turns,
        "server_delay_s": args.delay,
        "repeats": args.repeats,
        "device": "cpu",
    }
    print(
        f"simulator, {args.conversations} conversations: rule {rule_rate:.0f} turns/s "
        f"({1000 / rule_rate:.2f} ms/turn); openai at {args.delay * 1000:.0f} ms latency: concurrency 1 "
        f"{serial_rate:.1f} turns/s, concurrency {args.concurrency} {concurrent_rate:.1f} turns/s "
        f"({concurrent_rate / serial_rate:.2f}x)",
        flush=True,
    )
    baseline = f"openai backend, concurrency 1 (local server, {args.delay * 1000:.0f} ms delay)"
    details["baseline_ms_per_request"] = round(1000 / serial_rate, 1)  # the delay plus the HTTP round trip
    emit("simulator", f"openai backend, concurrency {args.concurrency}", baseline, concurrent_rate / serial_rate,
         value=round(concurrent_rate, 2), baseline_value=round(serial_rate, 2),
         ideal=min(args.concurrency, args.conversations), **details)
    emit("simulator", "rule backend", baseline, rule_rate / serial_rate,
         value=round(rule_rate, 1), baseline_value=round(serial_rate, 2), ms_per_turn=round(1000 / rule_rate, 3),
         **details)


if __name__ == "__main__":
    main()
