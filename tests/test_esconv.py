"""ESConv reader: both layouts on files written here, turn grouping, feedback alignment, survey parsing and
errors that name the file, the record and the field."""

from __future__ import annotations

import json

import pytest

from rlemp.curriculum import dialogue_difficulties
from rlemp.errors import InputError
from rlemp.esconv import esconv_layout, read_esconv

ORIGINAL = [
    {
        "experience_type": "Current Experience",
        "emotion_type": "anxiety",
        "problem_type": "job crisis",
        "situation": "My company is laying people off.",
        "survey_score": {
            "seeker": {"initial_emotion_intensity": "5", "empathy": "5", "relevance": "4",
                       "final_emotion_intensity": "2"},
            "supporter": {"relevance": "5"},
        },
        "dialog": [
            {"speaker": "supporter", "annotation": {"strategy": "Question"}, "content": "Hello, how are you?"},
            {"speaker": "seeker", "annotation": {}, "content": "Not great."},
            {"speaker": "seeker", "annotation": {}, "content": "I might lose my job."},
            {"speaker": "supporter", "annotation": {"strategy": "Reflection of feelings"},
             "content": "That sounds stressful."},
            {"speaker": "supporter", "annotation": {"strategy": "Question"}, "content": "What happened?"},
            {"speaker": "seeker", "annotation": {"feedback": "4"}, "content": "Layoffs were announced."},
            {"speaker": "seeker", "annotation": {"feedback": ""}, "content": "I am scared."},
            {"speaker": "supporter", "annotation": {"strategy": "Providing Suggestions"},
             "content": "You could ask your manager."},
            {"speaker": "seeker", "annotation": {"feedback": "2"}, "content": "Maybe."},
            {"speaker": "supporter", "annotation": {"strategy": "Others"}, "content": "Take care."},
        ],
    },
    {
        "emotion_type": "sadness",
        "problem_type": "breakup with partner",
        "situation": "My partner left.",
        "survey_score": {"seeker": {"initial_emotion_intensity": "3", "empathy": "", "relevance": None}},
        "dialog": [
            {"speaker": "Speaker", "annotation": {}, "content": "She left me."},
            {"speaker": "listener", "annotation": {"strategy": "Affirmation and Reassurance"},
             "content": "You will get through this."},
            {"speaker": "speaker", "annotation": {"feedback": "3"}, "content": "Thanks."},
            {"speaker": "speaker", "annotation": {"feedback": "4"}, "content": "Really."},
        ],
    },
]


def split_layout(dialogue: dict) -> dict:
    """The same dialogue in the split JSONL layout (usr/sys, text, strategy; no feedback)."""
    roles = {"seeker": "usr", "speaker": "usr", "supporter": "sys", "listener": "sys"}
    turns = []
    for turn in dialogue["dialog"]:
        row = {"speaker": roles[turn["speaker"].lower()], "text": turn["content"]}
        if "strategy" in turn["annotation"]:
            row["strategy"] = turn["annotation"]["strategy"]
        turns.append(row)
    return {**{k: v for k, v in dialogue.items() if k != "dialog"}, "dialog": turns}


@pytest.fixture
def original(tmp_path):
    path = tmp_path / "ESConv.json"
    path.write_text(json.dumps(ORIGINAL, indent=1), encoding="utf-8")
    return path


@pytest.fixture
def split(tmp_path):
    path = tmp_path / "train.jsonl"
    path.write_text("".join(json.dumps(split_layout(d)) + "\n" for d in ORIGINAL), encoding="utf-8")
    return path


