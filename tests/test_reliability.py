"""Long runs survive faults, bad input and interruption without losing data.

* Simulator faults: GRPO with the ``openai`` backend against a real local server that injects 500/429/timeouts/
  invalid JSON/dropped connections at a 30% rate finishes and reports its counts; at 100% it stops with the one-
  line ``max_failure_rate`` error.
* Bad input: persona, dialogue and recipe files, accelerate configs, adapters from another base model: one line on
  stderr, a non-zero exit, never a traceback.
* ``rlemp doctor``: versions, hardware, recipe model and simulator reachability, accelerate config validation.
* Interruption (slow): SIGKILL then ``--resume latest`` ends where an uninterrupted run ends (step, curriculum
  position, weights, even the conversations); SIGTERM saves a checkpoint at that step and exits 143; logs are
  appended, never truncated, and every line parses.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
import torch
import yaml
from peft import LoraConfig, get_peft_model
from safetensors.torch import load_file
from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer, TrainerControl, TrainerState
from typer.testing import CliRunner

from fake_openai_server import FakeOpenAIServer
from rlemp.cli import app
from rlemp.doctor import accelerate_config_errors, model_check, simulator_check
from rlemp.errors import RlempError
from rlemp.personas import load_personas
from rlemp.rewards import build_reward
from rlemp.simulators import build_simulator
from rlemp.trainers.ledger import FailureBudget
from rlemp.trainers.grpo import none_where_dropped
from rlemp.trainers.reliability import COMPLETE_FILE, StopOnSignal, check_resume_fits, resolve_resume
from rlemp.transcript import Transcript, TranscriptWriter, read_transcripts

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(__file__).parent / "data"
PERSONAS = DATA / "personas_small.jsonl"
# Small but real: 2 personas x 2 generations per step, 2 turns each, LoRA on the tiny model, on the CPU.
SMALL_RUN = dict(max_turns=2, max_turn_tokens=16, max_completion_length=160, per_device_train_batch_size=4,
                 num_generations=2, logging_steps=1, save_steps=100, eval_at_end=False, report_to="none",
                 curriculum={"schedule": "none"})
runner = CliRunner()


# --- helpers (test_secrets.py uses them too) ----------------------------------------------------------------------


def write_recipe(path: Path, model_dir: Path, **changes) -> Path:
    """recipes/tiny/grpo.yaml on ``model_dir`` with the small-run settings and ``changes``."""
    recipe = yaml.safe_load((ROOT / "recipes" / "tiny" / "grpo.yaml").read_text(encoding="utf-8"))
    recipe.pop("gradient_checkpointing", None)
    recipe.update(model_name_or_path=str(model_dir), personas=str(PERSONAS), output_dir=str(path.parent / "out"),
                  **SMALL_RUN)
    recipe.update(changes)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(recipe, sort_keys=False), encoding="utf-8")
    return path


def rlemp_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "rlemp.cli", *args]


def subprocess_env(**extra: str) -> dict[str, str]:
    """One thread per process (the runs being compared must compute alike), offline, plus ``extra``."""
    return {**os.environ, "OMP_NUM_THREADS": "1", "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false", **extra}


def run_rlemp(*args: str, env: dict[str, str] | None = None, timeout: float = 900) -> subprocess.CompletedProcess:
    return subprocess.run(rlemp_command(*args), capture_output=True, text=True, env=env or subprocess_env(),
                          timeout=timeout, cwd=ROOT)


def last_line(text: str) -> str:
    lines = [line for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else ""


def assert_one_line_error(exit_code: int, stderr: str, *fragments: str, code: int = 2) -> str:
    """Exit ``code``, no traceback, and the last stderr line is the error naming every fragment."""
    assert "Traceback" not in stderr, stderr[-3000:]
    line = last_line(stderr)
    assert exit_code == code, (exit_code, stderr[-3000:])
    assert line.startswith("error:"), stderr[-3000:]
    for fragment in fragments:
        assert fragment in line, (fragment, line)
    return line


def jsonl_rows(path: Path) -> list[dict]:
    """Every line of a JSONL file, parsed (fails on any line that is not whole JSON)."""
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


# --- units: the pieces that make a run recoverable ------------------------------------------------------------------


def sample_transcript(**meta) -> Transcript:
    sim = build_simulator("rule")
    transcript = sim.start(load_personas(PERSONAS)[0], seed=1, max_turns=2)
    sim.step(transcript, "That sounds really hard. I'm here to listen.")
    transcript.meta.update(meta)
    return transcript


def test_appending_drops_a_partial_last_line_left_by_a_crash(tmp_path):
    path = tmp_path / "transcripts.jsonl"
    with TranscriptWriter(path, mode="w") as writer:
        writer.write_all([sample_transcript(step=0), sample_transcript(step=1)])
    whole = path.read_bytes()
    path.write_bytes(whole + sample_transcript(step=2).to_json().encode()[:57])  # killed in the middle of a write
    with TranscriptWriter(path) as writer:
        writer.write(sample_transcript(step=3))
    assert path.read_bytes().startswith(whole)
    assert [t.meta["step"] for t in read_transcripts(path)] == [0, 1, 3]


def make_checkpoint(output_dir: Path, step: int, complete: bool) -> Path:
    folder = output_dir / f"checkpoint-{step}"
    folder.mkdir(parents=True)
    (folder / "trainer_state.json").write_text("{}")
    if complete:
        (folder / COMPLETE_FILE).write_text(json.dumps({"global_step": step}))
    return folder


def test_resume_latest_takes_the_newest_complete_checkpoint(tmp_path):
    assert resolve_resume(None, tmp_path) is None
    with pytest.raises(RlempError, match="no checkpoint-N folder"):
        resolve_resume("latest", tmp_path / "missing")
    make_checkpoint(tmp_path, 9, complete=True)
    newest_complete = make_checkpoint(tmp_path, 10, complete=True)  # 10 > 9: numeric, not text order
    incomplete = make_checkpoint(tmp_path, 11, complete=False)  # killed while saving
    assert resolve_resume("latest", tmp_path) == str(newest_complete)
    assert resolve_resume(str(newest_complete), tmp_path) == str(newest_complete)
    with pytest.raises(RlempError, match="not a complete rlemp checkpoint"):
        resolve_resume(str(incomplete), tmp_path)
    with pytest.raises(RlempError, match="does not exist"):
        resolve_resume(str(tmp_path / "checkpoint-99"), tmp_path)
    only_partial = tmp_path / "partial"
    make_checkpoint(only_partial, 3, complete=False)
    with pytest.raises(RlempError, match="no complete checkpoint"):
        resolve_resume("latest", only_partial)


def test_first_signal_stops_at_the_step_end_and_second_one_acts_as_usual():
    before = signal.getsignal(signal.SIGTERM)
    stop = StopOnSignal()
    state, control = TrainerState(global_step=7), TrainerControl()
    stop.on_train_begin(None, state, control)
    assert signal.getsignal(signal.SIGTERM) == stop._handle  # else the kill below would end pytest
    stop.on_step_end(None, state, control)
    assert not (control.should_save or control.should_training_stop)
    os.kill(os.getpid(), signal.SIGTERM)
    time.sleep(0.05)  # Python runs the handler between bytecodes
    assert signal.getsignal(signal.SIGTERM) == before  # a second signal is no longer caught
    stop.on_step_end(None, state, control)
    assert control.should_save and control.should_training_stop
    assert (stop.signum, stop.stopped_at) == (signal.SIGTERM, 7)
    stop.on_train_end(None, state, control)
    assert signal.getsignal(signal.SIGTERM) == before


LEAVE_GROUP = """
import sys, torch.distributed as dist
from rlemp.cli import run_train_cli
dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{sys.argv[1]}", rank=int(sys.argv[2]), world_size=2)
code = run_train_cli(["--config", sys.argv[3]])
print(code, dist.is_initialized())
"""


def test_train_cli_leaves_the_process_group_on_every_rank_even_after_an_error(tmp_path):
    """Gloo threads alive at interpreter exit abort the process; the command destroys the group first."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    ranks = [subprocess.Popen([sys.executable, "-c", LEAVE_GROUP, str(port), str(rank), str(tmp_path / "no.yaml")],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for rank in range(2)]
    outputs = [rank.communicate(timeout=120) for rank in ranks]
    assert [rank.returncode for rank in ranks] == [0, 0], outputs
    assert [out.split()[-2:] for out, _ in outputs] == [["2", "False"]] * 2, outputs


