"""The shipped text data under data/: persona banks, FLR follow-up sets and the supporter-reply bank."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from rlemp.paths import EVAL_PERSONAS as EVAL
from rlemp.paths import FOLLOWUPS_DIR, REPLY_BANK
from rlemp.paths import TRAIN_PERSONAS as TRAIN
from rlemp.personas import HIDDEN_NEEDS, TEMPERAMENTS, load_personas


PER_NEED = {TRAIN: 12, EVAL: 4}
GOOD = ("validation", "reflective_question", "practical_advice", "perspective", "guided_reflection", "praise",
        "absolution", "deep_empathy", "critical_analysis")
POOR = ("dismissive", "toxic_positivity", "off_topic", "generic", "self_centered", "premature_advice")
MIN_PER_CATEGORY = {**{c: 25 for c in GOOD}, **{c: 15 for c in POOR}, "manipulative": 15}


@pytest.fixture(scope="module")
def banks():
    return {path: load_personas(path) for path in (TRAIN, EVAL)}


def test_bank_sizes_and_no_overlap(banks):
    train, evaluation = banks[TRAIN], banks[EVAL]
    assert len(train) + len(evaluation) >= 120
    assert not {p.id for p in train} & {p.id for p in evaluation}
    assert not {p.first_message for p in train} & {p.first_message for p in evaluation}
    assert not {p.name for p in train} & {p.name for p in evaluation}


@pytest.mark.parametrize("path", [TRAIN, EVAL], ids=["train", "eval"])
def test_needs_and_temperaments_balanced(banks, path):
    personas = banks[path]
    assert Counter(p.hidden_need for p in personas) == {need: PER_NEED[path] for need in HIDDEN_NEEDS}
    assert set(p.temperament for p in personas) == set(TEMPERAMENTS)
    assert all(p.language == "en" for p in personas)


@pytest.mark.parametrize("path", [TRAIN, EVAL], ids=["train", "eval"])
def test_persona_fields_well_formed(banks, path):
    for p in banks[path]:
        prefix = "tr-" if path == TRAIN else "ev-"
        assert p.id.startswith(prefix), p.id
        assert 2 <= len(p.dislikes) <= 3, p.id
        assert all(d == d.lower() and d.strip() == d and d for d in p.dislikes), p.id
        assert 16 <= p.age <= 80, p.id
        assert p.scenario.endswith((".", "!", "?")), p.id


def test_initial_emotions_spread(banks):
    emotions = [p.initial_emotion for personas in banks.values() for p in personas]
    assert max(emotions) - min(emotions) >= 50
    assert sum(20 <= e <= 60 for e in emotions) >= 0.75 * len(emotions)


def test_texts_distinct(banks):
    personas = [p for personas in banks.values() for p in personas]
    for field in ("scenario", "background", "first_message", "name"):
        values = [getattr(p, field) for p in personas]
        assert len(set(values)) == len(values), field


@pytest.mark.parametrize("kind", ["positive", "negative"])
def test_followups(kind):
    lines = (FOLLOWUPS_DIR / f"{kind}.txt").read_text(encoding="utf-8").splitlines()
    followups = [line.strip() for line in lines if line.strip() and not line.strip().startswith("#")]
    assert lines[0].startswith("#")
    assert len(followups) >= 16
    assert len(set(followups)) == len(followups)


def test_positive_and_negative_followups_disjoint():
    def read(kind):
        text = (FOLLOWUPS_DIR / f"{kind}.txt").read_text(encoding="utf-8")
        return {line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")}

    assert not read("positive") & read("negative")


def test_reply_bank():
    rows = [json.loads(line) for line in REPLY_BANK.read_text(encoding="utf-8").splitlines() if line.strip()]
    assert all(set(row) == {"category", "text"} and row["text"].strip() for row in rows)
    counts = Counter(row["category"] for row in rows)
    assert set(counts) == set(MIN_PER_CATEGORY)
    for category, minimum in MIN_PER_CATEGORY.items():
        assert counts[category] >= minimum, category
    texts = [row["text"] for row in rows]
    assert len({t.lower() for t in texts}) == len(texts)
    assert all(t.count("{topic}") <= 1 for t in texts)
    assert sum("{topic}" in t for t in texts) <= len(texts) / 2
    # the lead fills {topic} with str.format: no other braces may appear
    assert all(t.format(topic="your job").count("{") == 0 for t in texts)


def test_every_shipped_path_is_named_once_and_recipes_use_those_names():
    from rlemp import paths
    from rlemp.files import read_yaml

    shipped = [paths.TRAIN_PERSONAS, paths.EVAL_PERSONAS, paths.REPLY_BANK, paths.SUPPORTER_CORPUS,
               paths.FOLLOWUPS_DIR, paths.PROMPTS_DIR, paths.ATTACKS_DIR, paths.TINY_GRPO_RECIPE,
               paths.SMOLLM2_GRPO_RECIPE]
    assert [p for p in shipped if not p.exists()] == []
    assert paths.in_checkout(paths.TRAIN_PERSONAS) == "data/personas/train.jsonl"
    for recipe in sorted(paths.RECIPES_DIR.rglob("*.yaml")):
        fields = read_yaml(recipe)
        assert fields["personas"] == paths.in_checkout(paths.TRAIN_PERSONAS), recipe
        assert fields["eval_personas"] == paths.in_checkout(paths.EVAL_PERSONAS), recipe
