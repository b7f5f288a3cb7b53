"""Hand-picked malformed inputs for every command that reads files: each must end with one line on stderr that
names the file, a non-zero exit code other than 70 (70 is an unexpected exception: a bug) and no traceback; the
valid counterparts must be accepted. Damaged files (missing, a folder, empty, not UTF-8, binary, nested too
deeply, a 5000-digit integer, NaN) go to each file slot of each command; then the causes one by one: broken
adapters and model folders, recipe values out of range, loose schemas, output paths, failing simulators."""

from __future__ import annotations

import json
import shutil
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from rlemp.cli import INTERNAL_ERROR, app

DATA = Path(__file__).parent / "data"
ROOT = Path(__file__).parent.parent
PERSONAS = DATA / "personas_small.jsonl"
SCRIPT = DATA / "scripts" / "empathic.json"
runner = CliRunner()

# name -> file content (bytes), or "missing" / "directory"
DAMAGED: dict[str, bytes | str] = {
    "missing": "missing",
    "directory": "directory",
    "empty": b"",
    "not utf-8": b'{"id": "\xff\xfe"}\n',
    "binary": bytes(range(256)),
    "nested too deeply": b"[" * 5_000 + b"]" * 5_000,
    "huge integer": b'{"x": ' + b"9" * 5000 + b"}\n",
    "NaN": b'{"x": NaN}\n',
    "truncated": b'{"x": [1, 2',
}


def place(path: Path, content: bytes | str) -> Path:
    """Put damaged ``content`` at ``path`` (nothing for "missing", a folder for "directory")."""
    if content == "directory":
        path.mkdir(parents=True)
    elif content != "missing":
        path.write_bytes(content)
    return path


def fails_cleanly(*args: str, names: str | Path | None = None) -> str:
    """Run the CLI; assert a clean user error and return its one line (naming ``names`` when given)."""
    result = runner.invoke(app, [str(a) for a in args])
    assert result.exit_code not in (0, INTERNAL_ERROR), (result.exit_code, result.output)
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    if names is not None:
        assert str(names) in lines[0], lines[0]
    return lines[0]


def succeeds(*args: str) -> str:
    result = runner.invoke(app, [str(a) for a in args])
    assert result.exit_code == 0, result.output
    return result.stdout


# --- every file slot of the cheap commands, with every kind of damage -------------------------------------------

SLOTS = {
    "personas validate": lambda f, tmp: ["personas", "validate", f],
    "personas import-sage": lambda f, tmp: ["personas", "import-sage", f, "--out", tmp / "o.jsonl"],
    "simulate --personas": lambda f, tmp: ["simulate", "--personas", f, "--script", SCRIPT, "--max-turns", "2"],
    "simulate --script": lambda f, tmp: ["simulate", "--personas", PERSONAS, "--script", f, "--max-turns", "2"],
    "simulate --simulator-config": lambda f, tmp: ["simulate", "--personas", PERSONAS, "--script", SCRIPT,
                                                   "--simulator-config", f],
    "verify": lambda f, tmp: ["verify", f],
    "curriculum --personas": lambda f, tmp: ["curriculum", "--personas", f, "--out", tmp / "d.jsonl"],
    "curriculum --dialogues esconv": lambda f, tmp: ["curriculum", "--dialogues", f, "--format", "esconv",
                                                     "--out", tmp / "d.jsonl"],
    "curriculum --dialogues meld": lambda f, tmp: ["curriculum", "--dialogues", f, "--format", "meld",
                                                   "--out", tmp / "d.jsonl"],
    "curriculum --dialogues rlemp": lambda f, tmp: ["curriculum", "--dialogues", f, "--format", "rlemp",
                                                    "--out", tmp / "d.jsonl"],
    "curriculum --cache": lambda f, tmp: ["curriculum", "--personas", PERSONAS, "--max-turns", "1", "--cache", f,
                                          "--out", tmp / "d.jsonl"],
    "score --script": lambda f, tmp: ["score", "--reward", "emotion_final", "--personas", PERSONAS, "--script", f,
                                      "--out", tmp / "s.json"],
    "build-corpus --replies": lambda f, tmp: ["build-corpus", "--personas", PERSONAS, "--replies", f,
                                              "--out", tmp / "c.jsonl"],
    "train --config": lambda f, tmp: ["train", "--config", f],
}