def test_leaving_after_a_finished_run_waits_for_every_rank(tmp_path):
    import torch.distributed as dist

    from rlemp.trainers.reliability import leave_process_group

    leave_process_group(True)  # no group: nothing to do
    dist.init_process_group("gloo", init_method=f"file://{tmp_path / 'store'}", rank=0, world_size=1)
    leave_process_group(True)
    assert not dist.is_initialized()


def test_failure_budget_counts_dropped_conversations_and_fallback_turns():
    finished = [sample_transcript() for _ in range(4)]  # one judged turn each
    budget = FailureBudget(max_rate=0.3, min_count=2)
    budget.add(finished, failed=1)  # 1 of 5 dropped: under the threshold
    assert (budget.total, budget.failed, budget.turns, budget.fallback_turns) == (5, 1, 4, 0)
    with pytest.raises(RlempError, match=r"failed on 3 of 7 conversations .*max_failure_rate 30%"):
        budget.add(finished[:0], failed=2)
    unjudged = sample_transcript()
    unjudged.turns[0] = unjudged.turns[0].model_copy(update={"fallback": True})
    budget = FailureBudget(max_rate=0.3, min_count=2)
    budget.add([unjudged] + finished[:3], failed=0)  # one fallback turn: below min_count
    with pytest.raises(RlempError, match=r"no valid output for 2 of 5 turns \(40%"):
        budget.add([unjudged], failed=0)


