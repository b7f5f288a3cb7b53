"""Comparing two evaluations: the paired verdict (mean change per persona with a seeded bootstrap interval),
seeds averaged, sample replies, what is written where, and markdown that escapes only what it must."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rlemp.evaluation import (EvalMetrics, compare, compute_metrics, paired_verdict, persona_differences,
                              setup_differences, verdict_sentence)
from rlemp.personas import load_personas
from rlemp.report import md_text
from rlemp.rollout import run_scripted
from rlemp.simulators import build_simulator
from rlemp.transcript import TranscriptWriter

DATA = Path(__file__).parent / "data"
PERSONAS = DATA / "personas_small.jsonl"


def test_constant_differences_give_a_point_interval_that_excludes_zero():
    v = paired_verdict([2.0, 2.0, 2.0])
    assert (v["mean"], v["low"], v["high"], v["excludes_zero"], v["n_personas"]) == (2.0, 2.0, 2.0, True, 3)


def test_the_percentile_bootstrap_interval_on_a_constructed_sample():
    # 19 personas gain 5, one loses 5: a resample's mean is 5 - k/2 for k draws of the loss (k ~ Binomial(20, 0.05)).
    # P(k >= 4) = 0.016 < 2.5% < P(k >= 3) = 0.075, so the lower end is 5 - 3/2; P(k = 0) = 0.36, so the upper is 5.
    v = paired_verdict([5.0] * 19 + [-5.0])
    assert (v["mean"], v["low"], v["high"], v["excludes_zero"]) == (4.5, 3.5, 5.0, True)
    assert paired_verdict([5.0] * 19 + [-5.0]) == v  # seeded: a rerun gives the same interval


def test_symmetric_differences_are_within_the_noise():
    v = paired_verdict([3.0, -3.0] * 10)
    assert v["mean"] == 0.0 and v["low"] < 0 < v["high"] and not v["excludes_zero"]
    assert "no clear difference" in verdict_sentence(v, [0]) and "includes 0" in verdict_sentence(v, [0])


def test_too_few_personas_give_no_interval():
    v = paired_verdict([4.0])
    assert (v["mean"], v["low"], v["high"], v["excludes_zero"]) == (4.0, None, None, False)
    assert verdict_sentence(v, [0]).startswith("no verdict")


def test_verdict_sentence_states_direction_interval_and_seeds():
    better = {"n_personas": 32, "mean": 7.8, "low": 3.1, "high": 12.4, "confidence": 0.95, "excludes_zero": True}
    assert verdict_sentence(better, [0, 1, 2]) == (
        "B is better than A: final emotion +7.8 per persona on average (95% bootstrap interval +3.1 to +12.4, "
        "32 personas, seeds 0, 1, 2 averaged); the interval excludes 0")
    worse = {**better, "mean": -2.0, "low": -3.0, "high": -1.0}
    assert verdict_sentence(worse, [5]).startswith("B is worse than A: final emotion -2.0")


def write_eval(folder: Path, transcripts, seed: int) -> Path:
    """An ``rlemp eval`` folder written by hand: metrics.json and transcripts.jsonl."""
    folder.mkdir(parents=True)
    metrics = {**compute_metrics(transcripts), "model": "m", "adapter": None, "personas": str(PERSONAS),
               "simulator": {"backend": "rule", "config_hash": "sha256:c0ffee", "version": "2.0"}, "seed": seed,
               "max_turns": 3}
    (folder / "metrics.json").write_text(json.dumps(metrics))
    with TranscriptWriter(folder / "transcripts.jsonl", mode="w") as writer:
        writer.write_all(transcripts)
    return folder


@pytest.fixture(scope="module")
def two_seeds(tmp_path_factory):
    """A dismissive agent (A) and an empathic one (B), each evaluated with seeds 0 and 1 on 8 personas."""
    root = tmp_path_factory.mktemp("runs")
    personas, sim = load_personas(PERSONAS), build_simulator("rule")
    runs = {}
    for side, script in (("a", "dismissive"), ("b", "empathic")):
        replies = json.loads((DATA / "scripts" / f"{script}.json").read_text())
        for seed in (0, 1):
            runs[side, seed] = run_scripted(sim, personas, replies, seed=seed * 1000, max_turns=3)
            write_eval(root / side / f"seed{seed}", runs[side, seed], seed)
    return root, runs


def test_seeds_are_paired_and_averaged_per_persona(two_seeds):
    root, runs = two_seeds
    result = compare(root / "a", root / "b")
    assert result["seeds"] == [0, 1] and result["warnings"] == []
    finals = {key: {t.persona_id: t.final_emotion for t in ts} for key, ts in runs.items()}
    expected = {pid: ((finals["b", 0][pid] - finals["a", 0][pid]) + (finals["b", 1][pid] - finals["a", 1][pid])) / 2
                for pid in finals["a", 0]}
    assert persona_differences([(runs["a", s], runs["b", s]) for s in (0, 1)]) == expected
    assert result["verdict"]["mean"] == pytest.approx(sum(expected.values()) / len(expected))
    assert result["verdict"]["excludes_zero"] and result["verdict"]["text"].startswith("B is better than A")
    for row in result["by_persona"]:
        pid = row["persona_id"]
        assert row["a"] == pytest.approx((finals["a", 0][pid] + finals["a", 1][pid]) / 2)
        assert row["change"] == pytest.approx(expected[pid])
    score = result["overall"]["sentient_score"]
    assert score["a"] == pytest.approx(sum(finals["a", 0].values()) / 16 + sum(finals["a", 1].values()) / 16)


def test_samples_show_the_same_opening_before_and_after(two_seeds):
    root, runs = two_seeds
    result = compare(root / "a" / "seed0", root / "b" / "seed0")
    samples = result["samples"]
    assert len(samples) == 3 and len({s["persona_id"] for s in samples}) == 3
    by_id = {side: {t.persona_id: t for t in runs[side, 0]} for side in ("a", "b")}
    changes = [s["change"] for s in samples]
    assert changes[:2] == sorted(changes[:2], reverse=True) and changes[2] == min(
        by_id["b"][p].final_emotion - by_id["a"][p].final_emotion for p in by_id["a"])
    for s in samples:
        a, b = by_id["a"][s["persona_id"]], by_id["b"][s["persona_id"]]
        assert s["opening"] == a.opening == b.opening
        assert (s["a"]["agent"], s["b"]["agent"]) == (a.turns[0].agent, b.turns[0].agent)


def test_comparison_writes_only_where_asked(two_seeds, tmp_path):
    root, _ = two_seeds
    before = sorted(p.name for p in (root / "b" / "seed0").iterdir())
    compare(root / "a" / "seed0", root / "b" / "seed0")
    assert sorted(p.name for p in (root / "b" / "seed0").iterdir()) == before
    result = compare(root / "a", root / "b", out_path=tmp_path / "cmp")
    md = (tmp_path / "cmp" / "comparison.md").read_text()
    assert "## Verdict" in md and md_text(result["verdict"]["text"]) in md
    assert "## Sample replies" in md and "evaluation seeds: 0, 1" in md
    assert json.loads((tmp_path / "cmp" / "comparison.json").read_text()) == result


def test_unmatched_seeds_are_left_out_with_a_warning(two_seeds, tmp_path):
    root, runs = two_seeds
    b = tmp_path / "b"
    write_eval(b / "seed0", runs["b", 0], 0)
    result = compare(root / "a", b)
    assert result["seeds"] == [0] and result["warnings"] == ["seed 1 was evaluated on side A only; left out"]


@pytest.mark.parametrize(("text", "markdown"), [
    ("practical_advice and eval_001", "practical_advice and eval_001"),
    ("_emphasis_ and __init__", "\\_emphasis\\_ and \\_\\_init\\_\\_"),
    ("a *b* [c] | d <e>", "a \\*b\\* \\[c\\] \\| d &lt;e&gt;"),
])
def test_markdown_escapes_only_what_could_change_the_rendering(text, markdown):
    assert md_text(text) == markdown


def test_identical_evaluations_say_there_is_no_difference():
    v = paired_verdict([0.0, 0.0, 0.0, 0.0])
    assert (v["low"], v["high"], v["excludes_zero"]) == (0.0, 0.0, False)
    assert verdict_sentence(v, [0]) == ("no difference between A and B: every one of the 4 personas ended with the "
                                        "same emotion (seed 0)")


def test_cli_compare_prints_the_verdict_and_writes_only_with_out(two_seeds, tmp_path):
    from typer.testing import CliRunner

    from rlemp.cli import app

    root, _ = two_seeds
    before = sorted(str(p.relative_to(root)) for p in root.rglob("*"))
    printed = CliRunner().invoke(app, ["eval", "--compare", str(root / "a"), str(root / "b")])
    assert printed.exit_code == 0, printed.output
    assert "verdict: B is better than A" in " ".join(printed.output.split()) and "wrote" not in printed.output
    assert sorted(str(p.relative_to(root)) for p in root.rglob("*")) == before
    written = CliRunner().invoke(app, ["eval", "--compare", str(root / "a"), str(root / "b"), "--out", str(tmp_path)])
    assert written.exit_code == 0 and (tmp_path / "comparison.md").is_file()


def test_one_rule_names_each_setup_difference_and_whether_it_changes_the_scale():
    a = EvalMetrics.model_validate({
        "sentient_score": 50.0, "success_rate": 0.0, "failure_rate": 0.0, "mean_turns": 3.0, "n_personas": 8,
        "model": "m", "personas": "p.jsonl", "seed": 0, "max_turns": 3,
        "simulator": {"backend": "rule", "config_hash": "sha256:c0ffee", "version": "2.0"},
    })
    b = a.model_copy(update={"seed": 1, "max_turns": 4, "simulator": a.simulator.model_copy(update={"version": "2.1"})})
    differences = setup_differences(a, b)
    assert [(d.field, d.a, d.b, d.required) for d in differences] == [
        ("seed", 0, 1, False), ("simulator.version", "2.0", "2.1", True), ("max_turns", 3, 4, True)]
    assert str(differences[0]) == "seed differs: 0 (A) vs 1 (B)"
    assert setup_differences(a, a) == []
