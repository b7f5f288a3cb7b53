"""The supporter-reply corpus: deterministic, every category present, reactions from the rule simulator."""

import json

import pytest

from rlemp.corpus import CATEGORY_WEIGHTS, build_corpus, load_reply_bank, topic_of
from rlemp.errors import InputError
from rlemp.paths import REPLY_BANK, SUPPORTER_CORPUS, TRAIN_PERSONAS
from rlemp.personas import load_personas
from rlemp.simulators import build_simulator



@pytest.fixture(scope="module")
def personas():
    return load_personas(TRAIN_PERSONAS)[:12]


def read(path):
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_corpus_is_deterministic_and_reactions_come_from_the_simulator(tmp_path, personas):
    sim = build_simulator("rule")
    bank = load_reply_bank(REPLY_BANK)
    a = build_corpus(sim, personas, bank, tmp_path / "a.jsonl", seed=3, conversations_per_persona=2)
    b = build_corpus(sim, personas, bank, tmp_path / "b.jsonl", seed=3, conversations_per_persona=2)
    assert a.read_bytes() == b.read_bytes()
    rows = read(a)
    assert len(rows) == 2 * len(personas)
    by_id = {p.id: p for p in personas}
    for row in rows:
        messages = row["messages"]
        assert messages[0]["role"] == "system" and messages[1]["role"] == "user"
        replies = [m["content"] for m in messages if m["role"] == "assistant"]
        assert len(replies) == len(row["categories"]) == len(row["emotions"]) - 1
        assert all("{topic}" not in r for r in replies)
        # Replaying the replies against the same persona gives the recorded emotions.
        transcript = sim.start(by_id[row["persona_id"]], 0, 4)
        for reply in replies:
            sim.step(transcript, reply)
        assert transcript.emotions == row["emotions"]


def test_shipped_corpus_covers_every_category_and_both_directions():
    rows = read(SUPPORTER_CORPUS)
    seen = {c for row in rows for c in row["categories"]}
    assert seen == set(CATEGORY_WEIGHTS)
    deltas = [b - a for row in rows for a, b in zip(row["emotions"], row["emotions"][1:])]
    assert any(d > 0 for d in deltas) and any(d < 0 for d in deltas)


def test_topic_is_a_noun_phrase_from_the_scenario(personas):
    topics = [topic_of(p) for p in personas]
    assert all(t.startswith("your ") or t == "what happened" for t in topics)
    assert any(t != "what happened" for t in topics)


def test_reply_bank_errors_name_the_line(tmp_path):
    bad = tmp_path / "bank.jsonl"
    bad.write_text('{"category": "validation", "text": "ok"}\n[1, 2]\n')
    with pytest.raises(InputError, match=r"bank.jsonl:2"):
        load_reply_bank(bad)
    partial = tmp_path / "partial.jsonl"
    partial.write_text('{"category": "validation", "text": "ok"}\n')
    with pytest.raises(InputError, match="no replies for"):
        load_reply_bank(partial)


def test_shipped_corpus_is_what_the_current_rule_simulator_builds(tmp_path):
    """The corpus's reactions come from the rule simulator: a new simulator version must rebuild it
    (`rlemp build-corpus` with its defaults), or the FLR scorer learns reactions the simulator no longer gives."""
    rebuilt = build_corpus(build_simulator("rule"), load_personas(TRAIN_PERSONAS),
                           load_reply_bank(REPLY_BANK), tmp_path / "corpus.jsonl", seed=0, conversations_per_persona=2,
                           max_turns=2, replies_per_category=4)
    assert rebuilt.read_bytes() == (SUPPORTER_CORPUS).read_bytes()
