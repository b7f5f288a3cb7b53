"""More malformed inputs: text that no UTF-8 writer can write back (a lone surrogate), inputs that are not
regular files, outputs that fail while being written or that name an input, recipes that train would refuse,
and banks or corpora that leave nothing to work on. Each ends in one line naming the file (exit code neither 0
nor 70), or in a counted warning, and never leaves a truncated output behind."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from rlemp.cli import INTERNAL_ERROR, app

DATA = Path(__file__).parent / "data"
PERSONAS = DATA / "personas_small.jsonl"
SCRIPT = DATA / "scripts" / "empathic.json"
SURROGATE = '"I hear you \\ud800, that sounds hard."'  # JSON text with an unpaired surrogate escape
runner = CliRunner()


def fails_cleanly(*args: str, names: str | Path | None = None, code: int | None = None) -> str:
    """Run the CLI; assert a one-line error (naming ``names``) with a non-zero exit code other than 70 (a
    finished progress bar may precede it)."""
    result = runner.invoke(app, [str(a) for a in args])
    assert result.exit_code not in (0, INTERNAL_ERROR), (result.exit_code, result.output)
    if code is not None:
        assert result.exit_code == code, (result.exit_code, result.output)
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output
    lines = [line for line in result.stderr.strip().splitlines() if "━" not in line]
    assert len(lines) == 1, result.stderr
    if names is not None:
        assert str(names) in lines[0], lines[0]
    return lines[0]


def persona_rows() -> list[dict]:
    return [json.loads(line) for line in PERSONAS.read_text(encoding="utf-8").splitlines() if line.strip()]


def write_personas(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


# --- lone surrogates ---------------------------------------------------------------------------------------------


def test_a_lone_surrogate_in_a_script_is_refused_and_leaves_no_output(tmp_path):
    script = tmp_path / "script.json"
    script.write_text(f'["Hello.", {SURROGATE}]', encoding="utf-8")
    out = tmp_path / "t.jsonl"
    line = fails_cleanly("simulate", "--personas", PERSONAS, "--script", script, "--max-turns", "2", "--out", out,
                         names=script)
    assert "field '1'" in line and "surrogate" in line
    assert not out.exists()


def test_a_lone_surrogate_in_jsonl_names_the_line_and_field(tmp_path):
    rows = persona_rows()
    personas = tmp_path / "p.jsonl"
    text = "".join(json.dumps(r) + "\n" for r in rows)
    personas.write_text(text.replace('"first_message": "', '"first_message": "\\udc00', 1), encoding="utf-8")
    line = fails_cleanly("personas", "validate", personas)
    assert f"{personas}:1: field 'first_message'" in line


def test_a_surrogate_pair_is_text_and_accepted(tmp_path):
    script = tmp_path / "script.json"
    script.write_text('["That sounds hard \\ud83d\\ude00.", "I hear you."]', encoding="utf-8")
    result = runner.invoke(app, ["simulate", "--personas", str(PERSONAS), "--script", str(script), "--max-turns", "1"])
    assert result.exit_code == 0, result.output


def test_a_lone_surrogate_in_a_yaml_config_is_refused(tmp_path):
    config = tmp_path / "sim.yaml"
    config.write_text('diminishing: 0.5\n"\\ud800": 1\n', encoding="utf-8")
    fails_cleanly("simulate", "--personas", PERSONAS, "--script", SCRIPT, "--simulator-config", config, names=config)


def test_the_service_refuses_a_lone_surrogate_with_422_and_stores_nothing(tmp_path):
    from starlette.testclient import TestClient

    from rlemp.personas import load_personas
    from rlemp.service.app import create_app
    from rlemp.service.engine import ConversationEngine
    from rlemp.service.store import ConversationStore
    from rlemp.simulators import build_simulator

    engine = ConversationEngine(build_simulator("rule"), load_personas(PERSONAS), ConversationStore(tmp_path / "s"))
    with TestClient(create_app(engine)) as client:
        started = client.post("/v1/conversations", json={"persona_id": load_personas(PERSONAS)[0].id})
        assert started.status_code == 201, started.text
        cid = started.json()["conversation_id"]
        body = '{"reply": ' + SURROGATE + "}"
        answer = client.post(f"/v1/conversations/{cid}/reply", content=body.encode(),
                             headers={"content-type": "application/json"})
        assert answer.status_code == 422 and "reply" in answer.json()["error"] and "surrogate" in answer.json()["error"]
        good = client.post(f"/v1/conversations/{cid}/reply", json={"reply": "That sounds hard.", "turn": 1})
        assert good.status_code == 200 and good.json()["turn"] == 1, good.text


def test_whole_file_writes_are_atomic(tmp_path):
    from rlemp.files import replacing, write_text_atomic

    target = write_text_atomic(tmp_path / "out.jsonl", "old\n")
    with pytest.raises(UnicodeEncodeError):
        with replacing(target) as tmp, tmp.open("w", encoding="utf-8") as f:
            f.write("new line\n")
            f.write("\ud800")
    assert target.read_text(encoding="utf-8") == "old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.jsonl"]


# --- OS errors, non-regular inputs, --out naming an input --------------------------------------------------------


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
@pytest.mark.parametrize("command", ["simulate", "score"])
def test_a_full_disk_is_an_os_error_naming_the_path(command):
    args = ["--personas", PERSONAS, "--script", SCRIPT, "--max-turns", "1", "--out", "/dev/full"]
    if command == "score":
        args = ["--reward", "safety", *args]
    line = fails_cleanly(command, *args, code=1)
    assert line.startswith("error: /dev/full:") and "No space left" in line and "internal" not in line


def test_writing_to_dev_null_works():
    result = runner.invoke(app, ["simulate", "--personas", str(PERSONAS), "--script", str(SCRIPT), "--max-turns", "1",
                                 "--out", os.devnull])
    assert result.exit_code == 0, result.output


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_inputs_that_are_not_regular_files_are_refused(tmp_path):
    fifo = tmp_path / "pipe.jsonl"
    os.mkfifo(fifo)
    assert "not a regular file" in fails_cleanly("personas", "validate", fifo, names=fifo)
    assert "not a regular file" in fails_cleanly("simulate", "--personas", PERSONAS, "--script", "/dev/zero",
                                                 names="/dev/zero")
    assert "not a regular file" in fails_cleanly("curriculum", "--dialogues", fifo, "--format", "meld", "--out",
                                                 tmp_path / "d.jsonl", names=fifo)


def test_out_naming_an_input_file_is_refused(tmp_path):
    personas = write_personas(tmp_path / "p.jsonl", persona_rows())
    before = personas.read_bytes()
    line = fails_cleanly("simulate", "--personas", personas, "--script", SCRIPT, "--out", personas, names=personas)
    assert "--personas" in line
    assert personas.read_bytes() == before
    csv = tmp_path / "d.csv"
    csv.write_text("Utterance,Speaker,Emotion,Dialogue_ID,Utterance_ID\nhi,A,joy,0,0\n", encoding="utf-8")
    fails_cleanly("curriculum", "--dialogues", csv, "--out", csv, names=csv)
    assert csv.read_text(encoding="utf-8").startswith("Utterance")


# --- recipes: doctor checks what train checks --------------------------------------------------------------------


@pytest.fixture(scope="module")
def base_recipe(tmp_path_factory) -> dict:
    root = tmp_path_factory.mktemp("recipe")
    model = root / "model"
    model.mkdir()
    (model / "config.json").write_text("{}", encoding="utf-8")
    return {"algorithm": "grpo", "model_name_or_path": str(model), "dtype": "float32", "use_peft": True,
            "personas": str(PERSONAS), "eval_personas": str(PERSONAS), "simulator_backend": "rule",
            "output_dir": str(root / "run"), "use_cpu": True, "bf16": False, "max_steps": 1,
            "per_device_train_batch_size": 4, "num_generations": 4, "report_to": "none", "eval_at_end": False}


@pytest.mark.parametrize("change, says", [
    ({"rewards": []}, "field 'rewards': empty list"),
    ({"rewards": [{"name": "banana"}]}, "unknown reward 'banana'"),
    ({"rewards": [{"name": "safety"}, {"name": "safety"}]}, "listed twice"),
    ({"rewards": [{"name": "length", "options": {"min_words": 9, "max_words": 2}}]}, "min_words"),
    ({"curriculum": {"schedule": "random_walk"}}, "curriculum field 'schedule'"),
])
def test_recipe_blocks_fail_in_parsing_so_doctor_and_train_agree(base_recipe, tmp_path, change, says):
    from rlemp.configs import RecipeError, parse_recipe
    from rlemp.doctor import recipe_checks

    recipe = tmp_path / "recipe.yaml"
    recipe.write_text(yaml.safe_dump({**base_recipe, **change}), encoding="utf-8")
    with pytest.raises(RecipeError, match=str(recipe)) as info:
        parse_recipe(["--config", str(recipe)])
    assert says in str(info.value) and "\n" not in str(info.value)
    checks = recipe_checks(recipe, timeout=0.1)
    assert [c.status for c in checks] == ["fail"] and says in checks[0].detail


def test_doctor_checks_the_resume_checkpoint_as_train_does(base_recipe, tmp_path):
    from rlemp.doctor import recipe_checks

    recipe = tmp_path / "recipe.yaml"
    recipe.write_text(yaml.safe_dump({**base_recipe, "resume": "/no/such/checkpoint"}), encoding="utf-8")
    checks = recipe_checks(recipe, timeout=0.1)
    says = "field 'resume': checkpoint folder /no/such/checkpoint does not exist"
    assert [c.status for c in checks] == ["fail"] and says in checks[0].detail


@pytest.mark.parametrize("field", ["personas", "eval_personas"])
def test_a_persona_path_too_long_for_the_system_parses_and_train_fails_in_one_line(base_recipe, tmp_path, field):
    from rlemp.configs import parse_recipe

    recipe = tmp_path / "recipe.yaml"
    recipe.write_text(yaml.safe_dump({**base_recipe, field: "x" * 5000}), encoding="utf-8")
    args, _, _ = parse_recipe(["--config", str(recipe)])  # the system cannot even look the name up: not an OSError
    assert getattr(args, field) == "x" * 5000
    result = CliRunner().invoke(app, ["train", "--config", str(recipe)])
    assert result.exit_code == 2 and result.output.startswith("error: ") and "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_the_valid_base_recipe_parses(base_recipe, tmp_path):
    from rlemp.configs import parse_recipe

    recipe = tmp_path / "recipe.yaml"
    recipe.write_text(yaml.safe_dump({**base_recipe, "rewards": [{"name": "emotion_final"}, {"name": "safety"}],
                                      "curriculum": {"schedule": "none"}}), encoding="utf-8")
    args, _, _ = parse_recipe(["--config", str(recipe)])
    assert [r["name"] for r in args.rewards] == ["emotion_final", "safety"]


# --- corpora and banks that leave nothing to do ------------------------------------------------------------------


def test_sft_reactions_on_a_corpus_without_reactions_names_the_corpus(tmp_path, monkeypatch):
    import rlemp.loading

    corpus = tmp_path / "corpus.jsonl"
    corpus.write_text(json.dumps({"messages": [{"role": "user", "content": "I lost my job."},
                                               {"role": "assistant", "content": "That sounds hard."}]}) + "\n",
                      encoding="utf-8")
    monkeypatch.setattr(rlemp.loading, "model_source", lambda model: model)  # no model is loaded before the check
    monkeypatch.setattr(rlemp.loading, "load_tokenizer", lambda source: object())
    line = fails_cleanly("sft", "--model", tmp_path, "--out", tmp_path / "out", "--corpus", corpus,
                         "--target", "reactions", names=corpus)
    assert "no reaction to train on" in line


def test_probe_needs_an_attack_strategy_and_counts_skipped_files(tmp_path, caplog):
    from rlemp.errors import InputError
    from rlemp.probe import load_strategies

    bank = tmp_path / "bank"
    (bank / "benign").mkdir(parents=True)
    (bank / "gaming").mkdir()
    (bank / "benign" / "empathic.json").write_text('["That sounds hard."]', encoding="utf-8")
    line = fails_cleanly("probe-simulator", "--personas", PERSONAS, "--attacks", bank, "--max-turns", "1",
                         "--out", tmp_path / "out", names=bank)
    assert "no attack strategy" in line
    (bank / "gaming" / "trigger.txt").write_text('["sorry sorry"]', encoding="utf-8")
    (bank / "gaming" / "salad").write_text('["sorry sorry"]', encoding="utf-8")
    with pytest.raises(InputError, match="no attack strategy"):
        load_strategies(bank)
    (bank / "gaming" / "salad.json").write_text('["sorry sorry"]', encoding="utf-8")
    with caplog.at_level("WARNING", logger="rlemp.probe"):
        strategies = load_strategies(bank)
    assert [s.name for s in strategies] == ["empathic", "salad"]
    assert any("skipped 2 file(s)" in r.getMessage() and "gaming/trigger.txt" in r.getMessage()
               for r in caplog.records)


# --- validation gaps ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("field, value", [
    ("dislikes", [""]),
    ("dislikes", ["lectures", "  "]),
    ("first_message", " \n\t"),
])
def test_blank_persona_text_is_refused(tmp_path, field, value):
    rows = persona_rows()
    rows[0][field] = value
    personas = write_personas(tmp_path / "p.jsonl", rows)
    line = fails_cleanly("personas", "validate", personas)
    assert f"{personas}:1: field '{field}" in line and "whitespace" in line


@pytest.mark.parametrize("config", [
    {"diminishing": -5}, {"diminishing": 50}, {"diminishing": 0}, {"memory": 1e21}, {"memory": 10**9},
    {"max_words": 0}, {"min_words": 50, "max_words": 10}, {"saturation": 2}, {"numbing": -0.1},
    {"goodbye_after": 10**9},
])
def test_rule_config_values_are_range_checked(tmp_path, config):
    path = tmp_path / "rule.json"
    path.write_text(json.dumps(config), encoding="utf-8")
    line = fails_cleanly("simulate", "--personas", PERSONAS, "--script", SCRIPT, "--simulator-config", path,
                         names=path)
    assert any(name in line for name in config), line


def test_rule_config_bounds_keep_the_defaults_and_the_edges():
    from rlemp.simulators.rule import RuleConfig

    RuleConfig()
    RuleConfig(diminishing=1.0, saturation=1.0, numbing=1.0, memory=1, min_words=5, max_words=5)


@pytest.mark.parametrize("turn", [
    {"speaker": "supporter", "annotation": {"strategy": "Question"}, "content": None},
    {"speaker": "supporter", "annotation": {"strategy": "Question"}},
])
def test_an_esconv_turn_without_text_is_refused(tmp_path, turn):
    dialogue = {
        "experience_type": "Current Experience", "emotion_type": "anxiety", "problem_type": "job crisis",
        "situation": "I might lose my job.",
        "survey_score": {"seeker": {"initial_emotion_intensity": "5", "final_emotion_intensity": "2",
                                    "empathy": "5", "relevance": "5"}},
        "dialog": [{"speaker": "seeker", "annotation": {}, "content": "I'm worried about my job."}, turn,
                   {"speaker": "seeker", "annotation": {"feedback": "4"}, "content": "They announced layoffs."}],
    }
    esconv = tmp_path / "esconv.json"
    esconv.write_text(json.dumps([dialogue]), encoding="utf-8")
    line = fails_cleanly("validate-simulator", "--esconv", esconv, "--resamples", "100", "--out", tmp_path / "out",
                         names=esconv)
    assert "dialog[1].content" in line


def test_compare_refuses_the_options_of_a_new_evaluation(tmp_path):
    from typer.testing import CliRunner

    from rlemp.cli import app

    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    result = CliRunner().invoke(app, ["eval", "--compare", str(tmp_path / "a"), str(tmp_path / "b"),
                                      "--model", "some-model"])
    assert result.exit_code == 2
    assert "--model: not used with --compare" in result.output


# --- what an independent fuzz of the command line found --------------------------------------------------------


@pytest.mark.parametrize("steps", [-5, 0])
def test_max_steps_below_one_other_than_minus_one_is_refused(base_recipe, tmp_path, steps):
    from rlemp.configs import RecipeError, parse_recipe

    recipe = tmp_path / "recipe.yaml"
    recipe.write_text(yaml.safe_dump({**base_recipe, "max_steps": steps}), encoding="utf-8")
    with pytest.raises(RecipeError, match="field 'max_steps': must be -1"):
        parse_recipe(["--config", str(recipe)])


def test_a_key_given_twice_in_a_recipe_names_the_second_line(base_recipe, tmp_path):
    recipe = tmp_path / "recipe.yaml"
    recipe.write_text(yaml.safe_dump(base_recipe) + "learning_rate: 0.1\nlearning_rate: 5.0\n", encoding="utf-8")
    line = len(recipe.read_text().splitlines())
    message = fails_cleanly("train", "--config", recipe, names=f"{recipe}:{line}")
    assert "field 'learning_rate': duplicate key" in message


def test_out_inside_an_input_folder_is_refused(tmp_path):
    bank = tmp_path / "bank"
    (bank / "benign").mkdir(parents=True)
    (bank / "benign" / "empathic.json").write_text(json.dumps(["That sounds hard."]), encoding="utf-8")
    for out in (bank, bank / "benign", bank / "new"):
        message = fails_cleanly("probe-simulator", "--personas", PERSONAS, "--attacks", bank, "--max-turns", "1",
                                "--out", out, names=out)
        assert "inside the input folder --attacks" in message
    assert sorted(p.name for p in bank.rglob("*")) == ["benign", "empathic.json"]


def test_a_non_ascii_digit_is_not_an_initial_emotion(tmp_path):
    esconv = tmp_path / "esconv.jsonl"
    esconv.write_text("", encoding="utf-8")
    message = fails_cleanly("validate-simulator", "--esconv", esconv, "--initial-emotion", "\u00b2",
                            "--out", tmp_path / "out")
    assert "--initial-emotion" in message


def test_a_chat_template_that_does_not_parse_is_the_users_to_fix(tiny_model_dir, tmp_path):
    import shutil

    model = tmp_path / "model"
    shutil.copytree(tiny_model_dir, model)
    config = json.loads((model / "tokenizer_config.json").read_text(encoding="utf-8"))
    config["chat_template"] = "{% for m in messages %}{{ m['content'] }}{% endfor"
    (model / "tokenizer_config.json").write_text(json.dumps(config), encoding="utf-8")
    for name in ("chat_template.jinja",):
        (model / name).unlink(missing_ok=True)
    result = runner.invoke(app, ["eval", "--model", str(model), "--personas", str(PERSONAS), "--max-turns", "1",
                                 "--max-new-tokens", "4", "--out", str(tmp_path / "eval")])
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert result.exit_code == 2 and "Traceback" not in result.output, result.output
    assert len(errors) == 1 and "chat template failed" in errors[0], result.stderr


def test_verify_names_the_line_of_a_header_no_simulator_accepts(tmp_path):
    from rlemp.personas import load_personas
    from rlemp.rollout import run_scripted
    from rlemp.simulators import build_simulator
    from rlemp.transcript import write_transcripts

    script = json.loads(SCRIPT.read_text(encoding="utf-8"))
    good = run_scripted(build_simulator("rule"), load_personas(PERSONAS)[:2], script, seed=0, max_turns=1)
    bad = good[1].model_copy(update={"simulator_config": {**good[1].simulator_config, "memory": "four"}})
    path = tmp_path / "t.jsonl"
    write_transcripts([good[0], bad], path)
    message = fails_cleanly("verify", path, names=f"{path}:2")
    assert "config field 'memory'" in message


@pytest.mark.parametrize("change, says", [
    ({"report_to": "bogus"}, "field 'report_to': unknown logger 'bogus'"),
    ({"per_device_train_batch_size": 0}, "field 'per_device_train_batch_size'"),
    ({"num_generations": 0}, "num_generations"),
])
def test_loggers_and_counts_are_checked_while_parsing(base_recipe, tmp_path, change, says):
    from rlemp.configs import RecipeError, parse_recipe

    recipe = tmp_path / "recipe.yaml"
    recipe.write_text(yaml.safe_dump({**base_recipe, **change}), encoding="utf-8")
    with pytest.raises(RecipeError, match=str(recipe)) as info:
        parse_recipe(["--config", str(recipe)])
    assert says in str(info.value)


@pytest.mark.parametrize("option", ["--per-device-train-batch-size", "--num-generations"])
def test_a_zero_count_given_with_dashes_is_refused(base_recipe, tmp_path, option):
    from rlemp.configs import RecipeError, parse_recipe

    recipe = tmp_path / "recipe.yaml"
    recipe.write_text(yaml.safe_dump(base_recipe), encoding="utf-8")
    with pytest.raises(RecipeError, match="at least 1"):
        parse_recipe(["--config", str(recipe), option, "0"])


def test_a_blank_esconv_turn_is_refused_like_a_missing_one(tmp_path):
    row = {"dialog": [{"speaker": "usr", "text": "I lost my job."}, {"speaker": "sys", "text": "   "}]}
    esconv = tmp_path / "esconv.jsonl"
    esconv.write_text(json.dumps(row) + "\n", encoding="utf-8")
    message = fails_cleanly("validate-simulator", "--esconv", esconv, "--out", tmp_path / "out", names=f"{esconv}:1")
    assert "dialog[1].text" in message and "blank" in message


@pytest.mark.parametrize("change, says", [
    ({"chosen": [{"role": "user", "content": "Hi"}]}, "expected assistant messages"),
    ({"prompt": [{"role": "assistant", "content": "Hello"}]}, "must end with the user's message"),
    ({"rejected": [{"role": "assistant", "content": "That sounds hard."}]}, "the same reply"),
])
def test_a_preference_pair_must_prefer_one_reply_to_another(tmp_path, change, says):
    from rlemp.errors import InputError
    from rlemp.preferences import read_pairs

    pair = {"prompt": [{"role": "user", "content": "I lost my job."}],
            "chosen": [{"role": "assistant", "content": "That sounds hard."}],
            "rejected": [{"role": "assistant", "content": "Cheer up."}]}
    path = tmp_path / "pairs.jsonl"
    path.write_text(json.dumps({**pair, **change}) + "\n", encoding="utf-8")
    with pytest.raises(InputError, match=f"{path}:1") as info:
        read_pairs(path)
    assert says in str(info.value)


def test_an_extra_pair_column_of_mixed_types_names_the_file(tmp_path):
    from rlemp.errors import InputError
    from rlemp.preferences import pairs_dataset

    pair = {"prompt": [{"role": "user", "content": "I lost my job."}],
            "chosen": [{"role": "assistant", "content": "That sounds hard."}],
            "rejected": [{"role": "assistant", "content": "Cheer up."}]}
    path = tmp_path / "pairs.jsonl"
    path.write_text(json.dumps({**pair, "note": 1}) + "\n" + json.dumps({**pair, "note": "x"}) + "\n", encoding="utf-8")
    with pytest.raises(InputError, match="different types"):
        pairs_dataset(path)


def test_the_curriculum_histogram_never_overwrites_its_input(tmp_path):
    dialogues = tmp_path / "meld.png"  # a MELD CSV that happens to be named like the histogram
    dialogues.write_text("Dialogue_ID,Utterance_ID,Speaker,Utterance,Emotion,Sentiment\n0,0,A,hi,joy,positive\n",
                         encoding="utf-8")
    before = dialogues.read_bytes()
    message = fails_cleanly("curriculum", "--dialogues", dialogues, "--format", "meld",
                            "--out", tmp_path / "meld.jsonl", names=dialogues)
    assert "would overwrite the input --dialogues" in message and dialogues.read_bytes() == before


def test_an_absurd_candidate_count_is_refused_before_any_work():
    from pydantic import ValidationError

    from rlemp.preferences import MiningConfig

    with pytest.raises(ValidationError, match="less than or equal to 256"):
        MiningConfig(candidates=10**12)


def test_a_persona_the_rule_backend_cannot_play_names_its_line(tmp_path, base_recipe):
    from rlemp.doctor import recipe_checks

    rows = persona_rows()
    rows[1]["language"] = "zh"
    personas = write_personas(tmp_path / "p.jsonl", rows)
    for command in (["simulate", "--script", SCRIPT], ["curriculum", "--out", tmp_path / "c.jsonl"]):
        line = fails_cleanly(command[0], "--personas", personas, *command[1:], "--max-turns", "1")
        assert line.startswith(f"error: {personas}:2: field 'language'"), line
    recipe = tmp_path / "recipe.yaml"
    recipe.write_text(yaml.safe_dump({**base_recipe, "personas": str(personas)}), encoding="utf-8")
    failed = [c for c in recipe_checks(recipe, timeout=0.1) if c.status == "fail"]
    assert [c.name for c in failed] == ["personas"] and f"{personas}:2: field 'language'" in failed[0].detail


@pytest.mark.parametrize("change, says", [
    ({"simulator_backend": "bogus"}, "field 'simulator_backend': expected one of rule, hf, openai, remote"),
    ({"simulator_config": {"zzz": 1}}, "field 'simulator_config': rule config field 'zzz'"),
])
def test_the_simulator_fields_name_their_recipe_line(base_recipe, tmp_path, change, says):
    from rlemp.configs import RecipeError, parse_recipe

    recipe = tmp_path / "recipe.yaml"
    recipe.write_text(yaml.safe_dump({**base_recipe, **change}, sort_keys=False), encoding="utf-8")
    line = 1 + list({**base_recipe, **change}).index(next(iter(change)))
    with pytest.raises(RecipeError) as info:
        parse_recipe(["--config", str(recipe)])
    assert str(info.value).startswith(f"{recipe}:{line}: {says}"), str(info.value)


@pytest.mark.parametrize("tail", [["--learning_rate"], ["--learning-rate", "abc"], ["--learning_rate=abc"],
                                  ["--simulator_config", '{"zzz": 1}']])
def test_a_bad_command_line_value_is_blamed_on_the_command_line(base_recipe, tmp_path, tail):
    from rlemp.configs import RecipeError, parse_recipe

    recipe = tmp_path / "recipe.yaml"
    recipe.write_text(yaml.safe_dump({**base_recipe, "learning_rate": 0.001}), encoding="utf-8")
    with pytest.raises(RecipeError) as info:
        parse_recipe(["--config", str(recipe), *tail])
    assert str(info.value).startswith(f"command line, over {recipe}: field "), str(info.value)


@pytest.mark.parametrize("value", ["-1", "101", "1" + "0" * 30])
def test_import_sage_blames_a_bad_initial_emotion_on_the_option(tmp_path, value):
    line = fails_cleanly("personas", "import-sage", DATA / "sage_small.jsonl", "--out", tmp_path / "o.jsonl",
                         f"--initial-emotion={value}")
    assert line.startswith("error: --initial-emotion: must be a whole number from 0 to 100"), line


def test_a_sage_scene_of_headings_and_labels_only_is_refused(tmp_path):
    row = json.loads((DATA / "sage_small.jsonl").read_text(encoding="utf-8").splitlines()[0])
    row["scene"] = "## 标题\n**事件起因：**\n背景："
    row.pop("first_talk", None)
    profiles = tmp_path / "profiles.jsonl"
    profiles.write_text(json.dumps(row, ensure_ascii=False) + "\n", encoding="utf-8")
    line = fails_cleanly("personas", "import-sage", profiles, "--out", tmp_path / "o.jsonl")
    assert f"{profiles}:1: field 'scene': no sentence of story" in line


def test_a_run_never_writes_into_a_model_folder(tmp_path):
    from rlemp.errors import RlempError
    from rlemp.trainers.reliability import check_output_dir

    model = tmp_path / "model"
    model.mkdir()
    (model / "config.json").write_text("{}", encoding="utf-8")
    for resuming, overwrite in ((False, False), (False, True), (True, False)):
        with pytest.raises(RlempError, match="holds a model"):
            check_output_dir(model, resuming, overwrite)


def test_push_refuses_an_adapter_whose_recipe_does_not_parse(tmp_path, tiny_model_dir):
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    adapter = tmp_path / "adapter"
    model = get_peft_model(AutoModelForCausalLM.from_pretrained(tiny_model_dir),
                           LoraConfig(r=2, target_modules=["q_proj"]))
    model.save_pretrained(adapter)
    (adapter / "rlemp_recipe.yaml").write_bytes(b"\x00\xff garbage: [")
    line = fails_cleanly("push", "--adapter", adapter, "--repo-id", "me/x", "--dry-run", tmp_path / "card",
                         "--base-model", "HuggingFaceTB/SmolLM2-135M-Instruct")
    assert f"{adapter / 'rlemp_recipe.yaml'}" in line
    assert not (tmp_path / "card").exists()


def test_simulate_refuses_a_simulator_that_judged_no_turn(tmp_path, tiny_model_dir):
    """A random tiny model never writes the JSON the hf backend reads: every turn falls back to change 0."""
    config = tmp_path / "hf.yaml"
    config.write_text(yaml.safe_dump({"model": str(tiny_model_dir), "max_new_tokens": 8, "max_retries": 0}))
    out = tmp_path / "t.jsonl"
    line = fails_cleanly("simulate", "--personas", PERSONAS, "--script", SCRIPT, "--max-turns", "1",
                         "--backend", "hf", "--simulator-config", config, "--out", out, code=2)
    n = len(persona_rows())
    assert f"the simulator judged no turn: all {n} of {n} turns fell back to change 0" in line
    assert not out.exists()


def test_a_mapping_where_a_list_of_modules_belongs_names_the_field(base_recipe, tmp_path):
    from rlemp.configs import RecipeError, parse_recipe

    recipe = tmp_path / "recipe.yaml"
    recipe.write_text(yaml.safe_dump({**base_recipe, "lora_target_modules": {"": None}}), encoding="utf-8")
    with pytest.raises(RecipeError, match=r"field 'lora_target_modules': expected list, got \{'': None\}"):
        parse_recipe(["--config", str(recipe)])