def test_dropped_conversations_get_no_reward_from_any_component():
    length = none_where_dropped(build_reward("length"))
    kept = sample_transcript()
    values = length(prompts=["a", "b"], completions=["Some reply here.", "Another reply."], transcript=[kept, None])
    assert values[0] is not None and values[1] is None
    assert length.__name__ == "length"
    assert length(prompts=["a"], completions=["Some reply here."])[0] is not None  # no rollout column: unchanged


# --- simulator faults against a real local server -----------------------------------------------------------------


def openai_config(server: FakeOpenAIServer, cache_dir: str | None = None) -> dict:
    """Fast retries: a timeout fault stalls the server longer than the client waits."""
    return {"base_url": server.base_url, "model": "fake-user", "cache_dir": cache_dir, "timeout_s": 0.5,
            "backoff_s": 0.01, "max_retries": 1, "concurrency": 4}


@pytest.fixture(scope="module")
def faulty_run(tmp_path_factory, tiny_model_dir):
    """Two GRPO steps of 4 personas x 2 conversations whose simulated users sit behind a server failing 30% of
    the requests."""
    tmp = tmp_path_factory.mktemp("faulty")
    with FakeOpenAIServer("--fault-rate", "0.3", "--timeout-sleep", "2", "--seed", "1") as server:
        recipe = write_recipe(tmp / "recipe.yaml", tiny_model_dir, max_steps=2, simulator_backend="openai",
                              simulator_config=openai_config(server), max_failure_rate=0.5,
                              per_device_train_batch_size=8)
        started = time.perf_counter()
        result = run_rlemp("train", "--config", str(recipe))
        seconds = time.perf_counter() - started
        served = server.stats()
    return SimpleNamespace(result=result, out=tmp / "out", served=served, seconds=seconds)


def test_run_against_a_faulty_server_finishes_and_reports_the_counts(faulty_run):
    result, out, served = faulty_run.result, faulty_run.out, faulty_run.served
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Traceback" not in result.stderr
    faults = sum(n for key, n in served.items() if key.startswith("fault_"))
    assert faults > 0 and served["completions"] > 0
    stats = json.loads((out / "simulator_stats.json").read_text())
    counts = stats["simulator"]
    assert stats["backend"] == "openai"
    assert counts["requests"] == served["requests"]  # every request the server saw was counted
    assert counts["retries"] >= 1
    assert stats["conversations"] == 2 * 8  # steps x (personas x generations), dropped or not
    assert counts.get("failures", 0) == stats["dropped"]  # a conversation is dropped when its request gave up
    rows = [row for row in jsonl_rows(out / "metrics.jsonl") if "rollout/dropped" in row]
    assert [row["step"] for row in rows] == [1, 2]
    assert sum(row["rollout/dropped"] for row in rows) == stats["dropped"]
    assert result.stderr.count("dropping conversation with persona") == stats["dropped"]
    transcripts = read_transcripts(out / "transcripts.jsonl")  # every line a whole transcript
    assert len(transcripts) == stats["conversations"] - stats["dropped"]
    assert sum(turn.fallback for t in transcripts for turn in t.turns) == stats["fallback_turns"]
    assert (out / "adapter" / "adapter_model.safetensors").is_file()
    print(f"\n30% faults: {faults} injected ({dict(served)}); simulator {counts}; dropped {stats['dropped']} of "
          f"{stats['conversations']} conversations, {stats['fallback_turns']} fallback turns of {stats['turns']}; "
          f"{faulty_run.seconds:.0f} s")


