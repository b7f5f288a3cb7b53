"""Property-based fuzzing of every loader of user files: random bytes and mutated valid files (a field deleted,
replaced by a random or extreme JSON value, a key added, lines cut, duplicated, swapped or garbled) go to the
persona, SAGE, transcript, dialogue (ESConv, MELD, rlemp), recipe, simulator-config, accelerate-config,
metrics, preference-pair, corpus, script and adapter readers, ``rlemp personas validate``, ``rlemp verify`` and
``rlemp eval --compare``. Each must either accept the file or fail with a one-line :class:`RlempError` (exit code
1 or 2 for the CLI; 70 would be an unexpected exception), never crash. Each property runs ``max_examples`` times
in the default suite and five times as often in the ``slow`` pass."""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from rlemp.cli import app
from rlemp.curriculum import dialogue_difficulties
from rlemp.errors import RlempError
from rlemp.personas import import_sage, load_personas
from rlemp.rollout import run_scripted
from rlemp.simulators import build_simulator
from rlemp.simulators.replay import verify_transcripts
from rlemp.transcript import read_transcripts

DATA = Path(__file__).parent / "data"
runner = CliRunner()
SLOW_RUN = os.environ.get("RLEMP_FUZZ_SLOW") == "1"


def fuzz(max_examples: int = 120):
    """Hypothesis settings: ``max_examples`` by default, five times as many with ``RLEMP_FUZZ_SLOW=1`` (the slow
    pass, see ``test_fuzz_slow.py``)."""
    return settings(max_examples=max_examples * (5 if SLOW_RUN else 1), deadline=None, database=None,
                    suppress_health_check=list(HealthCheck))


FUZZ = fuzz()


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
    assert result.exit_code in (0, 1, 2), result.output  # 70: an unexpected exception
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


# --- recipes, configs, metrics, pairs, corpus, scripts, adapters --------------------------------------------------

ROOT = DATA.parent.parent
RECIPE = yaml.safe_load((ROOT / "recipes" / "tiny" / "grpo.yaml").read_text(encoding="utf-8"))
RECIPE.update(model_name_or_path="outputs/tiny-model", personas=str(DATA / "personas_small.jsonl"),
              eval_personas=str(DATA / "personas_small.jsonl"))
ACCELERATE = [yaml.safe_load(p.read_text(encoding="utf-8"))
              for p in sorted((ROOT / "accelerate_configs").glob("*.yaml"))]
OPENAI_CONFIG = {"base_url": "http://127.0.0.1:9/v1", "model": "m", "api_key_env": "RLEMP_FUZZ_KEY", "max_tokens": 64,
                 "timeout_s": 1.0, "max_retries": 0, "backoff_s": 0.1, "cache_dir": None, "temperature": 0.7}
METRICS = {"sentient_score": 41.5, "success_rate": 0.25, "failure_rate": 0.125, "mean_turns": 2.5, "n_personas": 3,
           "n_dropped": 0, "seed": 5, "max_turns": 3, "model": "m", "personas": "p.jsonl",
           "simulator": {"backend": "rule", "version": "1", "config_hash": "abc"}}
PAIR = {"prompt": [{"role": "system", "content": "be kind"}, {"role": "user", "content": "I lost my job."}],
        "chosen": [{"role": "assistant", "content": "That sounds hard."}],
        "rejected": [{"role": "assistant", "content": "Whatever."}]}
CORPUS_ROW = {"messages": [{"role": "system", "content": "listen"}, {"role": "user", "content": "I am sad."},
                           {"role": "assistant", "content": "I hear you."}, {"role": "user", "content": "Thanks."}],
              "persona_id": "p1"}
SCRIPT = json.loads((DATA / "scripts" / "empathic.json").read_text(encoding="utf-8"))
ADAPTER_CONFIG = {"peft_type": "LORA", "r": 4, "lora_alpha": 8, "target_modules": ["q_proj"],
                  "base_model_name_or_path": "tiny", "task_type": "CAUSAL_LM"}


@st.composite
def yaml_files(draw, value):
    """YAML of ``value`` with one mutation, possibly garbled at the byte level; or random bytes."""
    if draw(st.integers(0, 9)) == 0:
        return draw(st.binary(max_size=300))
    text = yaml.safe_dump(draw(mutated(value)), allow_unicode=draw(st.booleans()))
    return draw(garbled(text))


@st.composite
def json_files(draw, value):
    if draw(st.integers(0, 9)) == 0:
        return draw(st.binary(max_size=300))
    return draw(garbled(json.dumps(draw(mutated(value)), ensure_ascii=draw(st.booleans()))))


