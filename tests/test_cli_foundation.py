"""The foundation's commands: ``personas validate``, ``personas import-sage`` and ``simulate``.

User errors must print exactly one line on stderr and exit 2, never a traceback; a few cases run the CLI as a
real subprocess so that nothing in the test harness hides a traceback.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from rlemp.cli import app
from rlemp.personas import load_personas
from rlemp.rollout import run_scripted
from rlemp.simulators import build_simulator

DATA = Path(__file__).parent / "data"
SMALL = DATA / "personas_small.jsonl"
SAGE = DATA / "sage_small.jsonl"
SCRIPTS = DATA / "scripts"
runner = CliRunner()


def rlemp(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "rlemp.cli", *map(str, args)], capture_output=True, text=True)


def assert_one_line_error(stderr: str, *fragments: str) -> None:
    assert stderr.count("\n") == 1 and stderr.startswith("error: "), stderr
    assert "Traceback" not in stderr
    for fragment in fragments:
        assert fragment in stderr, (fragment, stderr)


@pytest.fixture
def bad_bank(tmp_path):
    """Write a persona file whose second line is ``bad`` (a dict or raw text)."""
    valid = json.loads(SMALL.read_text(encoding="utf-8").splitlines()[0])

    def make(bad) -> Path:
        path = tmp_path / "bank.jsonl"
        second = bad if isinstance(bad, str) else json.dumps(bad)
        path.write_text(json.dumps(valid) + "\n" + second + "\n", encoding="utf-8")
        return path

    make.valid = valid
    return make


def test_validate_ok():
    result = runner.invoke(app, ["personas", "validate", str(SMALL)])
    assert result.exit_code == 0, result.output
    assert "8 personas OK" in result.stdout and "listen_to_venting" in result.stdout


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"name": ...}, "name"),
        ({"vibe": "calm"}, "vibe"),
        ({"age": 999}, "age"),
        ({"initial_emotion": 120}, "initial_emotion"),
        ({"hidden_need": "hugs"}, "hidden_need"),
        ({"temperament": "sunny"}, "temperament"),
    ],
)
def test_validate_field_errors(bad_bank, change, field):
    row = {**bad_bank.valid, "id": "second"}
    for key, value in change.items():
        if value is ...:
            del row[key]
        else:
            row[key] = value
    path = bad_bank(row)
    result = runner.invoke(app, ["personas", "validate", str(path)])
    assert result.exit_code == 2
    assert_one_line_error(result.stderr, f"{path}:2: field '{field}'")


def test_validate_big_five_out_of_range(bad_bank):
    row = {**bad_bank.valid, "id": "second", "personality": {**bad_bank.valid["personality"], "openness": 2}}
    result = runner.invoke(app, ["personas", "validate", str(bad_bank(row))])
    assert result.exit_code == 2
    assert_one_line_error(result.stderr, ":2: field 'personality.openness'")


def test_validate_errors_in_a_real_subprocess(bad_bank, tmp_path):
    path = bad_bank("{not json")
    proc = rlemp("personas", "validate", path)
    assert proc.returncode == 2 and proc.stdout == ""
    assert_one_line_error(proc.stderr, f"{path}:2: not valid JSON")

    path = bad_bank(bad_bank.valid)  # same id twice
    proc = rlemp("personas", "validate", path)
    assert proc.returncode == 2
    assert_one_line_error(proc.stderr, f"{path}:2: field 'id': duplicate id")

    proc = rlemp("personas", "validate", tmp_path / "missing.jsonl")
    assert proc.returncode == 2
    assert_one_line_error(proc.stderr, "missing.jsonl: file not found")


def test_validate_empty_file(tmp_path):
    empty = tmp_path / "empty.jsonl"
    empty.write_text("", encoding="utf-8")
    result = runner.invoke(app, ["personas", "validate", str(empty)])
    assert result.exit_code == 2
    assert_one_line_error(result.stderr, f"{empty}: no personas in file")


def test_error_text_is_printed_verbatim(tmp_path):
    """Square brackets in a path or value are text, not console markup."""
    folder = tmp_path / "[draft]"
    folder.mkdir()
    path = folder / "bank.jsonl"
    path.write_text("[1]\n", encoding="utf-8")
    result = runner.invoke(app, ["personas", "validate", str(path)])
    assert result.exit_code == 2
    assert_one_line_error(result.stderr, f"{path}:1: expected a JSON object, got list")


def test_import_sage_then_validate(tmp_path):
    out = tmp_path / "imported.jsonl"
    proc = rlemp("personas", "import-sage", SAGE, "--out", out, "--initial-emotion", "35")
    assert proc.returncode == 0, proc.stderr
    assert "wrote 8 personas" in " ".join(proc.stdout.split())
    proc = rlemp("personas", "validate", out)
    assert proc.returncode == 0, proc.stderr
    personas = load_personas(out)
    assert {p.initial_emotion for p in personas} == {35} and {p.language for p in personas} == {"zh"}


def test_import_sage_errors(tmp_path):
    rows = SAGE.read_text(encoding="utf-8").splitlines()
    bad = json.loads(rows[2])
    bad["task"] = "你想聊聊天气"
    path = tmp_path / "profile.jsonl"
    path.write_text("\n".join(rows[:2] + [json.dumps(bad, ensure_ascii=False)]) + "\n", encoding="utf-8")
    result = runner.invoke(app, ["personas", "import-sage", str(path), "--out", str(tmp_path / "o.jsonl")])
    assert result.exit_code == 2
    assert_one_line_error(result.stderr, f"{path}:3: field 'task'")
    assert not (tmp_path / "o.jsonl").exists()

    result = runner.invoke(app, ["personas", "import-sage", str(SAGE), "--out", str(tmp_path / "o.jsonl"),
                                 "--initial-emotion", "140"])
    assert result.exit_code == 2
    assert_one_line_error(result.stderr, "--initial-emotion: must be a whole number from 0 to 100, got 140")


# --- simulate ----------------------------------------------------------------------------------------------

HEADER = {"persona_id", "backend", "simulator_version", "config_hash", "simulator_config", "seed", "max_turns",
          "opening", "initial_emotion", "persona", "turns", "final_emotion", "outcome"}


def test_simulate_writes_one_transcript_per_persona(tmp_path):
    out = tmp_path / "out.jsonl"
    result = runner.invoke(app, ["simulate", "--personas", str(SMALL), "--script", str(SCRIPTS / "empathic.json"),
                                 "--out", str(out), "--seed", "4", "--max-turns", "5"])
    assert result.exit_code == 0, result.output
    assert f"wrote 8 transcripts to {out}" in result.stdout.replace("\n", "")
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    personas = load_personas(SMALL)
    assert [r["persona_id"] for r in rows] == [p.id for p in personas]
    script = json.loads((SCRIPTS / "empathic.json").read_text(encoding="utf-8"))
    for row in rows:
        assert HEADER <= set(row)
        assert (row["backend"], row["seed"], row["max_turns"]) == ("rule", 4, 5)
        assert row["config_hash"].startswith("sha256:") and row["simulator_version"]
        assert 1 <= len(row["turns"]) <= 5 and row["outcome"] in ("success", "failure", "goodbye", "max_turns")
        assert row["final_emotion"] == row["turns"][-1]["emotion"]
        for k, turn in enumerate(row["turns"]):
            assert {"agent", "user", "emotion", "delta", "rationale"} <= set(turn)
            assert turn["agent"] == script[k] and turn["user"] and turn["rationale"]


def test_simulate_prints_a_table_without_out():
    script = SCRIPTS / "off_topic.json"
    result = runner.invoke(app, ["simulate", "--personas", str(SMALL), "--script", str(script), "--max-turns", "4"])
    assert result.exit_code == 0, result.output
    replies = json.loads(script.read_text(encoding="utf-8"))
    expected = run_scripted(build_simulator("rule"), load_personas(SMALL), replies, max_turns=4)
    lines = result.stdout.splitlines()
    assert "outcome" in lines[1]
    for t in expected:
        row = next(line for line in lines if t.persona_id in line)
        assert t.outcome in row and " ".join(map(str, t.emotions)) in row


def test_simulate_with_a_config_file(tmp_path):
    config = tmp_path / "rule.yaml"
    config.write_text("diminishing: 0.5\ngoodbye_after: 3\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    result = runner.invoke(app, ["simulate", "--personas", str(SMALL), "--script", str(SCRIPTS / "off_topic.json"),
                                 "--simulator-config", str(config), "--out", str(out)])
    assert result.exit_code == 0, result.output
    row = json.loads(out.read_text(encoding="utf-8").splitlines()[0])
    assert row["simulator_config"]["diminishing"] == 0.5 and row["simulator_config"]["goodbye_after"] == 3
    assert runner.invoke(app, ["verify", str(out)]).exit_code == 0

    config.write_text("diminishing: 0.5\nmood: grumpy\n", encoding="utf-8")
    result = runner.invoke(app, ["simulate", "--personas", str(SMALL), "--script", str(SCRIPTS / "off_topic.json"),
                                 "--simulator-config", str(config)])
    assert result.exit_code == 2
    assert_one_line_error(result.stderr, "field 'mood'")


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        ("not json", "not valid JSON"),
        ('{"reply": "hi"}', "expected a non-empty JSON list of reply strings"),
        ("[]", "expected a non-empty JSON list of reply strings"),
        ('["hi", 3]', "expected a non-empty JSON list of reply strings"),
    ],
)
def test_simulate_bad_script(tmp_path, content, fragment):
    script = tmp_path / "script.json"
    script.write_text(content, encoding="utf-8")
    result = runner.invoke(app, ["simulate", "--personas", str(SMALL), "--script", str(script)])
    assert result.exit_code == 2
    assert_one_line_error(result.stderr, str(script), fragment)


def test_simulate_errors_in_a_real_subprocess(tmp_path):
    proc = rlemp("simulate", "--personas", SMALL, "--script", tmp_path / "none.json")
    assert proc.returncode == 2
    assert_one_line_error(proc.stderr, "none.json: file not found")
    proc = rlemp("simulate", "--personas", SMALL, "--script", SCRIPTS / "empathic.json", "--backend", "oracle")
    assert proc.returncode == 2
    assert_one_line_error(proc.stderr, "unknown simulator backend 'oracle'")

def test_simulate_bad_personas():
    result = runner.invoke(app, ["simulate", "--personas", str(SCRIPTS / "empathic.json"),
                                 "--script", str(SCRIPTS / "empathic.json")])
    assert result.exit_code == 2
    assert_one_line_error(result.stderr, "empathic.json:1:")


def test_the_backend_option_names_every_simulator_backend():
    """The command line spells the backends out (so that it starts without importing the simulators)."""
    import typing

    from rlemp.cli import SimulatorBackend
    from rlemp.simulators import BACKENDS

    option = typing.get_args(SimulatorBackend)[1]
    assert all(backend in option.help for backend in BACKENDS)
