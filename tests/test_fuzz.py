"""Property-based fuzzing of every loader of user files: random bytes and mutated valid files (a field deleted,
replaced by a random or extreme JSON value, a key added, lines cut, duplicated, swapped or garbled) go to the
persona, SAGE, transcript and dialogue loaders, ``rlemp personas validate`` and ``rlemp verify``. Each must
either accept the file or fail with a one-line :class:`RlempError` (exit code 1 or 2 for the CLI), never crash."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from rlemp.cli import app
from rlemp.curriculum import dialogue_difficulties
from rlemp.errors import RlempError
from rlemp.personas import import_sage, load_personas
from rlemp.rollout import run_scripted
from rlemp.simulators import build_simulator
from rlemp.transcript import read_transcripts, verify_transcripts

DATA = Path(__file__).parent / "data"
runner = CliRunner()
FUZZ = settings(max_examples=120, deadline=None, database=None, suppress_health_check=list(HealthCheck))


def jsonl_records(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


PERSONAS = jsonl_records(DATA / "personas_small.jsonl")
SAGE = jsonl_records(DATA / "sage_small.jsonl")
TRANSCRIPTS = [
    json.loads(t.to_json()) for t in run_scripted(
        build_simulator("rule"), load_personas(DATA / "personas_small.jsonl")[:3],
        json.loads((DATA / "scripts" / "empathic.json").read_text(encoding="utf-8")), seed=5, max_turns=3)
]
ESCONV = json.loads((DATA / "curriculum" / "esconv_small.json").read_text(encoding="utf-8"))
MELD = (DATA / "curriculum" / "meld_small.csv").read_text(encoding="utf-8")

# --- strategies ------------------------------------------------------------------------------------------------

EXTREMES = st.sampled_from([
    None, True, False, 0, -1, 101, -(10**30), 10**30, 1e308, -1e308, math.nan, math.inf, "", " ", "\ud800",
    "x" * 5000, "\u2028", "\x00", [], {}, [[[[]]]], {"": {}},
])
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3),
    max_leaves=6,
)
ANY_VALUE = EXTREMES | JSON_VALUES


@st.composite
def mutated(draw, value, depth: int = 0):
    """``value`` with one random change somewhere inside it (containers are copied, never edited in place)."""
    if isinstance(value, dict) and value and depth < 5:
        key = draw(st.sampled_from(sorted(value)))
        operation = draw(st.sampled_from(["descend", "descend", "replace", "delete", "add"]))
        copy = dict(value)
        if operation == "descend":
            copy[key] = draw(mutated(value[key], depth + 1))
        elif operation == "replace":
            copy[key] = draw(ANY_VALUE)
        elif operation == "delete":
            del copy[key]
        else:
            copy[draw(st.text(max_size=12))] = draw(ANY_VALUE)
        return copy
    if isinstance(value, list) and value and depth < 5:
        i = draw(st.integers(0, len(value) - 1))
        operation = draw(st.sampled_from(["descend", "descend", "replace", "delete", "duplicate"]))
        copy = list(value)
        if operation == "descend":
            copy[i] = draw(mutated(value[i], depth + 1))
        elif operation == "replace":
            copy[i] = draw(ANY_VALUE)
        elif operation == "delete":
            del copy[i]
        else:
            copy.insert(i, copy[i])
        return copy
    return draw(ANY_VALUE)


@st.composite
def garbled(draw, text: str):
    """The text of a file, damaged at the byte level: cut, with bytes inserted, or with a line doubled or lost."""
    data = text.encode("utf-8", "surrogatepass")  # a lone surrogate becomes bytes that are not UTF-8: also fuzz
    operation = draw(st.sampled_from(["as is", "truncate", "insert", "lines", "bom+crlf"]))
    if operation == "truncate" and data:
        return data[: draw(st.integers(0, len(data) - 1))]
    if operation == "insert":
        at = draw(st.integers(0, len(data)))
        return data[:at] + draw(st.binary(min_size=1, max_size=8)) + data[at:]
    if operation == "lines":
        lines = data.split(b"\n")
        i = draw(st.integers(0, len(lines) - 1))
        lines.insert(draw(st.integers(0, len(lines))), lines[i]) if draw(st.booleans()) else lines.pop(i)
        return b"\n".join(lines)
    if operation == "bom+crlf":
        return b"\xef\xbb\xbf" + data.replace(b"\n", b"\r\n")
    return data


@st.composite
def jsonl_files(draw, records: list[dict]):
    """A JSONL file of the records with some of them mutated, then possibly garbled; or random bytes."""
    if draw(st.integers(0, 9)) == 0:
        return draw(st.binary(max_size=300))
    rows = [draw(mutated(r)) if draw(st.booleans()) else r for r in records]
    text = "".join(json.dumps(r, ensure_ascii=draw(st.booleans())) + "\n" for r in rows)
    return draw(garbled(text))


# --- checks ------------------------------------------------------------------------------------------------------


def accepts_or_explains(load, path: Path):
    """``load(path)``: a result, or an RlempError of one line (any other exception fails the test)."""
    try:
        return load(path)
    except RlempError as exc:
        assert "\n" not in str(exc), str(exc)
        return None


def cli_accepts_or_explains(*args: str) -> int:
    result = runner.invoke(app, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert result.exit_code in (0, 1, 2), result.output
    assert "Traceback" not in result.output
    if result.exit_code:
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    return result.exit_code


@pytest.fixture(scope="module")
def scratch(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


@FUZZ
@given(content=jsonl_files(PERSONAS))
def test_persona_files(scratch, content):
    path = scratch / "personas.jsonl"
    path.write_bytes(content)
    loaded = accepts_or_explains(load_personas, path)
    assert cli_accepts_or_explains("personas", "validate", str(path)) == (0 if loaded else 2)


@FUZZ
@given(content=jsonl_files(SAGE))
def test_sage_profile_files(scratch, content):
    path = scratch / "profile.jsonl"
    path.write_bytes(content)
    accepts_or_explains(import_sage, path)


@FUZZ
@given(content=jsonl_files(TRANSCRIPTS))
def test_transcript_files_and_verify(scratch, content):
    path = scratch / "transcripts.jsonl"
    path.write_bytes(content)
    transcripts = accepts_or_explains(read_transcripts, path)
    if transcripts is not None:
        accepts_or_explains(lambda _: verify_transcripts(transcripts), path)
    code = cli_accepts_or_explains("verify", str(path))
    assert code == 2 or transcripts is not None  # a file that does not load never verifies


@FUZZ
@given(data=st.data())
def test_dialogue_files(scratch, data):
    kind = data.draw(st.sampled_from(["esconv", "meld", "rlemp"]))
    if kind == "esconv":
        content = data.draw(garbled(json.dumps(data.draw(mutated(ESCONV)))))
    elif kind == "meld":
        content = data.draw(garbled(MELD))
    else:
        content = data.draw(jsonl_files(TRANSCRIPTS))
    path = scratch / {"esconv": "d.json", "meld": "d.csv", "rlemp": "d.jsonl"}[kind]
    path.write_bytes(content)
    accepts_or_explains(dialogue_difficulties, path)