@pytest.mark.parametrize("damage", sorted(DAMAGED))
@pytest.mark.parametrize("slot", sorted(SLOTS))
def test_damaged_file_in_every_slot(tmp_path, slot, damage):
    if slot == "curriculum --cache" and damage == "missing":
        pytest.skip("a missing cache is created")
    path = place(tmp_path / "input", DAMAGED[damage])
    line = fails_cleanly(*SLOTS[slot](path, tmp_path), names=path)
    assert "error" in line or "fail" in line


@pytest.mark.parametrize("damage", sorted(DAMAGED))
def test_doctor_reports_a_damaged_accelerate_config(tmp_path, damage):
    """doctor reports every check on stdout; a damaged config fails checks naming the file, exit 1."""
    path = place(tmp_path / "accelerate.yaml", DAMAGED[damage])
    result = runner.invoke(app, ["doctor", "--accelerate-config", str(path)])
    assert result.exit_code == 1 and "Traceback" not in result.output
    failed = [line for line in result.stdout.splitlines() if line.strip().startswith("fail")]
    assert failed and all(str(path) in line for line in failed), result.stdout


def test_eval_compare_with_damaged_metrics(tmp_path):
    for damage, content in DAMAGED.items():
        folder = tmp_path / damage
        folder.mkdir()
        place(folder / "metrics.json", content)
        fails_cleanly("eval", "--compare", folder, folder, names=folder)


def test_byte_order_mark_and_crlf_are_read(tmp_path):
    personas = tmp_path / "p.jsonl"
    personas.write_bytes(b"\xef\xbb\xbf" + PERSONAS.read_bytes().replace(b"\n", b"\r\n"))
    succeeds("personas", "validate", personas)
    config = tmp_path / "c.yaml"
    config.write_bytes(b"\xef\xbb\xbf{}\r\n")
    succeeds("simulate", "--personas", personas, "--script", SCRIPT, "--simulator-config", config, "--max-turns", "1")


# --- loose schemas -----------------------------------------------------------------------------------------------


def persona_record(**changes) -> dict:
    record = json.loads(PERSONAS.read_text(encoding="utf-8").splitlines()[0])
    record.update(changes)
    return record


@pytest.mark.parametrize("field,value", [
    ("initial_emotion", "50"), ("initial_emotion", True), ("initial_emotion", 50.0), ("age", "30"),
    ("personality", {"openness": True, "conscientiousness": 0.5, "extraversion": 0.5, "agreeableness": 0.5,
                     "neuroticism": 0.5}),
    ("difficulty", -0.5), ("dislikes", "loud music"), ("name", 7),
])
def test_persona_schema_is_strict(tmp_path, field, value):
    path = tmp_path / "p.jsonl"
    path.write_text(json.dumps(persona_record(**{field: value})) + "\n", encoding="utf-8")
    line = fails_cleanly("personas", "validate", path, names=f"{path}:1")
    assert field in line


def test_metrics_with_nan_or_infinity_are_not_compared(tmp_path):
    folders = []
    for name, value in (("a", "NaN"), ("b", "Infinity"), ("c", "1e999"), ("d", '"12"')):
        folder = tmp_path / name
        folder.mkdir()
        (folder / "metrics.json").write_text(
            '{"sentient_score": %s, "success_rate": 0.5, "failure_rate": 0.1, "mean_turns": 3, "n_personas": 4}'
            % value, encoding="utf-8")
        folders.append(folder)
    for folder in folders:
        fails_cleanly("eval", "--compare", folder, folder, names=folder / "metrics.json")


def test_a_reply_over_the_cap_is_refused(tmp_path):
    from rlemp.simulators.base import MAX_REPLY_CHARS

    script = tmp_path / "long.json"
    script.write_text(json.dumps(["fine", "x" * (MAX_REPLY_CHARS + 1)]), encoding="utf-8")
    line = fails_cleanly("simulate", "--personas", PERSONAS, "--script", script, names=script)
    assert "[1]" in line


def test_the_simulator_cuts_and_counts_oversize_agent_replies(caplog):
    from rlemp.personas import load_personas
    from rlemp.simulators import build_simulator
    from rlemp.simulators.base import MAX_REPLY_CHARS

    sim = build_simulator("rule")
    transcript = sim.start(load_personas(PERSONAS)[0], seed=0, max_turns=2)
    with caplog.at_level("WARNING"):
        turn = sim.step(transcript, "I hear you. " * 100_000)
    assert len(turn.agent) == MAX_REPLY_CHARS
    assert f"cut 1 agent replies to {MAX_REPLY_CHARS} characters" in caplog.text


