"""The learning benchmark: budgets turned into training commands, which adapters are evaluated, the summary over
seeds and its table (exact values on hand-made rows), and a slow smoke run of the command itself."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "benchmarks"))
import bench_learning as bench  # noqa: E402  (a script folder, not a package)


def _value(argv: list[str], flag: str) -> str:
    return argv[len(argv) - 1 - argv[::-1].index(flag) + 1]


def test_budget_sets_each_algorithms_steps_from_its_conversations_per_step(tmp_path):
    size = bench.SIZES["full"]
    grpo = bench.train_command(bench.METHODS["grpo"], tmp_path / "sft", tmp_path / "out", 2, size)
    ppo = bench.train_command(bench.METHODS["ppo"], tmp_path / "sft", tmp_path / "out", 2, size)
    # tiny recipes: GRPO plays per_device_train_batch_size = 16 conversations a step, PPO rollouts_per_step = 8
    assert _value(grpo, "--max_steps") == str(size.budget // 16)
    assert _value(ppo, "--max_steps") == str(size.budget // 8)
    assert _value(grpo, "--save_steps") == str(size.budget // 16 // 2)
    assert _value(grpo, "--seed") == "2" and _value(grpo, "--eval_at_end") == "false"
    curriculum = bench.train_command(bench.METHODS["grpo_baby_steps"], tmp_path, tmp_path, 0, size)
    assert json.loads(_value(curriculum, "--curriculum")) == {"schedule": "baby_steps"}
    ranked = bench.train_command(bench.METHODS["grpo_baby_steps_prc_emo"], tmp_path,
                                 tmp_path / "runs" / "grpo_baby_steps_prc_emo" / "seed0", 0, size)
    assert json.loads(_value(ranked, "--curriculum")) == {
        "schedule": "baby_steps", "difficulty_source": str(tmp_path / "prc_emo_difficulties.jsonl")}
    extra = bench.train_command(bench.METHODS["ppo"], tmp_path, tmp_path, 0, size, ["--learning_rate", "1e-3"])
    assert extra[-2:] == ["--learning_rate", "1e-3"]
    dpo = bench.train_command(bench.METHODS["dpo_round2"], tmp_path, tmp_path, 0, size)
    # DPO: the recipe's epoch over each round's pairs; the rounds are evaluated by the benchmark, not in training
    assert _value(dpo, "--rounds") == "2" and "--max_steps" not in dpo and "--save_steps" not in dpo
    assert _value(dpo, "--eval_personas") == ""
    smoke = bench.SIZES["smoke"]
    dpo = bench.train_command(bench.METHODS["dpo_round1"], tmp_path, tmp_path, 0, smoke)
    assert _value(dpo, "--max_steps") == "1" and _value(dpo, "--save_steps") == "1"


def test_a_real_model_is_its_own_warm_start_and_trains_from_its_own_recipes(tmp_path, monkeypatch):
    from rlemp import models

    monkeypatch.setenv("RLEMP_MODELS_DIR", str(tmp_path / "models"))
    pulled = tmp_path / "models" / "smollm2-135m-instruct"
    pulled.mkdir(parents=True)
    entry = models.REGISTRY["smollm2-135m-instruct"]
    (pulled / models.MARKER).write_text(json.dumps({"wheel_sha256": entry.wheel_sha256}))
    folder, recipes = bench.model_recipes("SmolLM2-135M-Instruct")  # a short name: the pulled folder, no download
    assert folder == pulled.resolve() and recipes == REPO / "recipes" / "SmolLM2-135M-Instruct"
    assert bench.model_recipes(str(pulled)) == (pulled.resolve(), REPO / "recipes" / "SmolLM2-135M-Instruct")
    named = tmp_path / "SmolLM2-135M-Instruct"  # a folder: recipes named after it
    named.mkdir()
    assert bench.model_recipes(str(named))[1] == REPO / "recipes" / "SmolLM2-135M-Instruct"
    with pytest.raises(SystemExit, match="no recipes"):
        bench.model_recipes(str(tmp_path / "some-other-model"))
    size = bench.SIZES["model"]
    grpo = bench.train_command(bench.METHODS["grpo"], folder, tmp_path / "out", 0, size, recipes=recipes)
    assert _value(grpo, "--config") == str(recipes / "grpo.yaml") and _value(grpo, "--model_name_or_path") == str(folder)
    # SmolLM2's GRPO recipe plays 4 x 4 accumulated = 16 conversations a step, its PPO recipe 8 rollouts
    assert _value(grpo, "--max_steps") == str(size.budget // 16)
    ppo = bench.train_command(bench.METHODS["ppo"], folder, tmp_path / "out", 0, size, recipes=recipes)
    assert _value(ppo, "--max_steps") == str(size.budget // 8)


def test_overrides_change_the_conversations_per_step():
    recipe = {"algorithm": "ppo", "rollouts_per_step": 8, "per_device_train_batch_size": 4}
    assert bench.conversations_per_step(recipe) == 8
    assert bench.conversations_per_step(recipe, ("--rollouts_per_step", "4")) == 4
    grpo = {"algorithm": "grpo", "per_device_train_batch_size": 16, "gradient_accumulation_steps": 2}
    assert bench.conversations_per_step(grpo, ("--per_device_train_batch_size", "4")) == 8


def test_adapters_are_the_checkpoints_with_their_conversations(tmp_path):
    for step in (4, 8):
        (tmp_path / "run" / f"checkpoint-{step}").mkdir(parents=True)
    found = bench.adapters(bench.METHODS["grpo"], tmp_path / "run", 128)
    assert [(a.name, c, f) for a, c, f in found] == [("checkpoint-4", 64, False), ("checkpoint-8", 128, True)]
    (tmp_path / "dpo" / "round-1" / "checkpoint-20").mkdir(parents=True)
    round1 = bench.adapters(bench.METHODS["dpo_round1"], tmp_path / "dpo", None)
    assert [(a.name, c, f) for a, c, f in round1] == [("checkpoint-20", None, True)]
    round2 = bench.adapters(bench.METHODS["dpo_round2"], tmp_path / "dpo", 300)
    assert [(a.name, c, f) for a, c, f in round2] == [("adapter", 300, True)]


ROWS = [
    {"method": "grpo", "seed": 0, "final": False, "conversations": 64, "sentient_score": 40.0,
     "success_rate": 0.0, "failure_rate": 0.5, "train_s": 100.0},
    {"method": "grpo", "seed": 0, "final": True, "conversations": 128, "sentient_score": 42.0,
     "success_rate": 0.25, "failure_rate": 0.0, "train_s": 100.0},
    {"method": "grpo", "seed": 1, "final": True, "conversations": 128, "sentient_score": 46.0,
     "success_rate": 0.75, "failure_rate": 0.5, "train_s": 64.0},
    {"method": "dpo_round1", "seed": 0, "final": True, "conversations": None, "sentient_score": 39.0,
     "success_rate": 0.0, "failure_rate": 0.0, "train_s": 50.0},
]


def test_summary_is_over_the_final_adapters_of_each_seed():
    grpo, dpo = bench.summarize(ROWS, base_score=40.0)
    assert grpo["method"] == "grpo" and grpo["seeds"] == [0, 1]
    assert grpo["score_mean"] == 44.0 and grpo["score_sd"] == pytest.approx(2.8284271247)  # stdev(42, 46)
    assert grpo["gain_mean"] == 4.0
    assert grpo["success_rate"] == 0.5 and grpo["failure_rate"] == 0.25
    assert grpo["train_s"] == 82.0 and grpo["conversations"] == 128
    assert grpo["conversations_per_s"] == pytest.approx((1.28 + 2.0) / 2)
    assert dpo["conversations"] is None and dpo["conversations_per_s"] is None and dpo["score_sd"] == 0.0


def test_markdown_table_has_the_base_and_one_row_per_method():
    base = {"sentient_score": 40.0, "success_rate": 0.0, "failure_rate": 0.125}
    text = bench.markdown(bench.summarize(ROWS, 40.0), base, "header")
    rows = [line for line in text.splitlines() if line.startswith("| ") and not line.startswith("| Method")]
    assert rows[0] == "| SFT base | 40.0 | 0.0 | 0.00 | 0.12 | 0 | - | - | - |"
    assert rows[1] == "| grpo | 44.0 ± 2.8 | +4.0 | 0.50 | 0.25 | 128 | 82 | 1.64 | 0,1 |"
    assert rows[2] == "| dpo_round1 | 39.0 ± 0.0 | -1.0 | 0.00 | 0.00 | n/a | 50 | n/a | 0 |"


def test_plot_writes_a_png(tmp_path):
    bench.plot(ROWS, 40.0, tmp_path / "curve.png")
    assert (tmp_path / "curve.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.slow
def test_smoke_run_trains_evaluates_and_writes_the_table(tmp_path):
    done = subprocess.run(
        [sys.executable, str(REPO / "benchmarks" / "bench_learning.py"), "--smoke", "--methods", "grpo,ppo",
         "--work", str(tmp_path)],
        cwd=REPO, capture_output=True, text=True, timeout=1200,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    rows = [json.loads(line) for line in (tmp_path / "results.jsonl").read_text().splitlines()]
    assert {(r["method"], r["conversations"], r["final"]) for r in rows} == {
        ("grpo", 4, False), ("grpo", 8, True), ("ppo", 4, False), ("ppo", 8, True)}
    table = (tmp_path / "learning.md").read_text()
    assert "| grpo |" in table and "| ppo |" in table
    assert (tmp_path / "learning.png").is_file()
    records = [json.loads(line) for line in done.stdout.splitlines() if line.startswith('{"bench"')]
    assert {r["metric"] for r in records} == {"held-out sentient score, grpo", "held-out sentient score, ppo"}