@fuzz(25)
@given(content=yaml_files(RECIPE))
def test_recipe_files(scratch, content):
    from rlemp.configs import parse_recipe

    path = scratch / "recipe.yaml"
    path.write_bytes(content)
    accepts_or_explains(lambda p: parse_recipe(["--config", str(p), "--output_dir", str(scratch / "run")]), path)


@fuzz(30)
@given(content=yaml_files(OPENAI_CONFIG), backend=st.sampled_from(["openai", "rule"]))
def test_simulator_config_files(scratch, content, backend):
    from rlemp.cli import load_config_file

    path = scratch / "simulator.yaml"
    path.write_bytes(content)
    config = accepts_or_explains(lambda p: load_config_file(p, backend), path)
    if config is not None:
        accepts_or_explains(lambda _: build_simulator(backend, config), path)


@fuzz(30)
@given(data=st.data())
def test_accelerate_config_files(scratch, data):
    from rlemp.doctor import accelerate_config_errors

    path = scratch / "accelerate.yaml"
    path.write_bytes(data.draw(yaml_files(data.draw(st.sampled_from(ACCELERATE)))))
    errors = accelerate_config_errors(path)
    assert all("\n" not in error and str(path) in error for error in errors), errors


@fuzz(25)
@given(content=json_files(METRICS))
def test_metrics_files_compared(scratch, content):
    folder = scratch / "eval"
    folder.mkdir(exist_ok=True)
    (folder / "metrics.json").write_bytes(content)
    (folder / "transcripts.jsonl").write_text("".join(json.dumps(t) + "\n" for t in TRANSCRIPTS), encoding="utf-8")
    cli_accepts_or_explains("eval", "--compare", str(folder), str(folder))


@fuzz(30)
@given(content=jsonl_files([PAIR, PAIR]))
def test_preference_pair_files(scratch, content):
    from rlemp.preferences import read_pairs

    path = scratch / "pairs.jsonl"
    path.write_bytes(content)
    accepts_or_explains(read_pairs, path)


@fuzz(30)
@given(content=jsonl_files([CORPUS_ROW, CORPUS_ROW]))
def test_corpus_files(scratch, content):
    from rlemp.sft import read_corpus

    path = scratch / "corpus.jsonl"
    path.write_bytes(content)
    accepts_or_explains(read_corpus, path)


@fuzz(30)
@given(content=json_files(SCRIPT))
def test_script_files(scratch, content):
    from rlemp.cli import load_script

    path = scratch / "script.json"
    path.write_bytes(content)
    accepts_or_explains(load_script, path)


@fuzz(30)
@given(data=st.data())
def test_esconv_files(scratch, data):
    from rlemp.esconv import read_esconv

    if data.draw(st.booleans()):
        content, name = data.draw(garbled(json.dumps(data.draw(mutated(ESCONV))))), "esconv.json"
    else:
        content, name = data.draw(jsonl_files(ESCONV)), "esconv.jsonl"
    path = scratch / name
    path.write_bytes(content)
    accepts_or_explains(read_esconv, path)


def adapter_tensors():
    import torch

    return {"base_model.model.layers.0.q_proj.lora_A.weight": torch.ones(4, 16),
            "base_model.model.layers.0.q_proj.lora_B.weight": torch.zeros(16, 4)}


@fuzz(30)
@given(config=json_files(ADAPTER_CONFIG), damage=st.sampled_from(["none", "cut", "flip", "nan", "rank"]),
       at=st.floats(0, 1))
def test_adapter_folders(scratch, config, damage, at):
    from safetensors.torch import save_file

    from rlemp.loading import check_adapter

    folder = scratch / "adapter"
    folder.mkdir(exist_ok=True)
    (folder / "adapter_config.json").write_bytes(config)
    tensors = adapter_tensors()
    if damage == "nan":
        tensors["base_model.model.layers.0.q_proj.lora_A.weight"][1, 2] = math.nan
    if damage == "rank":
        tensors["base_model.model.layers.0.q_proj.lora_B.weight"] = tensors[
            "base_model.model.layers.0.q_proj.lora_B.weight"][:, :3].contiguous()
    weights = folder / "adapter_model.safetensors"
    save_file(tensors, weights)
    data = weights.read_bytes()
    i = int(at * (len(data) - 1))
    if damage == "cut":
        weights.write_bytes(data[:i])
    elif damage == "flip":
        weights.write_bytes(data[:i] + bytes([data[i] ^ 0xFF]) + data[i + 1:])
    loaded = accepts_or_explains(check_adapter, folder)
    if damage in ("nan", "rank"):
        assert loaded is None