# --- output paths ------------------------------------------------------------------------------------------------


def test_output_paths_are_checked_before_work(tmp_path):
    a_dir = tmp_path / "dir"
    a_dir.mkdir()
    a_file = tmp_path / "file"
    a_file.write_text("x")
    fails_cleanly("simulate", "--personas", PERSONAS, "--script", SCRIPT, "--out", a_dir, names=a_dir)
    fails_cleanly("score", "--reward", "emotion_final", "--personas", PERSONAS, "--script", SCRIPT, "--out", a_dir,
                  names=a_dir)
    fails_cleanly("curriculum", "--personas", PERSONAS, "--out", a_dir, names=a_dir)
    fails_cleanly("personas", "import-sage", DATA / "sage_small.jsonl", "--out", a_dir, names=a_dir)
    fails_cleanly("simulate", "--personas", PERSONAS, "--script", SCRIPT, "--out", a_file / "t.jsonl",
                  names=a_file)
    fails_cleanly("tiny-model", "--out", a_file, names=a_file)
    fails_cleanly("eval", "--model", "m", "--personas", PERSONAS, "--out", a_file, names=a_file)
    fails_cleanly("sft", "--model", "m", "--out", a_file, names=a_file)
    fails_cleanly("merge", "--adapter", "a", "--out", a_file, names=a_file)


# --- recipe values -----------------------------------------------------------------------------------------------


@pytest.fixture
def recipe_file(tmp_path):
    def write(**changes) -> Path:
        recipe = yaml.safe_load((ROOT / "recipes" / "tiny" / "grpo.yaml").read_text(encoding="utf-8"))
        recipe.update(model_name_or_path=str(tmp_path / "model"), output_dir=str(tmp_path / "out"),
                      personas=str(PERSONAS), eval_personas=str(PERSONAS))
        recipe.update(changes)
        path = tmp_path / "recipe.yaml"
        path.write_text(yaml.safe_dump(recipe), encoding="utf-8")
        return path
    return write


@pytest.mark.parametrize("field,value", [
    ("learning_rate", float("nan")), ("learning_rate", float("inf")), ("learning_rate", -1e-3), ("learning_rate", 0),
    ("temperature", float("nan")), ("temperature", 0), ("lora_r", 0), ("lora_r", 10**12), ("seed", 2**70),
    ("seed", -1), ("dtype", "float7"), ("max_turns", 10**9), ("beta", float("inf")), ("top_p", 1.5),
    ("rewards", [{"name": "emotion_final", "weight": float("nan")}]),
    ("rewards", [{"name": "emotion_final", "weight": "heavy"}]), ("max_failure_rate", float("nan")),
])
def test_recipe_values_are_range_checked(recipe_file, field, value):
    path = recipe_file(**{field: value})
    line = fails_cleanly("train", "--config", path, names=path)
    assert field in line


def test_recipe_overrides_on_the_command_line_are_range_checked(recipe_file):
    path = recipe_file()
    for field, value in (("learning_rate", "inf"), ("temperature", "nan"), ("seed", str(2**70))):
        line = fails_cleanly("train", "--config", path, f"--{field}", value, names=path)
        assert field in line and line.startswith(f"error: command line, over {path}:"), line


def test_output_dir_that_is_a_file_or_holds_another_run(recipe_file, tiny_model_dir, tmp_path):
    a_file = tmp_path / "file"
    a_file.write_text("x")
    path = recipe_file(model_name_or_path=str(tiny_model_dir), output_dir=str(a_file))
    fails_cleanly("train", "--config", path, names=a_file)
    used = tmp_path / "used"
    used.mkdir()
    (used / "metrics.jsonl").write_text('{"step": 1}\n')
    path = recipe_file(model_name_or_path=str(tiny_model_dir), output_dir=str(used))
    assert "--overwrite_output_dir" in fails_cleanly("train", "--config", path, names=used)


def test_number_options_must_be_finite(tmp_path):
    fails_cleanly("mine-preferences", "--model", "m", "--personas", PERSONAS, "--out", tmp_path / "p.jsonl",
                  "--margin", "nan")
    fails_cleanly("eval", "--model", "m", "--personas", PERSONAS, "--out", tmp_path / "o", "--temperature", "inf")


# --- simulator configs and failing simulators --------------------------------------------------------------------


