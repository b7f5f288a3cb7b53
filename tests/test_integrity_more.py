"""Integrity of what rlemp reads back: transcripts are strictly typed and replay their whole reaction, an
evaluation's transcripts must be the ones its metrics came from, two compared evaluations must cover the same
personas, turn limit and seeds, the reply bank admits only known categories and filled placeholders, and the
SAGE importer says which defaults it filled in."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from rlemp.corpus import CATEGORY_WEIGHTS, load_reply_bank
from rlemp.errors import InputError, RlempError
from rlemp.evaluation import compare, compute_metrics, read_eval_dir
from rlemp.personas import import_sage, load_personas
from rlemp.rollout import run_scripted
from rlemp.simulators import build_simulator
from rlemp.simulators.base import UserSimulator
from rlemp.transcript import read_transcripts, turn_difference

DATA = Path(__file__).parent / "data"
SMALL = DATA / "personas_small.jsonl"
SAGE = DATA / "sage_small.jsonl"
EMPATHIC = json.loads((DATA / "scripts" / "empathic.json").read_text(encoding="utf-8"))
DISMISSIVE = json.loads((DATA / "scripts" / "dismissive.json").read_text(encoding="utf-8"))


def write(path: Path, rows: list[dict]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def transcripts():
    return run_scripted(build_simulator("rule"), load_personas(SMALL)[:4], EMPATHIC, seed=3, max_turns=3)


@pytest.fixture
def records(transcripts) -> list[dict]:
    return [json.loads(t.to_json()) for t in transcripts]


# --- transcripts: strict types, whole-reaction replay ----------------------------------------------------------


@pytest.mark.parametrize(("where", "value", "field"), [
    (("turns", 0, "emotion"), "EMO_STR", "turns.0.emotion"),
    (("turns", 0, "emotion"), "EMO_FLOAT", "turns.0.emotion"),
    (("turns", 0, "fallback"), "false", "turns.0.fallback"),
    (("seed",), -1, "seed"),
    (("seed",), 10**40, "seed"),
    (("final_emotion",), "50", "final_emotion"),
])
def test_transcript_numbers_and_flags_are_strict(tmp_path, records, where, value, field):
    target = records[2]
    for key in where[:-1]:
        target = target[key]
    old = target[where[-1]]
    target[where[-1]] = {"EMO_STR": str(old), "EMO_FLOAT": float(old)}.get(value, value)
    path = write(tmp_path / "t.jsonl", records)
    with pytest.raises(InputError, match=f"t.jsonl:3: field '{field}'") as error:
        read_transcripts(path)
    assert "\n" not in str(error.value)


def test_a_turn_compares_the_whole_reaction_only_where_asked(transcripts):
    turn = transcripts[0].turns[1]
    for field, value in (("user", "I feel great now, thanks!"), ("rationale", "nothing fired"), ("fallback", True)):
        edited = turn.model_copy(update={field: value})
        assert turn_difference(turn, edited, whole_reaction=True) == (field, getattr(turn, field), value)
        assert turn_difference(turn, edited, whole_reaction=False) is None
    assert turn_difference(turn, turn.model_copy(update={"delta": turn.delta + 1}), whole_reaction=False)[0] == "delta"
    assert turn_difference(turn, turn, whole_reaction=True) is None


@pytest.mark.skipif(not hasattr(UserSimulator, "replays_reactions"),
                    reason="the simulators do not yet declare which backends replay their whole reaction")
@pytest.mark.parametrize(("field", "value"), [("user", "I feel great now, thanks!"), ("rationale", "nothing fired"),
                                              ("fallback", True), ("seed", 12345)])
def test_verify_finds_an_edited_rule_reaction_or_seed(tmp_path, records, field, value):
    from rlemp.simulators.replay import verify_transcripts

    assert verify_transcripts(read_transcripts(write(tmp_path / "ok.jsonl", records))) is None
    if field == "seed":
        records[1]["seed"] = value
    else:
        records[1]["turns"][0][field] = value
    mismatch = verify_transcripts(read_transcripts(write(tmp_path / "t.jsonl", records)))
    assert mismatch is not None and (mismatch.index, mismatch.turn) == (1, 1)
    assert mismatch.field == ("user" if field == "seed" else field)


def test_a_transcript_that_contradicts_itself_is_named(transcripts):
    t = transcripts[0]
    assert t.inconsistency() is None
    assert t.model_copy(update={"final_emotion": 100}).inconsistency()[0] == "final_emotion"
    turns = [t.turns[0].model_copy(update={"emotion": t.turns[0].emotion + 1}), *t.turns[1:]]
    assert t.model_copy(update={"turns": turns}).inconsistency()[0] == "turns.0.delta"
    assert t.model_copy(update={"outcome": "success"}).inconsistency()[0] == "outcome"


# --- evaluation folders and comparison ---------------------------------------------------------------------------


def write_eval(folder: Path, transcripts, seed: int = 0, max_turns: int = 3, lines=None, **extra) -> Path:
    """An ``rlemp eval`` folder: metrics.json from ``transcripts``, transcripts.jsonl from ``lines`` (default: the
    same transcripts)."""
    folder.mkdir(parents=True)
    metrics = {**compute_metrics(transcripts), "model": "m", "adapter": None, "personas": str(SMALL),
               "simulator": {"backend": "rule", "config_hash": "sha256:c0ffee", "version": "2.0"}, "seed": seed,
               "max_turns": max_turns, "n_dropped": 0, **extra}
    (folder / "metrics.json").write_text(json.dumps(metrics))
    rows = lines if lines is not None else [json.loads(t.to_json()) for t in transcripts]
    write(folder / "transcripts.jsonl", rows)
    return folder


@pytest.fixture(scope="module")
def sides():
    personas, sim = load_personas(SMALL)[:4], build_simulator("rule")
    return (run_scripted(sim, personas, DISMISSIVE, seed=0, max_turns=3),
            run_scripted(sim, personas, EMPATHIC, seed=0, max_turns=3))


def test_compare_of_matching_evaluations_has_no_warnings(tmp_path, sides):
    a, b = sides
    result = compare(write_eval(tmp_path / "a", a), write_eval(tmp_path / "b", b))
    assert result["warnings"] == [] and result["verdict"]["n_personas"] == 4


def test_compare_refuses_a_side_missing_a_persona(tmp_path, sides):
    a, b = sides
    dir_b = write_eval(tmp_path / "b", b[:3])
    with pytest.raises(RlempError, match=f"{dir_b}: no conversation with 1 persona") as error:
        compare(write_eval(tmp_path / "a", a), dir_b)
    assert b[3].persona_id in str(error.value)
    # a persona its simulator dropped (counted in n_dropped) is left out with a warning instead
    dropped = write_eval(tmp_path / "dropped", b[:3], n_dropped=1)
    result = compare(tmp_path / "a", dropped)
    assert f"{dropped}: 1 persona(s) dropped by its simulator ({b[3].persona_id!r}); left out" in result["warnings"]


def test_compare_counts_a_repeated_line_and_leaves_it_out(tmp_path, sides):
    a, b = sides
    rows = [json.loads(t.to_json()) for t in b]
    dir_b = write_eval(tmp_path / "b", b, lines=rows[:2] + [rows[1]] + rows[2:])
    result = compare(write_eval(tmp_path / "a", a), dir_b)
    assert result["warnings"] == [f"{dir_b / 'transcripts.jsonl'}: 1 repeated transcript line(s) left out (line 3)"]
    assert result["verdict"]["n_personas"] == 4
    # a second, different conversation with the same persona is an error naming its line
    other = dict(rows[1], seed=99)
    write_eval(tmp_path / "b2", b, lines=rows + [other])
    with pytest.raises(InputError, match="transcripts.jsonl:5: field 'persona_id': a second, different"):
        read_eval_dir(tmp_path / "b2")


@pytest.mark.parametrize("edit", ["final_emotion", "max_turns", "fewer_lines"])
def test_transcripts_that_disagree_with_their_metrics_are_refused(tmp_path, sides, edit):
    a, b = sides
    rows = [json.loads(t.to_json()) for t in b]
    if edit == "final_emotion":
        rows[0]["final_emotion"] = 100
        expected = "transcripts.jsonl:1: field 'final_emotion': 100, but the last emotion of the turns is"
    elif edit == "max_turns":
        rows[2]["max_turns"] = 5
        expected = "transcripts.jsonl:3: field 'max_turns': 5, but metrics.json says 3"
    else:
        rows = rows[:3]
        expected = "metrics.json: field 'n_personas': 4, but transcripts.jsonl holds 3 conversation"
    dir_b = write_eval(tmp_path / "b", b, lines=rows)
    with pytest.raises(InputError, match=expected) as error:
        compare(write_eval(tmp_path / "a", a), dir_b)
    assert str(dir_b) in str(error.value)


def test_metrics_that_disagree_with_their_transcripts_are_refused(tmp_path, sides):
    a, b = sides
    dir_b = write_eval(tmp_path / "b", b, sentient_score=99.0)
    with pytest.raises(InputError, match="metrics.json: field 'sentient_score': 99.0, but the conversations"):
        compare(write_eval(tmp_path / "a", a), dir_b)


def test_compare_refuses_different_turn_limits_and_seeds(tmp_path, sides):
    a, _ = sides
    personas, sim = load_personas(SMALL)[:4], build_simulator("rule")
    dir_a = write_eval(tmp_path / "a", a)
    longer = write_eval(tmp_path / "longer", run_scripted(sim, personas, EMPATHIC, seed=0, max_turns=4), max_turns=4)
    with pytest.raises(RlempError, match=f"{longer}: max_turns 4, but {dir_a} has 3"):
        compare(dir_a, longer)
    reseeded = write_eval(tmp_path / "reseeded", run_scripted(sim, personas, EMPATHIC, seed=7, max_turns=3))
    with pytest.raises(RlempError, match="has seed 7, but .* has 0 under the same evaluation seed 0"):
        compare(dir_a, reseeded)


# --- the reply bank ---------------------------------------------------------------------------------------------


def bank_rows() -> list[dict]:
    return [{"category": c, "text": f"A {c} reply about {{topic}}."} for c in CATEGORY_WEIGHTS]


@pytest.mark.parametrize(("row", "field", "words"), [
    ({"category": "sorcery", "text": "abracadabra"}, "category", "unknown category 'sorcery'"),
    ({"category": "validation", "text": "About {nonexistent} and {0}"}, "text", "'{nonexistent}'"),
    ({"category": "validation", "text": "About {0}"}, "text", "'{0}'"),
    ({"category": "validation", "text": "Unbalanced { brace"}, "text", "stray brace"),
    ({"category": "validation", "text": "  "}, "text", "empty reply"),
    ({"category": "validation", "text": "hi", "foo": 1}, "foo", "unknown field"),
    ({"category": "validation", "text": 3}, "text", "must be a string"),
])
def test_reply_bank_errors_name_line_and_field(tmp_path, row, field, words):
    path = write(tmp_path / "bank.jsonl", bank_rows() + [row])
    with pytest.raises(InputError, match=f"bank.jsonl:{len(CATEGORY_WEIGHTS) + 1}: field '{field}'") as error:
        load_reply_bank(path)
    assert words in str(error.value)


def test_reply_bank_repeats_are_counted_and_left_out(tmp_path, caplog):
    rows = bank_rows()
    path = write(tmp_path / "bank.jsonl", rows + rows[:2])
    with caplog.at_level(logging.WARNING, logger="rlemp.corpus"):
        bank = load_reply_bank(path)
    assert all(len(replies) == 1 for replies in bank.values())
    assert "2 repeated replies left out" in caplog.text


# --- SAGE import ------------------------------------------------------------------------------------------------


def sage_row() -> dict:
    return json.loads(SAGE.read_text(encoding="utf-8").splitlines()[0])


def test_sage_defaults_are_counted_in_one_line(tmp_path, caplog):
    row = {**sage_row(), "player": "nothing parseable"}
    path = write(tmp_path / "profile.jsonl", [row, sage_row() | {"id": "other"}])
    with caplog.at_level(logging.WARNING, logger="rlemp.personas"):
        personas = import_sage(path)
    assert (personas[0].name, personas[0].age, personas[0].occupation) == (row["id"], 30, "")
    lines = [r.getMessage() for r in caplog.records if r.name == "rlemp.personas"]
    assert len(lines) == 1 and "3 default value(s)" in lines[0]
    assert all(f"{field} (" in lines[0] for field in ("name", "age", "occupation")) and "in 1 of 2" in lines[0]
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="rlemp.personas"):
        import_sage(SAGE)
    assert not [r for r in caplog.records if r.name == "rlemp.personas"]


def test_sage_scene_without_a_story_is_an_error(tmp_path):
    path = write(tmp_path / "profile.jsonl", [{**sage_row(), "scene": "### \n**:**"}])
    with pytest.raises(InputError, match="profile.jsonl:1: field 'scene': no sentence of story"):
        import_sage(path)
