"""Transcripts round-trip through JSONL, and ``verify`` replays them: any tampered score is found and named."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from rlemp.cli import app
from rlemp.errors import RlempError
from rlemp.personas import load_personas
from rlemp.rollout import run_conversations, run_scripted
from rlemp.simulators import build_simulator
from rlemp.simulators.replay import verify_transcript, verify_transcripts
from rlemp.transcript import read_transcripts, write_transcripts

DATA = Path(__file__).parent / "data"
SMALL = DATA / "personas_small.jsonl"
EMPATHIC = json.loads((DATA / "scripts" / "empathic.json").read_text(encoding="utf-8"))
runner = CliRunner()


@pytest.fixture(scope="module")
def transcripts():
    return run_scripted(build_simulator("rule"), load_personas(SMALL), EMPATHIC, seed=3, max_turns=6)


@pytest.fixture
def records(transcripts) -> list[dict]:
    """The transcripts as JSON objects, fresh for each test to tamper with."""
    return [json.loads(t.to_json()) for t in transcripts]


def write(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


def mismatch_of(tmp_path, rows):
    return verify_transcripts(read_transcripts(write(tmp_path / "t.jsonl", rows)))


def test_round_trip(tmp_path, transcripts):
    path = tmp_path / "sub" / "t.jsonl"
    write_transcripts(transcripts, path)
    assert read_transcripts(path) == transcripts
    assert verify_transcripts(read_transcripts(path)) is None


def test_header_records_what_replay_needs(transcripts):
    t = transcripts[0]
    sim = build_simulator("rule")
    assert (t.backend, t.simulator_version, t.config_hash, t.seed, t.max_turns) == (
        "rule", sim.version, sim.config_hash, 3, 6)
    assert t.simulator_config == sim.config_dict and t.initial_emotion == t.persona.initial_emotion
    assert t.emotions[0] == t.initial_emotion and t.emotions[-1] == t.final_emotion


def test_tampered_emotion_is_named(tmp_path, records):
    true_value = records[2]["turns"][1]["emotion"]
    records[2]["turns"][1]["emotion"] = true_value + 3
    m = mismatch_of(tmp_path, records)
    assert (m.index, m.persona_id, m.turn, m.field, m.expected, m.found) == (
        2, records[2]["persona_id"], 2, "emotion", true_value, true_value + 3)
    assert str(m) == (f"transcript 3 (persona {records[2]['persona_id']}), turn 2: "
                      f"emotion expected {true_value}, found {true_value + 3}")


def test_tampered_delta_is_named(tmp_path, records):
    true_delta = records[0]["turns"][0]["delta"]
    records[0]["turns"][0]["delta"] = true_delta - 1
    m = mismatch_of(tmp_path, records)
    assert (m.turn, m.field, m.expected, m.found) == (1, "delta", true_delta, true_delta - 1)


def test_tampered_header_fields(tmp_path, records):
    rows = json.loads(json.dumps(records))
    rows[1]["config_hash"] = "sha256:0000000000000000"
    m = mismatch_of(tmp_path, rows)
    assert (m.index, m.turn, m.field, m.found) == (1, None, "config_hash", "sha256:0000000000000000")
    assert m.expected == records[1]["config_hash"]

    rows = json.loads(json.dumps(records))
    rows[0]["simulator_config"]["diminishing"] = 0.9  # a different config no longer hashes to the recorded one
    assert mismatch_of(tmp_path, rows).field == "config_hash"

    rows = json.loads(json.dumps(records))
    rows[0]["simulator_version"] = "0.9"
    assert mismatch_of(tmp_path, rows).field == "simulator_version"

    rows = json.loads(json.dumps(records))
    rows[0]["persona_id"] = "someone-else"
    assert mismatch_of(tmp_path, rows).field == "persona_id"


def test_tampered_persona_initial_emotion(tmp_path, records):
    records[4]["persona"]["initial_emotion"] += 5
    m = mismatch_of(tmp_path, records)
    assert (m.index, m.turn, m.field) == (4, None, "initial_emotion")
    assert m.expected == records[4]["initial_emotion"] + 5 and m.found == records[4]["initial_emotion"]
    # changing both copies consistently still fails: every replayed score shifts
    records[4]["initial_emotion"] += 5
    m = mismatch_of(tmp_path, records)
    assert (m.turn, m.field) == (1, "emotion") and m.expected == m.found + 5


def test_tampered_turns(tmp_path, records):
    rows = json.loads(json.dumps(records))
    rows[0]["turns"].append(rows[0]["turns"][-1])  # a turn after the conversation ended
    m = mismatch_of(tmp_path, rows)
    assert (m.turn, m.field) == (len(records[0]["turns"]) + 1, "turn")

    rows = json.loads(json.dumps(records))
    rows[0]["turns"].pop()  # a missing last turn
    assert mismatch_of(tmp_path, rows).field in ("final_emotion", "outcome")

    rows = json.loads(json.dumps(records))
    rows[0]["turns"][2]["agent"] = "You're being too sensitive. Just move on."  # what the agent said
    assert mismatch_of(tmp_path, rows).turn == 3

    rows = json.loads(json.dumps(records))
    rows[0]["outcome"] = "success"
    assert mismatch_of(tmp_path, rows).field == "outcome"


def test_unknown_backend_in_header(tmp_path, records):
    records[0]["backend"] = "oracle"
    with pytest.raises(RlempError, match="unknown simulator backend 'oracle'"):
        mismatch_of(tmp_path, records)


def test_thoughts_are_kept_but_never_judged(tmp_path):
    bank = load_personas(SMALL)[:3]
    sim = build_simulator("rule")

    def thinking(batch):
        return [f"<think>they sound upset; call them stupid? no.</think> {EMPATHIC[len(t.turns)]}" for t in batch]

    with_thoughts = run_conversations(sim, bank, thinking, seeds=[1, 2, 3], max_turns=4).transcripts
    plain = run_scripted(sim, bank, EMPATHIC, max_turns=4)
    assert [t.emotions for t in with_thoughts] == [t.emotions for t in plain]
    turn = with_thoughts[0].turns[0]
    assert turn.agent == EMPATHIC[0] and turn.agent_thoughts.startswith("they sound upset")
    assert all("<think>" not in m["content"] for m in with_thoughts[0].messages("sys"))
    assert verify_transcripts(read_transcripts(write(tmp_path / "t.jsonl",
                                                     [json.loads(t.to_json()) for t in with_thoughts]))) is None


def test_agent_text_with_unicode_line_separators_round_trips(tmp_path):
    persona = load_personas(SMALL)[0]
    t = run_scripted(build_simulator("rule"), [persona], ["That sounds really hard.\u2028What happened\x85next?"])[0]
    write_transcripts([t], tmp_path / "t.jsonl")
    assert read_transcripts(tmp_path / "t.jsonl") == [t]
    assert verify_transcript(read_transcripts(tmp_path / "t.jsonl")[0]) is None


# --- the `rlemp verify` command -----------------------------------------------------------------------------


@pytest.fixture
def simulated(tmp_path) -> Path:
    out = tmp_path / "run.jsonl"
    script = DATA / "scripts" / "empathic.json"
    result = runner.invoke(app, ["simulate", "--personas", str(SMALL), "--script", str(script), "--out", str(out),
                                 "--seed", "5"])
    assert result.exit_code == 0, result.output
    return out


def test_verify_cli_accepts_a_fresh_simulation(simulated):
    result = runner.invoke(app, ["verify", str(simulated)])
    assert result.exit_code == 0, result.output
    assert "verified 8 transcripts" in result.stdout and "every emotion score matches" in result.stdout


@pytest.mark.parametrize("what", ["emotion", "delta", "config_hash", "persona.initial_emotion"])
def test_verify_cli_names_a_tampered_value(simulated, what):
    rows = [json.loads(line) for line in simulated.read_text(encoding="utf-8").splitlines()]
    target = rows[5]
    simulated.write_text("\n", encoding="utf-8")  # a blank first line: the message names the file's line, 7
    if what in ("emotion", "delta"):
        expected = target["turns"][2][what]
        target["turns"][2][what] = found = expected - 2
        where = "turn 3"
    elif what == "config_hash":
        expected, found, where = target[what], "sha256:feedfacefeedface", "persona"
        target[what] = found
    else:
        found = target["initial_emotion"]
        expected = target["persona"]["initial_emotion"] = found + 7
        where, what = "persona", "initial_emotion"
    with simulated.open("a", encoding="utf-8") as f:
        f.writelines(json.dumps(row) + "\n" for row in rows)
    result = runner.invoke(app, ["verify", str(simulated)])
    assert result.exit_code == 1
    line = result.stderr.strip()
    assert "\n" not in line and line.startswith(f"mismatch: {simulated}:7: transcript 6 "), line
    assert f"persona {target['persona_id']}" in line and where in line
    assert f"{what} expected {expected!r}, found {found!r}" in line


@pytest.mark.parametrize("content", ["not json at all\n", '{"persona_id": "x"}\n', "\n", "[]\n"])
def test_verify_cli_malformed_file(tmp_path, content):
    path = tmp_path / "bad.jsonl"
    path.write_text(content, encoding="utf-8")
    result = runner.invoke(app, ["verify", str(path)])
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and result.stderr.startswith(f"error: {path}")
    assert "Traceback" not in result.output


def test_verify_cli_as_a_subprocess(simulated, tmp_path):
    ok = subprocess.run([sys.executable, "-m", "rlemp.cli", "verify", str(simulated)], capture_output=True, text=True)
    assert ok.returncode == 0, ok.stderr
    missing = subprocess.run([sys.executable, "-m", "rlemp.cli", "verify", str(tmp_path / "none.jsonl")],
                             capture_output=True, text=True)
    assert missing.returncode == 2
    assert missing.stderr.strip() == f"error: {tmp_path / 'none.jsonl'}: file not found"
