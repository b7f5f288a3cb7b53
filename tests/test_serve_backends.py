"""``rlemp serve`` with the LLM backends that run here: ``openai`` against the fake OpenAI-compatible server and
``hf`` with the tiny local model (constrained mode). Each plays whole conversations over HTTP, batched, and
matches the same backend run in-process; the served transcripts verify."""

from __future__ import annotations

import json

import httpx
import pytest
from fake_openai_server import FakeOpenAIServer
from serve_helpers import EMPATHIC, RlempServer

from rlemp.paths import EVAL_PERSONAS
from rlemp.personas import load_personas
from rlemp.simulators import build_simulator
from rlemp.transcript import Transcript

PERSONAS = load_personas(EVAL_PERSONAS)[:4]


def play_batched(url: str, max_turns: int) -> list[Transcript]:
    with httpx.Client(base_url=url, timeout=120) as http:
        starts = [{"persona_id": p.id, "seed": i, "max_turns": max_turns} for i, p in enumerate(PERSONAS)]
        opened = http.post("/v1/conversations/batch", json={"conversations": starts}).json()["conversations"]
        ids = [c["conversation_id"] for c in opened]
        turns = dict.fromkeys(ids, 0)
        while turns:
            items = [{"conversation_id": cid, "reply": EMPATHIC[n], "turn": n + 1} for cid, n in turns.items()]
            for result in http.post("/v1/replies/batch", json={"replies": items}).json()["turns"]:
                assert "error" not in result, result
                turns[result["conversation_id"]] += 1
                if result["ended"]:
                    del turns[result["conversation_id"]]
        served = [Transcript.model_validate(http.get(f"/v1/conversations/{cid}").json()) for cid in ids]
        for cid in ids:
            assert http.get(f"/v1/conversations/{cid}/verify").json()["ok"] is True
        metrics = http.get("/metrics").json()
        assert metrics["turns_served"] == sum(len(t.turns) for t in served)
    return served


def in_process(backend: str, config: dict, max_turns: int) -> list[Transcript]:
    sim = build_simulator(backend, config)
    transcripts = [sim.start(p, i, max_turns) for i, p in enumerate(PERSONAS)]
    while any(not t.done for t in transcripts):
        open_ = [t for t in transcripts if not t.done]
        sim.step_many(open_, [EMPATHIC[len(t.turns)] for t in open_])
    return transcripts


def assert_same(served: list[Transcript], local: list[Transcript]) -> None:
    for s, t in zip(served, local, strict=True):
        assert [(u.user, u.emotion, u.delta, u.rationale, u.fallback) for u in s.turns] == \
               [(u.user, u.emotion, u.delta, u.rationale, u.fallback) for u in t.turns]
        assert (s.backend, s.config_hash, s.outcome) == (t.backend, t.config_hash, t.outcome)


def test_openai_backend_served(tmp_path):
    with FakeOpenAIServer() as fake:
        config = {"base_url": fake.base_url, "model": "fake-model", "api_key_env": None, "cache_dir": None,
                  "timeout_s": 10}
        path = tmp_path / "openai.json"
        path.write_text(json.dumps(config), encoding="utf-8")
        with RlempServer(tmp_path / "store", "--backend", "openai", "--simulator-config", str(path),
                         personas=EVAL_PERSONAS) as server:
            served = play_batched(server.url, max_turns=3)
        assert_same(served, in_process("openai", config, 3))


@pytest.mark.slow
def test_hf_backend_served_with_the_tiny_model(tmp_path, tiny_model_dir):
    config = {"model": str(tiny_model_dir), "mode": "constrained", "temperature": 0.0, "reply_tokens": 6}
    path = tmp_path / "hf.json"
    path.write_text(json.dumps(config), encoding="utf-8")
    with RlempServer(tmp_path / "store", "--backend", "hf", "--simulator-config", str(path)) as server:
        served = play_batched(server.url, max_turns=2)
    assert_same(served, in_process("hf", config, 2))