@pytest.mark.parametrize("config", [
    {"temperature": float("nan")}, {"unknown": 1}, {"api_key_env": "hf_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789"},
    {"backoff_s": float("inf")}, {"base_url": "ftp://x"},
])
def test_bad_simulator_configs(tmp_path, config):
    path = tmp_path / "sim.yaml"
    path.write_text(yaml.safe_dump({"model": "m", **config}), encoding="utf-8")
    line = fails_cleanly("simulate", "--personas", PERSONAS, "--script", SCRIPT, "--backend", "openai",
                         "--simulator-config", path)
    assert "hf_AbCd" not in line  # a pasted token is never echoed


class _Unauthorized(BaseHTTPRequestHandler):
    def do_POST(self):
        body = b'{"error": {"message": "Incorrect API key provided"}}'
        self.send_response(401)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def unauthorized_endpoint():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Unauthorized)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    server.shutdown()
    server.server_close()


def test_every_conversation_failing_is_an_error(tmp_path, unauthorized_endpoint, monkeypatch):
    monkeypatch.setenv("RLEMP_FUZZ_KEY", "wrong")
    config = tmp_path / "sim.yaml"
    config.write_text(yaml.safe_dump({"base_url": unauthorized_endpoint, "model": "m", "api_key_env": "RLEMP_FUZZ_KEY",
                                      "max_retries": 0, "cache_dir": None}), encoding="utf-8")
    common = ["--personas", PERSONAS, "--script", SCRIPT, "--backend", "openai", "--simulator-config", config]
    line = fails_cleanly("simulate", *common, "--out", tmp_path / "t.jsonl")
    assert "failed on all 8 conversations" in line and "401" in line
    assert not (tmp_path / "t.jsonl").exists()
    line = fails_cleanly("score", "--reward", "emotion_final", *common, "--out", tmp_path / "s.json")
    assert "401" in line


def test_failure_budget_stops_when_every_conversation_failed_whatever_the_count():
    from rlemp.errors import RlempError
    from rlemp.trainers.ledger import FailureBudget

    budget = FailureBudget(max_rate=1.0)
    with pytest.raises(RlempError, match="failed on 2 of 2 conversations"):
        budget.add([], failed=2)


# --- adapters and model folders ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def adapter_dir(tiny_model_dir, tmp_path_factory):
    """A valid LoRA adapter of the tiny model, with its tokenizer."""
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM, AutoTokenizer

    model = AutoModelForCausalLM.from_pretrained(tiny_model_dir)
    peft = get_peft_model(model, LoraConfig(r=4, lora_alpha=8, target_modules=["q_proj", "v_proj"]))
    out = tmp_path_factory.mktemp("adapter")
    peft.save_pretrained(out)
    AutoTokenizer.from_pretrained(tiny_model_dir).save_pretrained(out)
    return out


def broken_adapter(adapter_dir: Path, tmp_path: Path, damage: str) -> Path:
    """A copy of the adapter with one kind of damage."""
    from safetensors.torch import load_file, save_file

    out = tmp_path / f"adapter-{damage.replace(' ', '-')}"
    shutil.copytree(adapter_dir, out)
    weights, config_path = out / "adapter_model.safetensors", out / "adapter_config.json"
    config = json.loads(config_path.read_text())
    tensors = load_file(weights)
    if damage == "truncated weights":
        weights.write_bytes(weights.read_bytes()[:200])
    elif damage == "random weights":
        weights.write_bytes(bytes(range(256)) * 8)
    elif damage == "empty weights":
        weights.write_bytes(b"")
    elif damage == "NaN weights":
        key = next(iter(tensors))
        tensors[key][0, 0] = float("nan")
        save_file(tensors, weights)
    elif damage == "no tensors":
        save_file({}, weights)
    elif damage == "other rank":
        config["r"] = 8
    elif damage == "bogus peft_type":
        config["peft_type"] = "BOGUS"
    elif damage == "config not JSON":
        config_path.write_text("{r: 4")
    elif damage == "config a list":
        config = [config]
    elif damage == "other base":
        for key, tensor in list(tensors.items()):
            if "lora_A" in key:
                tensors[key] = tensor.new_zeros(tensor.shape[0], tensor.shape[1] + 3)
        save_file(tensors, weights)
    elif damage == "no weights":
        weights.unlink()
    elif damage == "empty folder":
        shutil.rmtree(out)
        out.mkdir()
    if damage not in ("config not JSON", "empty folder", "no weights"):
        config_path.write_text(json.dumps(config))
    return out