def test_original_layout_groups_turns_and_aligns_feedback(original):
    assert esconv_layout(original) == "json"
    first, second = read_esconv(original)
    assert (first.id, first.problem_type, first.opening) == ("0", "job crisis", "")
    turns = first.supporter_turns()
    assert [t.text for t in turns] == [
        "Hello, how are you?", "That sounds stressful. What happened?", "You could ask your manager.", "Take care."
    ]
    assert [t.strategies for t in turns] == [
        ("Question",), ("Reflection of feelings", "Question"), ("Providing Suggestions",), ("Others",)
    ]
    # a rating sits on the seeker turn after the supporter turns it rates; "" is no rating
    assert [t.feedback for t in turns] == [None, 4, 2, None]
    assert turns[0].seeker_after == "Not great. I might lose my job."
    assert turns[-1].seeker_after == ""
    survey = first.survey
    assert (survey.initial_emotion_intensity, survey.final_emotion_intensity, survey.empathy, survey.relevance) == (
        5, 2, 5, 4)
    assert survey.emotion_intensity_drop == 3
    # "speaker"/"listener" roles, any case; two ratings of one turn average; "" and null survey fields are absent
    assert second.opening == "She left me."
    assert [t.feedback for t in second.supporter_turns()] == [3.5]
    assert (second.survey.empathy, second.survey.relevance, second.survey.emotion_intensity_drop) == (None, None, None)
    assert second.feedback == [3, 4]


def test_split_layout_reads_the_same_turns_without_feedback(original, split):
    assert esconv_layout(split) == "jsonl"
    from_split, from_original = read_esconv(split), read_esconv(original)
    for a, b in zip(from_split, from_original):
        assert [(t.text, t.strategies, t.seeker_after) for t in a.supporter_turns()] == [
            (t.text, t.strategies, t.seeker_after) for t in b.supporter_turns()
        ]
        assert a.survey == b.survey
        assert all(t.feedback is None for t in a.supporter_turns())
    assert [d.line for d in from_split] == [1, 2]


@pytest.mark.parametrize(
    "mutate, field",
    [
        (lambda d: d[1]["dialog"][1].update(speaker="therapist"), "[1].dialog[1].speaker"),
        (lambda d: d[0]["dialog"][5]["annotation"].update(feedback="7"), "[0].dialog[5].annotation.feedback"),
        (lambda d: d[0]["dialog"][5]["annotation"].update(feedback="good"), "[0].dialog[5].annotation.feedback"),
        (lambda d: d[0]["survey_score"]["seeker"].update(empathy=True), "[0].survey_score.seeker.empathy"),
        (lambda d: d[1].update(survey_score=[1, 2]), "[1].survey_score"),
        (lambda d: d[1].update(dialog="hello"), "[1].dialog"),
        (lambda d: d[0]["dialog"].__setitem__(2, "text"), "[0].dialog[2]"),
        (lambda d: d[0]["dialog"][3].update(content=5), "[0].dialog[3].content"),
        (lambda d: d.__setitem__(1, "dialogue"), "[1]"),
    ],
)
def test_original_layout_errors_name_the_record_and_field(tmp_path, mutate, field):
    data = json.loads(json.dumps(ORIGINAL))
    mutate(data)
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(InputError) as err:
        read_esconv(path)
    assert (err.value.path, err.value.line, err.value.field) == (path, None, field)
    assert "\n" not in str(err.value) and str(path) in str(err.value)


def test_split_layout_errors_name_the_line(tmp_path, split):
    lines = split.read_text().splitlines()
    bad = json.loads(lines[1])
    bad["dialog"][2]["speaker"] = "bot"
    path = tmp_path / "bad.jsonl"
    path.write_text(lines[0] + "\n\n" + json.dumps(bad) + "\n", encoding="utf-8")
    with pytest.raises(InputError) as err:
        read_esconv(path)
    assert (err.value.line, err.value.field) == (3, "dialog[2].speaker")
    path.write_text(lines[0] + "\n{not json\n", encoding="utf-8")
    with pytest.raises(InputError) as err:
        read_esconv(path)
    assert err.value.line == 2
    path.write_text("\n\n", encoding="utf-8")
    with pytest.raises(InputError, match="no ESConv dialogues"):
        read_esconv(path)


def test_curriculum_reads_both_layouts_through_the_same_reader(original, split):
    # deficits: (5-1)/4, (2-1)/4, (5 - mean(4, 2))/4; the split copy has no feedback
    assert dict(dialogue_difficulties(original, "esconv"))["0"] == pytest.approx((1.0 + 0.25 + 0.5) / 3)
    assert dict(dialogue_difficulties(split, "esconv"))["0"] == pytest.approx((1.0 + 0.25) / 2)
    assert dict(dialogue_difficulties(split, "esconv"))["1"] == pytest.approx(0.5)