def test_a_simulator_that_always_fails_stops_the_run_with_one_line(tmp_path, tiny_model_dir):
    with FakeOpenAIServer("--fault-rate", "1.0", "--faults", "500,429,drop") as server:
        recipe = write_recipe(tmp_path / "recipe.yaml", tiny_model_dir, max_steps=2, simulator_backend="openai",
                              simulator_config=openai_config(server), per_device_train_batch_size=8)
        result = run_rlemp("train", "--config", str(recipe))
    assert_one_line_error(result.returncode, result.stderr, "failed on 8 of 8 conversations",
                          "max_failure_rate 20%", "stopping")
    assert not (tmp_path / "out" / "adapter").exists()


# --- bad input: one line, non-zero exit, no traceback ---------------------------------------------------------------


def invoke(*args: str):
    """``rlemp ARGS`` in this process (stderr kept apart)."""
    return runner.invoke(app, list(args), catch_exceptions=True)


def assert_cli_error(result, *fragments: str, code: int = 2) -> str:
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    return assert_one_line_error(result.exit_code, result.stderr, *fragments, code=code)


PERSONA_LINE = (DATA / "personas_small.jsonl").read_text(encoding="utf-8").splitlines()[0]


@pytest.mark.parametrize("content, fragments", [
    ("", ["no personas in file"]),
    ("{not json\n", [":1:", "not valid JSON"]),
    (PERSONA_LINE + "\n" + PERSONA_LINE + "\n", [":2:", "duplicate id"]),
    (PERSONA_LINE.replace('"initial_emotion": ', '"initial_emotion": 1') + "\n", [":1:", "initial_emotion"]),
    (json.dumps({**json.loads(PERSONA_LINE), "mood": "x"}) + "\n", [":1:", "field 'mood'", "unknown field"]),
    ("[" * 50_000 + "\n", [":1:", "nested too deeply"]),
    ('{"age": ' + "9" * 5000 + "}\n", [":1:", "not valid JSON"]),
])
def test_bad_persona_files(tmp_path, content, fragments):
    path = tmp_path / "personas.jsonl"
    path.write_text(content, encoding="utf-8")
    assert_cli_error(invoke("personas", "validate", str(path)), str(path), *fragments)


@pytest.mark.parametrize("name, content, fragments", [
    ("dialogues.csv", "Utterance,Speaker\nhello,A\n", ["dialogues.csv"]),
    ("dialogues.json", '{"not": "a list"', ["dialogues.json", "not valid JSON"]),
    ("dialogues.json", '[{"dialog": 3}]', ["dialogues.json"]),
    ("dialogues.jsonl", '{"persona_id": 1}\n', ["dialogues.jsonl:1"]),
])
def test_bad_dialogue_files(tmp_path, name, content, fragments):
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    assert_cli_error(invoke("curriculum", "--dialogues", str(path), "--out", str(tmp_path / "d.jsonl")), *fragments)


@pytest.mark.parametrize("changes, fragments", [
    ({"bogus_key": 1}, ["unknown field 'bogus_key'"]),
    ({"learning_rate": [0.1]}, ["field 'learning_rate'", "got [0.1]"]),
    ({"max_steps": True}, ["field 'max_steps'", "expected int"]),
    ({"max_steps": "ten"}, ["field 'max_steps'", "'ten'"]),
    ({"per_device_train_batch_size": 3, "num_generations": 2}, ["divisible by num_generations"]),
    ({"num_generations": 0}, ["field 'num_generations'", "positive integer"]),
    ({"per_device_train_batch_size": 0}, ["field 'per_device_train_batch_size'", "positive integer"]),
    ({"max_failure_rate": 1.5}, ["field 'max_failure_rate'", "at least 0 and at most 1, got 1.5"]),
    ({"hub_token": "hf_PASTED_BY_MISTAKE"}, ["field 'hub_token'", "HF_TOKEN"]),
    ({"simulator_config": {"temperature": "hot"}}, ["field 'simulator_config': rule config field 'temperature'"]),
    ({"algorithm": "sft"}, ["algorithm", "grpo, ppo"]),
])
def test_bad_recipes(tmp_path, tiny_model_dir, changes, fragments):
    recipe = write_recipe(tmp_path / "recipe.yaml", tiny_model_dir, **changes)
    line = assert_cli_error(invoke("train", "--config", str(recipe)), *fragments)
    assert "hf_PASTED_BY_MISTAKE" not in line