ADAPTER_DAMAGE = ["truncated weights", "random weights", "empty weights", "NaN weights", "no tensors", "other rank",
                  "bogus peft_type", "config not JSON", "config a list", "no weights", "empty folder"]


@pytest.mark.parametrize("damage", ADAPTER_DAMAGE)
def test_push_dry_run_opens_the_adapter(adapter_dir, tmp_path, damage):
    adapter = broken_adapter(adapter_dir, tmp_path, damage)
    fails_cleanly("push", "--adapter", adapter, "--repo-id", "me/x", "--base-model", "Qwen/Qwen2.5-0.5B",
                  "--dry-run", tmp_path / "upload", names=adapter)
    assert not (tmp_path / "upload").exists()


def test_push_dry_run_accepts_the_valid_adapter(adapter_dir, tmp_path):
    succeeds("push", "--adapter", adapter_dir, "--repo-id", "me/x", "--base-model", "Qwen/Qwen2.5-0.5B",
             "--dry-run", tmp_path / "upload")


@pytest.mark.parametrize("damage", ["truncated weights", "NaN weights", "bogus peft_type", "other base",
                                    "empty folder"])
def test_merge_and_eval_refuse_broken_adapters(adapter_dir, tiny_model_dir, tmp_path, damage):
    adapter = broken_adapter(adapter_dir, tmp_path, damage)
    fails_cleanly("merge", "--adapter", adapter, "--base-model", tiny_model_dir, "--out", tmp_path / "m",
                  names=adapter)
    fails_cleanly("eval", "--model", tiny_model_dir, "--adapter", adapter, "--personas", PERSONAS,
                  "--out", tmp_path / "e", "--max-turns", "1", names=adapter)


def broken_model(tiny_model_dir: Path, tmp_path: Path, damage: str) -> Path:
    out = tmp_path / f"model-{damage.replace(' ', '-')}"
    shutil.copytree(tiny_model_dir, out)
    if damage == "empty folder":
        shutil.rmtree(out)
        out.mkdir()
    elif damage == "no tokenizer":
        for path in out.iterdir():
            if "token" in path.name or path.suffix in (".jinja", ".txt") or path.name == "vocab.json":
                path.unlink()
    elif damage == "truncated weights":
        weights = out / "model.safetensors"
        weights.write_bytes(weights.read_bytes()[:100])
    elif damage == "config not JSON":
        (out / "config.json").write_bytes(b"\xff{")
    elif damage == "unknown architecture":
        config = json.loads((out / "config.json").read_text())
        config["model_type"] = "no-such-model"
        (out / "config.json").write_text(json.dumps(config))
    elif damage == "a file":
        shutil.rmtree(out)
        out.write_text("not a model")
    return out


MODEL_DAMAGE = ["empty folder", "no tokenizer", "truncated weights", "config not JSON", "unknown architecture",
                "a file"]


@pytest.mark.parametrize("damage", MODEL_DAMAGE)
def test_broken_model_folders(tiny_model_dir, tmp_path, damage):
    model = broken_model(tiny_model_dir, tmp_path, damage)
    fails_cleanly("eval", "--model", model, "--personas", PERSONAS, "--out", tmp_path / "e", "--max-turns", "1",
                  names=model)
    fails_cleanly("score", "--reward", "flr", "--model", model, "--personas", PERSONAS, "--script", SCRIPT,
                  "--out", tmp_path / "s.json", names=model)


def test_sft_refuses_a_broken_model_or_corpus(tiny_model_dir, tmp_path):
    model = broken_model(tiny_model_dir, tmp_path, "empty folder")
    corpus = tmp_path / "corpus.jsonl"
    corpus.write_text(json.dumps({"messages": [{"role": "user", "content": "hi"},
                                               {"role": "assistant", "content": "hello"}]}) + "\n")
    fails_cleanly("sft", "--model", model, "--corpus", corpus, "--out", tmp_path / "o", names=model)
    for bad in ({"messages": "hi"}, {"messages": [{"role": "user", "content": "hi"}]},
                {"messages": [{"role": "robot", "content": "hi"}, {"role": "assistant", "content": "x"}]}, [1]):
        corpus.write_text(json.dumps(bad) + "\n")
        fails_cleanly("sft", "--model", tiny_model_dir, "--corpus", corpus, "--out", tmp_path / "o",
                      names=f"{corpus}:1")


