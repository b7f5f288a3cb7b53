"""Benchmark: simulated-user turns per second served by ``rlemp serve`` (rule backend) on loopback at 1, 16 and
128 concurrent clients, and with one batched request per turn, against calling the simulator in-process.

    python benchmarks/bench_serve.py [--smoke] [--repeats 3] [--max-turns 4] [--clients 1,16,128]

The server is a real ``rlemp serve`` process (``tests/serve_helpers.py`` starts it on a free port, with its
SQLite store in a temporary folder); the clients are asyncio tasks of this process sharing one httpx connection
pool, each playing conversations to the end (at most ``--max-turns`` agent turns), one reply request per turn
with its turn number. ``batched`` is one client sending every open conversation's reply in one
``/v1/replies/batch`` request per turn. The baseline is the rule simulator called in-process, one
``step`` at a time, on the same personas and replies (taken in a fixed order from the reply bank). Every served
turn is judged by the same simulator, committed to SQLite and sent over HTTP, so a ratio below 1 is the cost of
the service; on a shared 2-core machine the clients compete with the server for the same cores, so each row
also records the server process's own CPU time per served turn (``/proc``), next to the in-process time.
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import os
import sys
import tempfile
from pathlib import Path

from common import REPO_ROOT, emit, finish, interleaved, median, parser, personas

REPLY_BANK = REPO_ROOT / "data" / "corpus" / "reply_bank.jsonl"
SERVE_HELPERS = REPO_ROOT / "tests" / "serve_helpers.py"


def server_class():
    """``RlempServer`` from the tests folder (it runs ``rlemp serve`` as a subprocess)."""
    spec = importlib.util.spec_from_file_location("serve_helpers", SERVE_HELPERS)
    module = importlib.util.module_from_spec(spec)
    sys.modules["serve_helpers"] = module
    spec.loader.exec_module(module)
    return module.RlempServer


def reply_for(replies: list[str], k: int, turn: int) -> str:
    return replies[(7 * k + 13 * turn) % len(replies)]


def in_process(simulator, group, replies: list[str], max_turns: int) -> float:
    turns = 0
    for k, persona in enumerate(group):
        t = simulator.start(persona, k, max_turns)
        while not t.done:
            simulator.step(t, reply_for(replies, k, len(t.turns)))
            turns += 1
    return float(turns)


async def clients_play(url: str, clients: int, group, replies: list[str], max_turns: int) -> float:
    import httpx

    async def client(ids: list[int], http) -> int:
        turns = 0
        for k in ids:
            started = await http.post("/v1/conversations",
                                      json={"persona_id": group[k].id, "seed": k, "max_turns": max_turns})
            cid, turn, ended = started.json()["conversation_id"], 0, False
            while not ended:
                turn += 1
                answer = (await http.post(f"/v1/conversations/{cid}/reply",
                                          json={"reply": reply_for(replies, k, turn - 1), "turn": turn})).json()
                if "error" in answer:
                    raise SystemExit(f"server refused a reply: {answer['error']}")
                ended = answer["ended"]
            turns += turn
        return turns

    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=url, timeout=300, limits=limits) as http:
        done = await asyncio.gather(*(client(list(range(c, len(group), clients)), http) for c in range(clients)))
    return float(sum(done))


async def batched_play(url: str, group, replies: list[str], max_turns: int) -> float:
    """One client: every conversation opened in one request, then one batched reply request per turn."""
    import httpx

    async with httpx.AsyncClient(base_url=url, timeout=300) as http:
        starts = [{"persona_id": p.id, "seed": k, "max_turns": max_turns} for k, p in enumerate(group)]
        opened = (await http.post("/v1/conversations/batch", json={"conversations": starts})).json()["conversations"]
        open_ = {c["conversation_id"]: (k, 0) for k, c in enumerate(opened)}
        turns = 0
        while open_:
            items = [{"conversation_id": cid, "reply": reply_for(replies, k, n), "turn": n + 1}
                     for cid, (k, n) in open_.items()]
            results = (await http.post("/v1/replies/batch", json={"replies": items})).json()["turns"]
            for result in results:
                if "error" in result:
                    raise SystemExit(f"the simulator failed: {result['error']}")
                k, n = open_.pop(result["conversation_id"])
                turns += 1
                if not result["ended"]:
                    open_[result["conversation_id"]] = (k, n + 1)
    return float(turns)


def main() -> None:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--max-turns", type=int, default=None)
    p.add_argument("--clients", default=None, help="comma-separated numbers of concurrent clients")
    p.add_argument("--conversations", type=int, default=None, help="conversations per timed run (at least the clients)")
    args = finish(
        p.parse_args(),
        full={"max_turns": 4, "clients": "1,16,128", "conversations": 128},
        smoke={"max_turns": 1, "clients": "1,16,128", "conversations": 128, "repeats": 1},
    )
    from rlemp.simulators.rule import RuleSimulator

    clients = [int(c) for c in args.clients.split(",")]
    replies = [json.loads(line)["text"] for line in REPLY_BANK.read_text(encoding="utf-8").splitlines() if line.strip()]
    group = personas(max(args.conversations, *clients))
    serial_group = group[:max(16, len(group) // 8)]  # the one-client runs play fewer conversations (same rate)
    rule = RuleSimulator()
    with tempfile.TemporaryDirectory() as store, server_class()(Path(store), personas=personas_file(group, store)) as server:
        server_cpu: dict[str, list[float]] = {}  # server CPU seconds per served turn, per method

        def measured(name: str, play):
            def run() -> float:
                before = process_cpu_s(server.process.pid)
                turns = play()
                server_cpu.setdefault(name, []).append((process_cpu_s(server.process.pid) - before) / turns)
                return turns

            return run

        methods = {"in_process": lambda: in_process(rule, group, replies, args.max_turns)}
        for n in clients:
            chosen = serial_group if n == 1 else group
            methods[f"clients_{n}"] = measured(f"clients_{n}", lambda n=n, chosen=chosen: asyncio.run(
                clients_play(server.url, n, chosen, replies, args.max_turns)))
        methods["batched"] = measured("batched", lambda: asyncio.run(batched_play(server.url, group, replies,
                                                                                  args.max_turns)))
        rates = interleaved(methods, args.repeats)
    baseline_rate = median(rates["in_process"])
    baseline = "in-process rule simulator, one step at a time"
    details = {"unit": "turns/s", "max_turns": args.max_turns, "conversations": len(group), "repeats": args.repeats,
               "device": "cpu", "baseline_value": round(baseline_rate, 1)}
    summary = [f"in-process {baseline_rate:.0f} turns/s"]
    for n in clients:
        rate, cpu_ms = median(rates[f"clients_{n}"]), 1000 * median(server_cpu[f"clients_{n}"])
        summary.append(f"{n} clients {rate:.0f} turns/s ({rate / baseline_rate:.2f}x, server {cpu_ms:.1f} ms CPU/turn)")
        emit("serve", f"rlemp serve, {n} concurrent client{'s' if n > 1 else ''}", baseline, rate / baseline_rate,
             value=round(rate, 1), clients=n, server_cpu_ms_per_turn=round(cpu_ms, 2), **details)
    rate, cpu_ms = median(rates["batched"]), 1000 * median(server_cpu["batched"])
    summary.append(f"batched {rate:.0f} turns/s ({rate / baseline_rate:.2f}x, server {cpu_ms:.1f} ms CPU/turn)")
    emit("serve", f"rlemp serve, one batched request per turn ({len(group)} conversations)", baseline,
         rate / baseline_rate, value=round(rate, 1), server_cpu_ms_per_turn=round(cpu_ms, 2), **details)
    print(f"serve, rule backend on loopback: {'; '.join(summary)}; in-process {1000 / baseline_rate:.1f} ms/turn",
          flush=True)


def process_cpu_s(pid: int) -> float:
    """User + system CPU seconds of a process so far (Linux ``/proc``)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def personas_file(group, folder: str) -> Path:
    """The benchmark's personas as the server's bank (ids must be unique: repeats are left out)."""
    path = Path(folder) / "personas.jsonl"
    unique = {p.id: p for p in group}
    path.write_text("".join(p.model_dump_json(exclude_none=True) + "\n" for p in unique.values()), encoding="utf-8")
    return path


if __name__ == "__main__":
    main()