def test_unreadable_recipes(tmp_path):
    assert_cli_error(invoke("train", "--config", str(tmp_path / "nope.yaml")), "recipe not found")
    broken = tmp_path / "broken.yaml"
    broken.write_text("algorithm: grpo\nmax_steps: [1,\n", encoding="utf-8")
    assert_cli_error(invoke("train", "--config", str(broken)), "broken.yaml:", "not valid YAML")
    assert_cli_error(invoke("train", "--config", str(broken), "--resume", str(tmp_path / "nowhere")),
                     "not valid YAML")


def test_resume_without_a_checkpoint(tmp_path, tiny_model_dir):
    recipe = write_recipe(tmp_path / "recipe.yaml", tiny_model_dir)
    assert_cli_error(invoke("train", "--config", str(recipe), "--resume"), "--resume latest", "no checkpoint-N")


@pytest.fixture(scope="module")
def foreign_adapter(tmp_path_factory, tiny_model_dir):
    """A LoRA adapter trained on (saved for) another base: the tiny model with wider layers."""
    tmp = tmp_path_factory.mktemp("foreign")
    config = AutoConfig.from_pretrained(tiny_model_dir)
    config.hidden_size, config.intermediate_size = config.hidden_size * 2, config.intermediate_size * 2
    torch.manual_seed(0)
    wide = AutoModelForCausalLM.from_config(config)
    wide.save_pretrained(tmp / "wide-model")
    AutoTokenizer.from_pretrained(tiny_model_dir).save_pretrained(tmp / "wide-model")
    lora = LoraConfig(r=4, lora_alpha=8, target_modules=["q_proj", "v_proj"], task_type="CAUSAL_LM")
    get_peft_model(AutoModelForCausalLM.from_pretrained(tmp / "wide-model"), lora).save_pretrained(tmp / "adapter")
    return tmp / "adapter"


def test_adapter_from_another_base_model(tmp_path, tiny_model_dir, foreign_adapter):
    out = tmp_path / "eval"
    result = invoke("eval", "--model", str(tiny_model_dir), "--adapter", str(foreign_adapter), "--personas",
                    str(PERSONAS), "--out", str(out), "--max-turns", "1")
    assert_cli_error(result, "does not fit", str(tiny_model_dir), "wide-model", "in_features")
    result = invoke("merge", "--adapter", str(foreign_adapter), "--base-model", str(tiny_model_dir), "--out",
                    str(tmp_path / "merged"))
    assert_cli_error(result, "does not fit", "in_features")
    assert not (tmp_path / "merged").exists() or not any((tmp_path / "merged").iterdir())


def test_checkpoint_with_another_lora_rank_does_not_fit(tmp_path, tiny_model_dir):
    def lora_model(rank):
        lora = LoraConfig(r=rank, lora_alpha=8, target_modules=["q_proj", "v_proj"], task_type="CAUSAL_LM")
        return get_peft_model(AutoModelForCausalLM.from_pretrained(tiny_model_dir), lora)

    lora_model(4).save_pretrained(tmp_path / "checkpoint-4")
    check_resume_fits(lora_model(4), tmp_path / "checkpoint-4")  # the same set-up fits
    with pytest.raises(RlempError, match="another LoRA rank"):
        check_resume_fits(lora_model(8), tmp_path / "checkpoint-4")


def test_bad_accelerate_configs(tmp_path):
    shipped = sorted((ROOT / "accelerate_configs").glob("*.yaml"))
    assert shipped and all(accelerate_config_errors(config) == [] for config in shipped)
    bad = tmp_path / "bad.yaml"
    bad.write_text("compute_environment: LOCAL_MACHINE\ndistributed_type: MULTI_GPUS\nnum_processes: two\n"
                   "num_procs: 2\ndeepspeed_config: {zero_stage: 4}\n", encoding="utf-8")
    result = invoke("doctor", "--accelerate-config", str(bad))
    assert result.exit_code == 1 and "Traceback" not in result.output
    failures = [line for line in result.stdout.splitlines() if line.startswith("fail accelerate/config")]
    expected = ["field 'distributed_type'", "field 'num_processes': expected int, got 'two'",
                "unknown field 'num_procs' (did you mean 'num_processes'?)", "deepspeed_config.zero_stage"]
    assert len(failures) == len(expected)
    for fragment in expected:
        assert any(fragment in line for line in failures), (fragment, failures)
    unquoted = tmp_path / "no.yaml"
    unquoted.write_text("distributed_type: NO\n", encoding="utf-8")  # YAML reads NO as false
    assert "write 'NO'" in invoke("doctor", "--accelerate-config", str(unquoted)).stdout