# --- the guard ---------------------------------------------------------------------------------------------------


def test_an_unexpected_exception_is_one_line_with_exit_70_and_shows_with_rlemp_debug(monkeypatch, tmp_path):
    import rlemp.personas

    def broken(path):
        raise ZeroDivisionError("boom")

    monkeypatch.setattr(rlemp.personas, "load_personas", broken)
    result = runner.invoke(app, ["personas", "validate", str(PERSONAS)])
    assert result.exit_code == INTERNAL_ERROR
    assert result.stderr.strip().splitlines() == [
        "error: internal error (ZeroDivisionError: boom); this is a bug in rlemp: rerun with RLEMP_DEBUG=1 for the "
        "traceback"]
    monkeypatch.setenv("RLEMP_DEBUG", "1")
    result = runner.invoke(app, ["personas", "validate", str(PERSONAS)])
    assert isinstance(result.exception, ZeroDivisionError)


def test_dialogues_without_turns_are_refused(tmp_path):
    dialogues = json.loads((DATA / "curriculum" / "esconv_small.json").read_text(encoding="utf-8"))
    dialogues[1]["dialog"] = []
    esconv = tmp_path / "esconv.json"
    esconv.write_text(json.dumps(dialogues), encoding="utf-8")
    assert "field '[1].dialog': no turns" in fails_cleanly("curriculum", "--dialogues", esconv, "--out",
                                                           tmp_path / "d.jsonl", names=esconv)
    from rlemp.personas import load_personas
    from rlemp.simulators import build_simulator

    transcripts = tmp_path / "t.jsonl"
    transcripts.write_text(build_simulator("rule").start(load_personas(PERSONAS)[0], 0, 3).to_json() + "\n")
    assert "has no turns" in fails_cleanly("curriculum", "--dialogues", transcripts, "--out", tmp_path / "d.jsonl",
                                           names=transcripts)


# --- a few checks in real processes (the CliRunner shares one interpreter) -------------------------------------


@pytest.mark.parametrize("args", [
    ["personas", "validate", "{bad}"],
    ["simulate", "--personas", str(PERSONAS), "--script", "{bad}"],
    pytest.param(["train", "--config", "{bad}"], marks=pytest.mark.slow),  # imports TRL: seconds
])
def test_one_line_errors_in_a_real_process(tmp_path, args):
    import os
    import subprocess
    import sys

    bad = tmp_path / "bad.json"
    bad.write_bytes(b'{"x": NaN}\n')
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    proc = subprocess.run([sys.executable, "-m", "rlemp.cli", *[a.replace("{bad}", str(bad)) for a in args]],
                          capture_output=True, text=True, env=env, cwd=tmp_path, timeout=300)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.strip().splitlines() == [proc.stderr.strip()] and str(bad) in proc.stderr
    assert "Traceback" not in proc.stderr


@pytest.mark.parametrize("args, says", [
    (["simulate", "--max-turns", "0"], "rlemp simulate: Invalid value for '--max-turns'"),
    (["demo", "--seed", "-1"], "rlemp demo: Invalid value for '--seed'"),
    (["simulat"], "No such command 'simulat'"),
    (["simulate", "--no-such-option"], "No such option: --no-such-option"),
])
def test_usage_errors_are_one_line_in_a_real_process(args, says):
    """Click's own errors (bad option values, unknown commands) read like every other error: one line, exit 2."""
    import subprocess
    import sys

    proc = subprocess.run([sys.executable, "-m", "rlemp.cli", *args], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.strip().splitlines() == [proc.stderr.strip()], proc.stderr
    assert says in proc.stderr and "--help" in proc.stderr


def test_overwrite_output_dir_removes_the_old_run_logs(tmp_path):
    from rlemp.errors import RlempError
    from rlemp.trainers.reliability import check_output_dir

    (tmp_path / "metrics.jsonl").write_text('{"step": 1}\n')
    (tmp_path / "checkpoint-5").mkdir()
    with pytest.raises(RlempError, match=r"holds another run \(metrics.jsonl, checkpoint-5\)"):
        check_output_dir(tmp_path, resuming=False, overwrite=False)
    check_output_dir(tmp_path, resuming=True, overwrite=False)  # --resume continues the run
    check_output_dir(tmp_path, resuming=False, overwrite=True)
    assert not (tmp_path / "metrics.jsonl").exists() and (tmp_path / "checkpoint-5").is_dir()
