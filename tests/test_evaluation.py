"""The evaluation harness end to end on the tiny model: files, metrics vs transcripts, replay, plot, batching,
reproducibility, comparison and the ``rlemp eval`` command."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import pytest
import torch

from rlemp.errors import InputError, RlempError
from rlemp.evaluation import compare, conversation_seed, evaluate, evaluate_checkpoint, summarize
from rlemp.personas import load_personas
from rlemp.report import BAND_EDGES, plot_curves, plot_trajectories
from rlemp.simulators import build_simulator
from rlemp.simulators.base import SimulatorError
from rlemp.simulators.replay import verify_transcripts
from rlemp.simulators.rule import RuleSimulator
from rlemp.transcript import read_transcripts

PERSONAS = Path(__file__).parent / "data" / "personas_small.jsonl"
MAX_TURNS = 3
BATCH = 4
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def policy(tiny_model_dir):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    torch.set_num_threads(1)
    return AutoModelForCausalLM.from_pretrained(tiny_model_dir), AutoTokenizer.from_pretrained(tiny_model_dir)


@pytest.fixture(scope="module")
def personas():
    """Six personas; the last has no temperament (grouped under "none")."""
    bank = load_personas(PERSONAS)[:6]
    return bank[:5] + [bank[5].model_copy(update={"temperament": None})]


def counting_generate(model):
    """Wrap ``model.generate`` to count calls; returns the list the counts go into."""
    calls = []
    original = model.generate

    def generate(*args, **kwargs):
        calls.append(kwargs["input_ids"].shape[0])
        return original(*args, **kwargs)

    return calls, generate


@pytest.fixture(scope="module")
def run_a(policy, personas, tmp_path_factory):
    """One evaluation (seed 3), with the batch size of every ``generate`` call recorded."""
    model, tokenizer = policy
    calls, generate = counting_generate(model)
    model.generate = generate
    try:
        out = tmp_path_factory.mktemp("eval-a")
        metrics = evaluate(model, tokenizer, personas, build_simulator("rule"), out, seed=3, max_turns=MAX_TURNS,
                           batch_size=BATCH, meta={"personas": str(PERSONAS)})
    finally:
        del model.generate
    return out, metrics, calls


@pytest.fixture(scope="module")
def run_b(policy, personas, tmp_path_factory):
    """A second evaluation with another seed and temperature, to compare against."""
    model, tokenizer = policy
    out = tmp_path_factory.mktemp("eval-b")
    from rlemp.rollout import GenerationSettings

    metrics = evaluate(model, tokenizer, personas, build_simulator("rule"), out, seed=4, max_turns=MAX_TURNS,
                       batch_size=BATCH, settings=GenerationSettings(max_new_tokens=24, temperature=1.3))
    return out, metrics


def summary(transcripts):
    n = len(transcripts)
    return {
        "sentient_score": sum(t.final_emotion for t in transcripts) / n,
        "success_rate": sum(t.final_emotion == 100 for t in transcripts) / n,
        "failure_rate": sum(t.final_emotion < 10 for t in transcripts) / n,
        "mean_turns": sum(len(t.turns) for t in transcripts) / n,
        "n_personas": n,
    }


def test_outputs_and_metrics_match_transcripts(run_a, personas):
    out, metrics, _ = run_a
    for name in ("metrics.json", "transcripts.jsonl", "report.md", "trajectories.png"):
        assert (out / name).is_file(), name
    assert json.loads((out / "metrics.json").read_text()) == metrics
    transcripts = read_transcripts(out / "transcripts.jsonl")
    assert [t.persona_id for t in transcripts] == [p.id for p in personas]
    assert [t.seed for t in transcripts] == [conversation_seed(3, i) for i in range(len(personas))]
    assert all(1 <= len(t.turns) <= MAX_TURNS and t.done for t in transcripts)

    assert {k: metrics[k] for k in summary(transcripts)} == pytest.approx(summary(transcripts))
    by_need, by_temperament = defaultdict(list), defaultdict(list)
    for t in transcripts:
        by_need[t.persona.hidden_need].append(t)
        by_temperament[t.persona.temperament or "none"].append(t)
    for key, groups in (("by_hidden_need", by_need), ("by_temperament", by_temperament)):
        assert set(metrics[key]) == set(groups)
        for name, group in groups.items():
            assert metrics[key][name] == pytest.approx(summary(group)), (key, name)
    assert "none" in metrics["by_temperament"]
    assert metrics["n_dropped"] == 0
    assert metrics["personas"] == str(PERSONAS) and metrics["adapter"] is None
    assert metrics["seed"] == 3 and metrics["max_turns"] == MAX_TURNS
    sim = build_simulator("rule")
    assert metrics["simulator"] == {"backend": "rule", "config_hash": sim.config_hash, "version": sim.version}
    assert verify_transcripts(transcripts) is None


def test_generate_once_per_turn_per_batch(run_a):
    out, _, calls = run_a
    transcripts = read_transcripts(out / "transcripts.jsonl")
    batches = [transcripts[i:i + BATCH] for i in range(0, len(transcripts), BATCH)]
    expected = []
    for batch in batches:  # each turn, one call over the conversations still open
        expected += [sum(len(t.turns) > turn for t in batch) for turn in range(max(len(t.turns) for t in batch))]
    assert calls == expected
    assert len(calls) == sum(max(len(t.turns) for t in b) for b in batches) < sum(len(t.turns) for t in transcripts)


def test_plot_and_report(run_a, tmp_path):
    import matplotlib.image

    out, metrics, _ = run_a
    assert (out / "trajectories.png").read_bytes()[:8] == PNG_MAGIC
    image = matplotlib.image.imread(out / "trajectories.png")
    assert image.ndim == 3 and image.shape[0] > 100 and image.shape[1] > 100

    transcripts = read_transcripts(out / "transcripts.jsonl")
    fig = plot_trajectories(transcripts, tmp_path / "again.png")
    (ax,) = fig.axes
    assert len(ax.lines) == len(transcripts) + 1 + len(BAND_EDGES)
    lines = {line.get_gid(): line for line in ax.lines}
    for t in transcripts:
        assert list(lines[t.persona_id].get_ydata()) == t.emotions
    mean = list(lines["mean"].get_ydata())
    assert len(mean) == max(len(t.turns) for t in transcripts) + 1
    assert mean[0] == pytest.approx(sum(t.initial_emotion for t in transcripts) / len(transcripts))
    assert mean[-1] == pytest.approx(metrics["sentient_score"])
    assert sorted(lines[f"band-{e}"].get_ydata()[0] for e in BAND_EDGES) == list(BAND_EDGES)
    assert (tmp_path / "again.png").read_bytes() == (out / "trajectories.png").read_bytes()

    report = (out / "report.md").read_text()
    ranked = sorted(transcripts, key=lambda t: (t.final_emotion, t.persona_id))
    worst = report.index("## Worst")
    best = report.index("## Best")
    assert worst < report.index(ranked[0].persona_id, worst) < best
    assert report.index(f"{ranked[-1].persona_id}: final emotion {ranked[-1].final_emotion}", best) > best
    assert f"| {metrics['sentient_score']:.1f} |" in report
    assert "![emotion of every conversation over turns](trajectories.png)" in report


def test_same_seed_same_results(run_a, policy, personas, tmp_path):
    out, metrics, _ = run_a
    model, tokenizer = policy
    again = evaluate(model, tokenizer, personas, build_simulator("rule"), tmp_path, seed=3, max_turns=MAX_TURNS,
                     batch_size=BATCH, meta={"personas": str(PERSONAS)})
    assert again == metrics
    assert (tmp_path / "transcripts.jsonl").read_bytes() == (out / "transcripts.jsonl").read_bytes()


def test_compare(run_a, run_b, tmp_path):
    (dir_a, metrics_a, _), (dir_b, metrics_b) = run_a, run_b
    result = compare(dir_a, dir_b, out_path=tmp_path)
    final_a = {t.persona_id: t.final_emotion for t in read_transcripts(dir_a / "transcripts.jsonl")}
    final_b = {t.persona_id: t.final_emotion for t in read_transcripts(dir_b / "transcripts.jsonl")}
    assert [p["persona_id"] for p in result["by_persona"]] == list(final_a)
    for row in result["by_persona"]:
        pid = row["persona_id"]
        assert (row["a"], row["b"], row["change"]) == (final_a[pid], final_b[pid], final_b[pid] - final_a[pid])
    score = result["overall"]["sentient_score"]
    assert score["change"] == pytest.approx(metrics_b["sentient_score"] - metrics_a["sentient_score"])
    for need, row in result["by_hidden_need"].items():
        assert row["change"] == pytest.approx(
            metrics_b["by_hidden_need"][need]["sentient_score"] - metrics_a["by_hidden_need"][need]["sentient_score"]
        )
    assert any(w.startswith("seed differs") for w in result["warnings"])
    assert json.loads((tmp_path / "comparison.json").read_text()) == result
    md = (tmp_path / "comparison.md").read_text()
    assert "## Final emotion by persona" in md and all(pid in md for pid in final_a)
    assert not (dir_b / "comparison.json").exists()


def test_dropped_conversations_are_counted_not_scored(policy, personas, tmp_path):
    class FailsOnOne(RuleSimulator):
        def react_many(self, transcripts, replies):
            reactions = super().react_many(transcripts, replies)
            return [SimulatorError("endpoint down") if t.persona_id == personas[1].id else r
                    for t, r in zip(transcripts, reactions)]

    model, tokenizer = policy
    metrics = evaluate(model, tokenizer, personas[:3], FailsOnOne(), tmp_path, max_turns=1, batch_size=2)
    transcripts = read_transcripts(tmp_path / "transcripts.jsonl")
    assert [t.persona_id for t in transcripts] == [personas[0].id, personas[2].id]
    assert (metrics["n_dropped"], metrics["n_personas"]) == (1, 2)
    assert metrics["sentient_score"] == pytest.approx(sum(t.final_emotion for t in transcripts) / 2)


def test_openai_backend(policy, personas, tmp_path):
    from fake_openai_server import FakeOpenAIServer

    model, tokenizer = policy
    with FakeOpenAIServer() as server:
        config = {"base_url": server.base_url, "model": "fake", "api_key_env": None, "cache_dir": None}
        metrics = evaluate(model, tokenizer, personas[:2], build_simulator("openai", config), tmp_path,
                           max_turns=2, batch_size=2)
        transcripts = read_transcripts(tmp_path / "transcripts.jsonl")
        assert metrics["simulator"]["backend"] == "openai" and metrics["n_personas"] == 2
        assert all(turn.user.startswith("I hear you.") for t in transcripts for turn in t.turns)
        assert verify_transcripts(transcripts) is None


def test_hf_backend(policy, personas, tiny_model_dir, tmp_path):
    model, tokenizer = policy
    sim = build_simulator("hf", {"model": str(tiny_model_dir), "max_new_tokens": 8, "max_retries": 0})
    metrics = evaluate(model, tokenizer, personas[:2], sim, tmp_path, max_turns=1, batch_size=2)
    transcripts = read_transcripts(tmp_path / "transcripts.jsonl")
    # a random model cannot answer in the simulator's JSON format: every turn is a counted fallback
    assert metrics["n_fallback_turns"] == sum(turn.fallback for t in transcripts for turn in t.turns) == 2
    assert metrics["sentient_score"] == pytest.approx(sum(p.initial_emotion for p in personas[:2]) / 2)


def test_evaluate_checkpoint_with_adapter(tiny_model_dir, tmp_path):
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    torch.manual_seed(0)
    # a random adapter scaled up enough to change the greedy replies of a random tiny model whatever its tokenizer
    lora = LoraConfig(r=4, lora_alpha=256, target_modules=["q_proj", "v_proj", "o_proj"], init_lora_weights=False)
    get_peft_model(AutoModelForCausalLM.from_pretrained(tiny_model_dir), lora).save_pretrained(tmp_path / "adapter")
    common = dict(personas_path=PERSONAS, max_turns=1, batch_size=8, temperature=0.0, max_new_tokens=12)
    base = evaluate_checkpoint(str(tiny_model_dir), out_dir=tmp_path / "base", **common)
    tuned = evaluate_checkpoint(str(tiny_model_dir), adapter=tmp_path / "adapter", out_dir=tmp_path / "tuned", **common)
    assert (base["adapter"], tuned["adapter"]) == (None, str(tmp_path / "adapter"))
    assert base["generation"] == tuned["generation"] == {"max_new_tokens": 12, "temperature": 0.0, "top_p": 1.0,
                                                          "top_k": 0}
    replies = [[t.turns[0].agent for t in read_transcripts(tmp_path / name / "transcripts.jsonl")]
               for name in ("base", "tuned")]
    assert replies[0] != replies[1]  # greedy decoding: only the adapter can change the replies
    with pytest.raises(InputError, match="not a LoRA adapter folder"):
        evaluate_checkpoint(str(tiny_model_dir), adapter=tmp_path, out_dir=tmp_path / "x", **common)


def test_plot_curves(tmp_path):
    import matplotlib.image

    series = {"reward/mean": [0.1, 0.3, 0.2, 0.5], "emotion/final_mean": [40, 42, None, 47]}
    fig = plot_curves(series, tmp_path / "curves.png", "GRPO")
    assert len(fig.axes) == 2
    assert [len(ax.lines) for ax in fig.axes] == [1, 1]
    assert list(fig.axes[0].lines[0].get_ydata()) == series["reward/mean"]
    assert matplotlib.image.imread(tmp_path / "curves.png").shape[0] > 100


def test_bad_inputs(policy, tmp_path):
    model, tokenizer = policy
    with pytest.raises(RlempError, match="no personas"):
        evaluate(model, tokenizer, [], build_simulator("rule"), tmp_path)
    with pytest.raises(InputError, match="not an evaluation folder"):
        compare(tmp_path, tmp_path)


def test_cli_eval_and_compare(tiny_model_dir, run_a, run_b, tmp_path):
    two = tmp_path / "two.jsonl"
    two.write_text("".join(PERSONAS.read_text().splitlines(keepends=True)[:2]))
    out = tmp_path / "cli-eval"
    env = {**os.environ, "COLUMNS": "200"}
    cmd = [sys.executable, "-m", "rlemp.cli", "eval", "--model", str(tiny_model_dir), "--personas", str(two),
           "--backend", "rule", "--max-turns", "2", "--seed", "1", "--out", str(out), "--batch-size", "2",
           "--max-new-tokens", "16"]
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=900)  # a hang guard, not timing
    assert done.returncode == 0, done.stderr
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["n_personas"] == 2 and metrics["model"] == str(tiny_model_dir)
    assert metrics["generation"]["temperature"] == 0.7 and metrics["generation"]["max_new_tokens"] == 16
    assert f"SentientScore {metrics['sentient_score']:.1f}" in done.stdout
    assert verify_transcripts(read_transcripts(out / "transcripts.jsonl")) is None

    dir_a, dir_b = run_a[0], run_b[0]
    cmd = [sys.executable, "-m", "rlemp.cli", "eval", "--compare", str(dir_a), str(dir_b), "--out", str(tmp_path)]
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=900)
    assert done.returncode == 0, done.stderr
    result = json.loads((tmp_path / "comparison.json").read_text())
    printed = {cells[0]: cells[1:] for line in done.stdout.splitlines()
               if len(cells := [c.strip() for c in line.strip("│ ").split("│")]) == 5}
    for row in result["by_persona"]:
        change = f"{'+' if row['change'] > 0 else ''}{row['change']}"
        assert printed[row["persona_id"]] == [row["hidden_need"], str(row["a"]), str(row["b"]), change]
    assert "seed differs" in done.stderr

    from typer.testing import CliRunner

    from rlemp.cli import app

    missing = CliRunner().invoke(app, ["eval", "--personas", str(two), "--out", str(out)])
    assert missing.exit_code == 2 and "--model is required" in missing.output


def test_success_and_failure_are_the_simulators_verdicts():
    """A conversation that starts at 100 has not succeeded: only the outcome the simulator settled counts."""
    persona = load_personas(PERSONAS)[0].model_copy(update={"initial_emotion": 100})
    started = build_simulator("rule").start(persona, seed=0, max_turns=3)
    assert started.final_emotion == 100 and not started.succeeded
    ended = [started.model_copy(update={"outcome": outcome}) for outcome in ("success", "failure", "goodbye")]
    assert [(t.succeeded, t.failed) for t in ended] == [(True, False), (False, True), (False, False)]
    summary = summarize([started, *ended])
    assert (summary["success_rate"], summary["failure_rate"]) == (0.25, 0.25)
