"""SFT warm starts: the reaction examples the FLR scorer trains on, the CLI, and the scorer it makes."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from rlemp.cli import app
from rlemp.paths import DATA_DIR, REPO_ROOT
from rlemp.rewards.flr import FollowUpLikelihood
from rlemp.sft import reaction_examples, sft_warm_start

CORPUS = DATA_DIR / "corpus" / "supporter_replies.jsonl"
SCRIPTS = REPO_ROOT / "tests" / "data" / "scripts"
runner = CliRunner()


@pytest.fixture(scope="module")
def tokenizer(tiny_model_dir):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(tiny_model_dir)


def test_reaction_examples_are_what_the_flr_scorer_reads(tokenizer):
    conversation = [
        {"role": "system", "content": "Be kind."},
        {"role": "user", "content": "My exam went badly."},
        {"role": "assistant", "content": "That sounds hard."},
        {"role": "user", "content": "Yes. It really was."},
        {"role": "assistant", "content": "Just study more."},
        {"role": "user", "content": "That's easy for you to say."},
    ]
    rows = reaction_examples([conversation], tokenizer)
    assert [r["completion"] for r in rows] == ["Yes. It really was.", "That's easy for you to say."]
    flr = FollowUpLikelihood(None, tokenizer, positives=["ok"], negatives=["no"])
    without_system = conversation[1:]
    for row, cut in zip(rows, (1, 3)):
        assert "Be kind." not in row["prompt"]  # the scorer reads transcripts without the system prompt
        expected = flr.context_ids(without_system[:cut], without_system[cut]["content"])
        assert tokenizer(row["prompt"], add_special_tokens=False)["input_ids"] == expected
    # The shipped corpus: one example per supporter reply, each answered by the user.
    corpus = [json.loads(line) for line in CORPUS.read_text().splitlines()]
    rows = reaction_examples([row["messages"] for row in corpus], tokenizer)
    assert len(rows) == sum(len(row["categories"]) for row in corpus)


def test_sft_cli_rejects_an_unknown_target(tiny_model_dir, tmp_path):
    result = runner.invoke(app, ["sft", "--model", str(tiny_model_dir), "--out", str(tmp_path / "o"),
                                 "--target", "users"])
    assert result.exit_code == 2
    assert "sft target: expected one of replies, reactions, got 'users'" in result.output
    assert "Traceback" not in result.output


def flr_of_script(scorer_dir, script: str, tmp_path) -> float:
    out = tmp_path / f"{script}.json"
    result = runner.invoke(app, [
        "score", "--reward", "flr", "--personas", str(DATA_DIR / "personas" / "eval.jsonl"),
        "--script", str(SCRIPTS / f"{script}.json"), "--model", str(scorer_dir), "--max-turns", "2",
        "--out", str(out),
    ])
    assert result.exit_code == 0, result.output
    return json.loads(out.read_text())["flr"]["mean"]


@pytest.mark.slow
def test_reaction_scorer_prefers_empathic_replies(tiny_model_dir, tmp_path):
    """The tiny test model, SFT'd on the corpus's reactions, rates empathic replies above dismissive ones.

    Before the SFT the random model cannot tell them apart; after it, FLR orders them as the users of the corpus
    reacted (30 epochs, about 2 minutes; tiny models of seeds 0, 1 and 2 gave gaps of 0.23, 0.19 and 0.22 nats)."""
    before = {s: flr_of_script(tiny_model_dir, s, tmp_path) for s in ("empathic", "dismissive")}
    assert abs(before["empathic"] - before["dismissive"]) < 0.05
    scorer = sft_warm_start(tiny_model_dir, CORPUS, tmp_path / "scorer", target="reactions", epochs=30,
                            learning_rate=3e-3, max_length=192, seed=0)
    after = {s: flr_of_script(scorer, s, tmp_path) for s in ("empathic", "dismissive")}
    assert after["empathic"] > after["dismissive"] + 0.1, after