# --- rlemp doctor ---------------------------------------------------------------------------------------------------


def test_doctor_reports_environment_and_reachability(tmp_path, tiny_model_dir):
    with FakeOpenAIServer() as server:
        recipe = write_recipe(tmp_path / "ok.yaml", tiny_model_dir, simulator_backend="openai",
                              simulator_config=openai_config(server), eval_personas=str(PERSONAS))
        result = invoke("doctor", "--config", str(recipe), "--accelerate-config",
                        str(ROOT / "accelerate_configs" / "zero3.yaml"))
    assert result.exit_code == 0, result.output
    out = result.stdout
    for package in ("torch", "trl", "peft", "transformers", "accelerate", "deepspeed", "bitsandbytes"):
        assert f"ok packages/{package}: {importlib.metadata.version(package)}" in out
    assert "packages/vllm" in out and "system/cpu" in out and "system/gpu" in out
    assert f"ok recipe/model: {tiny_model_dir} (local folder)" in out
    assert f"ok recipe/simulator: openai at {server.base_url}" in out and "reachable" in out
    assert "ok recipe/personas" in out and "ok accelerate/config" in out

    with FakeOpenAIServer() as server:
        closed = openai_config(server)  # the server is stopped when the doctor runs: unreachable
    broken = write_recipe(tmp_path / "broken.yaml", tmp_path / "no-model", simulator_backend="openai",
                          simulator_config=closed, personas=str(tmp_path / "none.jsonl"))
    result = invoke("doctor", "--config", str(broken), "--timeout", "2")
    assert result.exit_code == 1 and "Traceback" not in result.output
    fixes = result.stdout.split("what to fix:")[1]
    assert "recipe/model" in fixes and "recipe/personas" in fixes and "start the server" in fixes


def test_doctor_model_and_simulator_checks(tmp_path, tiny_model_dir):
    assert model_check(str(tiny_model_dir)).status == "ok"
    assert "no config.json" in model_check(str(tmp_path)).detail
    offline = model_check("someone/not-downloaded")  # the tests run with HF_HUB_OFFLINE=1
    assert offline.status == "fail" and "HF_HUB_OFFLINE" in offline.detail and offline.fix
    hf = simulator_check("hf", {"model": str(tiny_model_dir)})  # checked, not loaded
    assert (hf.status, hf.detail) == ("ok", f"hf model {tiny_model_dir} (local folder)")
    assert "field 'model': missing" in simulator_check("hf", {}).detail
    assert simulator_check("rule", {"bogus": 1}).status == "fail"


# --- interruption (slow): SIGKILL, SIGTERM, resume ------------------------------------------------------------------

INTERRUPTIBLE = dict(max_steps=3, save_steps=1, curriculum={"schedule": "sorted"})


def wait_for(condition, process: subprocess.Popen, what: str, timeout: float = 600) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert process.poll() is None, f"the run ended (exit {process.returncode}) before {what}"
        assert time.monotonic() < deadline, f"no {what} after {timeout} s"
        time.sleep(0.1)


def final_state(out: Path, step: int) -> SimpleNamespace:
    folder = out / f"checkpoint-{step}"
    return SimpleNamespace(
        global_step=json.loads((folder / "trainer_state.json").read_text())["global_step"],
        curriculum=json.loads((folder / "curriculum_state.json").read_text()),
        weights=load_file(str(folder / "adapter_model.safetensors")),
        transcripts=[json.loads(line) for line in (out / "transcripts.jsonl").read_text().splitlines()],
    )


