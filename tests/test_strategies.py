"""Scripted agents against the rule backend: kind, attentive replies must beat ignoring the person, which must
beat dismissing them, and manipulation must do no better than dismissing (run with -s to see the means)."""

from __future__ import annotations

import json
import statistics
import time
from pathlib import Path

import pytest

from rlemp.personas import load_personas
from rlemp.rollout import run_scripted
from rlemp.simulators import build_simulator

ROOT = Path(__file__).resolve().parents[1]
SCRIPTS = ROOT / "tests" / "data" / "scripts"
STRATEGIES = ("empathic", "off_topic", "dismissive", "manipulative")
BANKS = {
    "eval": ROOT / "simulators" / "personas" / "eval.jsonl",  # the bundled evaluation personas
    "small": ROOT / "tests" / "data" / "personas_small.jsonl",
}


@pytest.fixture(scope="module", params=sorted(BANKS))
def results(request):
    """``(bank name, {strategy: transcripts})`` for every strategy, 8 turns, seed 0."""
    path = BANKS[request.param]
    if not path.exists():
        pytest.fail(f"{path} is missing: the bundled eval personas are required")
    personas = load_personas(path)
    sim = build_simulator("rule")
    runs, turns, start = {}, 0, time.perf_counter()
    for name in STRATEGIES:
        script = json.loads((SCRIPTS / f"{name}.json").read_text(encoding="utf-8"))
        runs[name] = run_scripted(sim, personas, script, seed=0, max_turns=8)
        assert len(runs[name]) == len(personas)
        turns += sum(len(t.turns) for t in runs[name])
    elapsed = time.perf_counter() - start
    means = {name: statistics.mean(t.final_emotion for t in ts) for name, ts in runs.items()}
    print(f"\n{request.param} ({len(personas)} personas): "
          + ", ".join(f"{name} {mean:.1f}" for name, mean in means.items())
          + f"; rule backend {turns / elapsed:.0f} turns/s")
    return request.param, runs


def mean_final(transcripts) -> float:
    return statistics.mean(t.final_emotion for t in transcripts)


def test_mean_final_emotion_ranks_the_strategies(results):
    _, runs = results
    empathic, off_topic, dismissive, manipulative = (mean_final(runs[name]) for name in STRATEGIES)
    assert empathic > off_topic > dismissive >= manipulative


def test_empathy_beats_dismissal_persona_by_persona(results):
    _, runs = results
    pairs = list(zip(runs["empathic"], runs["dismissive"]))
    wins = sum(kind.final_emotion > cold.final_emotion for kind, cold in pairs)
    assert wins >= 0.9 * len(pairs)


def test_manipulation_never_pays(results):
    _, runs = results
    for t in runs["manipulative"]:
        assert t.outcome in ("failure", "max_turns") and t.final_emotion < t.initial_emotion
        assert all(turn.delta < 0 for turn in t.turns)
