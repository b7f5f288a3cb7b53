"""Persona loading: every validation error names file, line and field; the SAGE/RLVER importer."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rlemp.errors import InputError
from rlemp.files import read_json
from rlemp.personas import (
    HIDDEN_NEEDS,
    SAGE_TASKS,
    import_sage,
    load_personas,
    sage_to_persona,
    save_personas,
)

DATA = Path(__file__).parent / "data"
SMALL = DATA / "personas_small.jsonl"
SAGE = DATA / "sage_small.jsonl"


@pytest.fixture(scope="module")
def valid() -> dict:
    return json.loads(SMALL.read_text(encoding="utf-8").splitlines()[0])


def write_lines(path: Path, *objects) -> Path:
    """A JSONL file: the objects (dicts are dumped, strings written as they are) one per line."""
    lines = [o if isinstance(o, str) else json.dumps(o, ensure_ascii=False) for o in objects]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def load_error(path: Path) -> InputError:
    with pytest.raises(InputError) as info:
        load_personas(path)
    return info.value


def test_small_bank_loads_one_persona_per_need():
    personas = load_personas(SMALL)
    assert len(personas) == 8
    assert sorted(p.hidden_need for p in personas) == sorted(HIDDEN_NEEDS)


def with_field(obj: dict, dotted: str, value) -> dict:
    """A deep copy of ``obj`` with ``dotted`` set to ``value`` (or removed when value is ``...``)."""
    obj = json.loads(json.dumps(obj))
    *parents, last = dotted.split(".")
    target = obj
    for part in parents:
        target = target[part]
    if value is ...:
        del target[last]
    else:
        target[last] = value
    return obj


FIELD_ERRORS = [
    # (field, value, words the message must contain)
    ("name", ..., "missing required field"),
    ("personality.openness", ..., "missing required field"),
    ("mood", "sad", "unknown field"),
    ("personality.charm", 0.5, "unknown field"),
    ("age", 200, "less than or equal to 130"),
    ("age", -1, "greater than or equal to 0"),
    ("age", "old", "valid integer"),
    ("initial_emotion", 101, "less than or equal to 100"),
    ("initial_emotion", -5, "greater than or equal to 0"),
    ("personality.neuroticism", 1.5, "less than or equal to 1"),
    ("personality.agreeableness", -0.1, "greater than or equal to 0"),
    ("hidden_need", "cheering_up", "'cheering_up'"),
    ("temperament", "grumpy", "'grumpy'"),
    ("dislikes", "calm down", "valid list"),
    ("first_message", "", "at least 1 character"),
]


@pytest.mark.parametrize(("field", "value", "words"), FIELD_ERRORS, ids=[f"{f}={v!r}" for f, v, _ in FIELD_ERRORS])
def test_field_error_names_file_line_and_field(tmp_path, valid, field, value, words):
    bad = with_field(valid, field, value)
    bad["id"] = "second"
    path = write_lines(tmp_path / "bank.jsonl", valid, "", bad)  # a blank line: the bad persona is on line 3
    err = load_error(path)
    assert (err.path, err.line, err.field) == (path, 3, field)
    assert str(err).startswith(f"{path}:3: field '{field}': ")
    assert words in str(err)
    assert "\n" not in str(err)


def test_unknown_hidden_need_lists_the_known_ones(tmp_path, valid):
    err = load_error(write_lines(tmp_path / "b.jsonl", with_field(valid, "hidden_need", "hugs")))
    assert all(need in str(err) for need in HIDDEN_NEEDS)


def test_not_json(tmp_path, valid):
    path = write_lines(tmp_path / "b.jsonl", valid, '{"id": "x", "name": ')
    err = load_error(path)
    assert (err.line, err.field) == (2, None)
    assert str(err).startswith(f"{path}:2: not valid JSON")


@pytest.mark.parametrize(("raw", "kind"), [("[1, 2]", "list"), ('"a persona"', "str"), ("42", "int")])
def test_not_an_object(tmp_path, valid, raw, kind):
    path = write_lines(tmp_path / "b.jsonl", valid, raw)
    assert str(load_error(path)) == f"{path}:2: expected a JSON object, got {kind}"


def test_duplicate_id(tmp_path, valid):
    path = write_lines(tmp_path / "b.jsonl", valid, with_field(valid, "name", "Other"), valid)
    err = load_error(path)
    assert (err.line, err.field) == (2, "id")
    assert f"duplicate id {valid['id']!r} (first on line 1)" in str(err)


def test_empty_file(tmp_path):
    path = tmp_path / "empty.jsonl"
    path.write_text("\n  \n", encoding="utf-8")
    assert str(load_error(path)) == f"{path}: no personas in file"


def test_missing_file_directory_and_binary(tmp_path):
    missing = tmp_path / "nope.jsonl"
    assert str(load_error(missing)) == f"{missing}: file not found"
    assert "is a directory" in str(load_error(tmp_path))
    binary = tmp_path / "bin.jsonl"
    binary.write_bytes(b"\xff\xfe\x00garbage")
    assert str(load_error(binary)).startswith(f"{binary}: not UTF-8 text")


def test_round_trip_keeps_unicode_line_separators(tmp_path, valid):
    """JSON leaves U+2028/U+0085 unescaped inside strings; they must not split a JSONL line."""
    persona = load_personas(write_lines(tmp_path / "a.jsonl", valid))[0]
    odd = persona.model_copy(update={"background": "first\u2028second\x85third\u2029", "first_message": "hi\r there"})
    save_personas([odd, persona.model_copy(update={"id": "b"})], tmp_path / "out" / "b.jsonl")
    loaded = load_personas(tmp_path / "out" / "b.jsonl")
    assert loaded[0] == odd and len(loaded) == 2


def test_windows_line_endings_and_byte_order_mark(tmp_path, valid):
    path = tmp_path / "win.jsonl"
    text = json.dumps(valid) + "\r\n\r\n" + json.dumps({**valid, "id": "b"})
    path.write_bytes(b"\xef\xbb\xbf" + text.encode())
    assert [p.id for p in load_personas(path)] == [valid["id"], "b"]


# --- SAGE / RLVER import ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sage_rows() -> list[dict]:
    return [json.loads(line) for line in SAGE.read_text(encoding="utf-8").splitlines()]


def test_sage_import_maps_tasks_temperaments_and_player_fields(sage_rows):
    personas = import_sage(SAGE)
    assert len(personas) == len(sage_rows) == 8
    assert sorted(p.hidden_need for p in personas) == sorted(HIDDEN_NEEDS)
    temperaments = {"负面型": "negative", "被动型": "passive", "回避型": "avoidant"}
    for persona, row in zip(personas, sage_rows):
        assert persona.id == row["id"]
        assert persona.hidden_need == SAGE_TASKS[row["task"]]
        assert persona.temperament == temperaments[row["main_cha"]]
        assert persona.language == "zh"
        assert persona.initial_emotion == 40
        assert row["player"].strip() in persona.background and row["scene"].strip() in persona.background
        assert persona.talking_style == "、".join(row["cha_group"])
    assert {p.temperament for p in personas} == set(temperaments.values())
    first = personas[0]
    assert (first.name, first.age, first.occupation) == ("王小云", 23, "时尚博主")
    assert first.first_message == sage_rows[0]["first_talk"]


def test_sage_scenario_is_the_first_story_sentence():
    by_id = {p.id: p for p in import_sage(SAGE)}
    # headings, bold labels ("**事件起因：**"), bullets and "背景故事：" are skipped
    assert by_id["sage-01"].scenario == "王小云发现初恋男友张浩对两人的未来总是闪烁其词。"
    assert by_id["sage-03"].scenario == "庄颖和丈夫陷入了冷战。"
    assert by_id["sage-04"].scenario == "赵雨萌听到两个女生聊感情的事，想起了自己以前的困惑。"
    assert by_id["sage-06"].scenario.startswith("房贷和孩子的学费")
    assert by_id["sage-07"].scenario == "周杰和好朋友因为一次合伙创业失败而闹翻了。"
    assert by_id["sage-08"].scenario.startswith("孙婷连续加班")
    # without first_talk the user opens with the scenario
    assert by_id["sage-07"].first_message == by_id["sage-07"].scenario


def test_sage_traits_nudge_the_big_five():
    by_id = {p.id: p.personality for p in import_sage(SAGE)}
    angry, kind = by_id["sage-01"], by_id["sage-08"]  # 愤怒/自私/虚荣 vs 善良/耐心/自卑
    assert angry.agreeableness < 0.5 < kind.agreeableness
    assert by_id["sage-02"].neuroticism > 0.5  # 焦虑/愤懑/疯癫


def test_sage_initial_emotion_override():
    assert {p.initial_emotion for p in import_sage(SAGE, initial_emotion=55)} == {55}


def sage_error(tmp_path: Path, row: dict, rows: list[dict]) -> InputError:
    path = write_lines(tmp_path / "profile.jsonl", rows[0], row)
    with pytest.raises(InputError) as info:
        import_sage(path)
    err = info.value
    assert err.path == path and err.line == 2 and str(err).startswith(f"{path}:2: ")
    return err


@pytest.mark.parametrize("field", ["id", "player", "scene", "main_cha", "cha_group", "task"])
def test_sage_missing_field(tmp_path, sage_rows, field):
    row = {k: v for k, v in sage_rows[1].items() if k != field}
    err = sage_error(tmp_path, row, sage_rows)
    assert err.field == field and "missing" in str(err)


def test_sage_unknown_task_and_temperament(tmp_path, sage_rows):
    err = sage_error(tmp_path, {**sage_rows[1], "task": "你想聊聊天气"}, sage_rows)
    assert err.field == "task" and "你想聊聊天气" in str(err)
    err = sage_error(tmp_path, {**sage_rows[1], "main_cha": "开朗型"}, sage_rows)
    assert err.field == "main_cha" and "开朗型" in str(err)


def test_sage_bad_values(tmp_path, sage_rows):
    assert sage_error(tmp_path, {**sage_rows[1], "cha_group": "愤怒"}, sage_rows).field == "cha_group"
    assert sage_error(tmp_path, {**sage_rows[1], "first_talk": ""}, sage_rows).field == "first_talk"
    assert sage_error(tmp_path, {**sage_rows[1], "id": sage_rows[0]["id"]}, sage_rows).field == "id"
    assert sage_error(tmp_path, {**sage_rows[1], "player": "* 年龄：300岁"}, sage_rows).field == "age"
    with pytest.raises(InputError, match=r"^p\.jsonl:7: field 'initial_emotion'"):
        sage_to_persona(sage_rows[0], "p.jsonl", 7, initial_emotion=140)


def test_sage_reworded_task_falls_back_to_keywords():
    row = {"id": "x", "player": "* 姓名：甲", "scene": "背景故事：他丢了工作。", "main_cha": "被动型",
           "cha_group": [], "task": "希望对方给我一些建议"}
    persona = sage_to_persona(row, "p.jsonl", 1)
    assert persona.hidden_need == "practical_advice" and persona.age == 30 and persona.name == "甲"


def test_read_json_errors_name_the_file_and_line(tmp_path):
    good = tmp_path / "good.json"
    good.write_text('\ufeff{"a": [1, 2]}', encoding="utf-8")
    assert read_json(good) == {"a": [1, 2]}
    bad = tmp_path / "bad.json"
    bad.write_text('{\n  "a": 1,\n}\n')
    for path, message in ((bad, r"bad.json:3: not valid JSON"), (tmp_path / "none.json", "none.json: file not found"),
                          (tmp_path, "is a directory, expected a JSON file")):
        with pytest.raises(InputError, match=message):
            read_json(path)
    latin = tmp_path / "latin.json"
    latin.write_bytes(b'{"a": "\xe9"}')
    with pytest.raises(InputError, match="not UTF-8 text"):
        read_json(latin)