def same_conversation(a: dict, b: dict) -> bool:
    fields = ("persona_id", "seed", "final_emotion", "outcome")
    return all(a[f] == b[f] for f in fields) and [t["agent"] for t in a["turns"]] == [t["agent"] for t in b["turns"]]


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory, tiny_model_dir):
    tmp = tmp_path_factory.mktemp("uninterrupted")
    recipe = write_recipe(tmp / "recipe.yaml", tiny_model_dir, **INTERRUPTIBLE)
    result = run_rlemp("train", "--config", str(recipe))
    assert result.returncode == 0, result.stderr[-3000:]
    return final_state(tmp / "out", 3)


@pytest.mark.slow
def test_sigkill_then_resume_latest_ends_like_an_uninterrupted_run(tmp_path, tiny_model_dir, uninterrupted):
    recipe = write_recipe(tmp_path / "recipe.yaml", tiny_model_dir, **INTERRUPTIBLE)
    out = tmp_path / "out"
    with open(tmp_path / "killed.log", "w") as log:
        process = subprocess.Popen(rlemp_command("train", "--config", str(recipe)), stdout=log, stderr=log,
                                   env=subprocess_env(), cwd=ROOT)
        wait_for((out / "checkpoint-1" / COMPLETE_FILE).exists, process, "complete checkpoint-1")
        process.send_signal(signal.SIGKILL)
        assert process.wait() == -signal.SIGKILL
    logged = (out / "transcripts.jsonl").read_bytes()
    before = [json.loads(line) for line in logged.decode().splitlines()]  # every line whole
    assert {row["step"] for row in jsonl_rows(out / "metrics.jsonl")} >= {1}

    result = run_rlemp("train", "--config", str(recipe), "--resume", "latest")
    assert result.returncode == 0, result.stderr[-3000:]
    resumed = final_state(out, 3)
    assert resumed.global_step == uninterrupted.global_step == 3
    assert resumed.curriculum == uninterrupted.curriculum  # same position, same schedule state
    assert (out / "transcripts.jsonl").read_bytes().startswith(logged)  # appended, not truncated
    # adapter, optimizer, scheduler and RNG states came back: the same conversations and the same weights
    after = resumed.transcripts[len(before):]
    expected = [t for t in uninterrupted.transcripts if t["meta"]["step"] >= 1]
    assert len(after) == len(expected) and all(map(same_conversation, after, expected))
    for name, weight in uninterrupted.weights.items():
        assert torch.allclose(resumed.weights[name], weight, atol=1e-6), name


@pytest.mark.slow
def test_sigterm_saves_a_checkpoint_exits_143_and_resumes(tmp_path, tiny_model_dir, uninterrupted):
    recipe = write_recipe(tmp_path / "recipe.yaml", tiny_model_dir, **{**INTERRUPTIBLE, "save_steps": 100})
    out = tmp_path / "out"
    with open(tmp_path / "stopped.log", "w") as log:
        process = subprocess.Popen(rlemp_command("train", "--config", str(recipe)), stdout=log, stderr=log,
                                   env=subprocess_env(), cwd=ROOT)
        wait_for(lambda: (out / "metrics.jsonl").exists() and (out / "metrics.jsonl").read_text().strip(), process,
                 "logged step")
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=600) == 128 + signal.SIGTERM
    stderr = (tmp_path / "stopped.log").read_text()
    assert "Traceback" not in stderr
    line = last_line(stderr)
    assert line.startswith("interrupted: stopped by SIGTERM: checkpoint saved to") and "--resume latest" in line
    checkpoint = Path(line.split("checkpoint saved to ")[1].split(";")[0])
    step = int(checkpoint.name.split("-")[1])
    assert 1 <= step < 3 and checkpoint == out / f"checkpoint-{step}"
    assert (checkpoint / COMPLETE_FILE).is_file()
    assert json.loads((checkpoint / "trainer_state.json").read_text())["global_step"] == step
    assert not (out / "adapter").exists()  # an interrupted run publishes no final adapter
    logged = (out / "transcripts.jsonl").read_bytes()
    assert len(read_transcripts(out / "transcripts.jsonl")) == 4 * step

    result = run_rlemp("train", "--config", str(recipe), "--resume", "latest")
    assert result.returncode == 0, result.stderr[-3000:]
    resumed = final_state(out, 3)
    assert resumed.global_step == uninterrupted.global_step
    assert resumed.curriculum == uninterrupted.curriculum
    assert (out / "transcripts.jsonl").read_bytes().startswith(logged)
    assert len(resumed.transcripts) == len(uninterrupted.transcripts)
    assert (out / "adapter" / "adapter_model.safetensors").is_file()
