"""What a newcomer meets first: --version, train --help listing the recipe fields, errors that name the real cause
(no recipe, a mistyped or abbreviated override, a GPU recipe on a CPU), the compact training log, the reward-curves
figure, and the demo's Ctrl-C message and --resume."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import torch
from typer.testing import CliRunner

from rlemp.cli import app, run_train_cli
from rlemp.configs import RecipeError, parse_recipe
from rlemp.report import plot_curves
from rlemp.trainers.progress import compact_line
from rlemp.versions import package_versions

ROOT = Path(__file__).resolve().parents[1]
TINY = ROOT / "recipes" / "tiny" / "grpo.yaml"
GPU_RECIPE = ROOT / "recipes" / "Qwen2.5-7B-Instruct" / "grpo.yaml"
no_gpu = pytest.mark.skipif(torch.cuda.is_available(), reason="checks the message on a machine without a GPU")


def invoke(*argv: str):
    return CliRunner().invoke(app, list(argv))


def test_version_names_rlemp_and_the_packages_that_shape_results():
    result = invoke("--version")
    versions = package_versions()
    assert result.exit_code == 0
    assert result.output.startswith(f"rlemp {versions['rlemp']} (python {versions['python']}, ")
    for name in ("torch", "transformers", "trl", "peft"):
        assert f"{name} {versions[name]}" in result.output


def test_train_help_lists_every_recipe_field_with_its_help():
    result = invoke("train", "--help")
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert any(line.startswith("  --max_turns (default 8) agent turns per conversation") for line in lines)
    assert any(line.startswith("  --learning_rate (default ") for line in lines)  # GRPOConfig
    assert any(line.startswith("  --lora_r (default ") for line in lines)  # trl.ModelConfig
    dpo = invoke("train", "--help", "--config", str(ROOT / "recipes" / "tiny" / "dpo.yaml")).output
    assert "--mining_temperature" in dpo and "--mining_temperature" not in result.output


def test_train_without_a_recipe_asks_for_one():
    result = invoke("train")
    assert result.exit_code == 2
    assert "no recipe: give --config RECIPE.yaml" in result.output and "bf16" not in result.output


@pytest.mark.parametrize("typo, closest", [("--learnin_rate", "--learning_rate"), ("--learning_rat", "--learning_rate"),
                                           ("--max_turn", "--max_turns")])
def test_an_override_must_name_a_field_exactly(typo, closest):
    with pytest.raises(RecipeError) as info:
        parse_recipe(["--config", str(TINY), typo, "3"])
    assert str(info.value) == (f"unknown option {typo} (did you mean {closest}?); `rlemp train --help` lists every "
                               "recipe field")
    assert str(TINY) not in str(info.value)  # the recipe file is not to blame


def test_exact_overrides_and_their_aliases_still_work():
    args, training_args, _ = parse_recipe(["--config", str(TINY), "--max-turns", "3", "--no_eval_at_end",
                                           "--learning_rate=0.5"])
    assert (args.max_turns, args.eval_at_end, training_args.learning_rate) == (3, False, 0.5)


@no_gpu
def test_a_gpu_recipe_on_a_cpu_says_it_needs_cuda_and_where_to_start(capsys):
    assert run_train_cli(["--config", str(GPU_RECIPE)]) == 2
    err = capsys.readouterr().err
    assert "needs CUDA GPUs" in err and "recipes/tiny" in err and "rlemp doctor" in err
    assert "use_cpu" not in err


@no_gpu
def test_only_the_main_process_of_a_launch_reports_a_recipe_error(capsys, monkeypatch):
    monkeypatch.setenv("RANK", "1")
    assert run_train_cli(["--config", str(GPU_RECIPE)]) == 2
    assert capsys.readouterr().err == ""


@pytest.mark.slow  # a fresh interpreter importing TRL and DeepSpeed: 10-40 s
@no_gpu
def test_the_accelerate_entry_point_prints_one_line_without_traceback(tmp_path):
    done = subprocess.run([sys.executable, str(ROOT / "scripts" / "train.py"), "--config", str(GPU_RECIPE)],
                          capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert done.returncode == 2
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "needs CUDA GPUs" in lines[0] and "Traceback" not in done.stderr
    assert "Setting accelerator to CPU" not in done.stderr + done.stdout


def test_training_prints_one_short_line_per_logged_step():
    row = {"loss": 0.0123456, "reward": 0.5312, "emotion/final_mean": 48.125, "emotion/success_rate": 0.0625,
           "kl": 0.00123, "learning_rate": 0.001, "rewards/emotion_final/mean": 0.48, "completions/mean_length": 90.0}
    assert compact_line(row, 3, 40) == "step 3/40: loss 0.01235, reward 0.531, emotion 48.1, success 0.06, " \
                                       "kl 0.00123, lr 0.001"
    assert compact_line({"train_runtime": 312.4, "train_loss": 0.1}, 40, 40) == "trained 40 steps in 312 s (7.8 s/step)"
    assert compact_line({"train_runtime": 25.0}, 3, 3, first_step=1) == \
        "trained 2 steps (resumed at step 1) in 25 s (12.5 s/step)"


def test_reward_curves_have_whole_step_ticks_and_no_constant_zero_panels(tmp_path):
    series = {"reward": [0.1, 0.3, 0.2], "rewards/safety/mean": [0.0, 0.0, None], "emotion/final_mean": [40, 41, 44]}
    fig = plot_curves(series, tmp_path / "curves.png", "training curves")
    assert [ax.get_ylabel() for ax in fig.axes] == ["reward", "emotion/final_mean"]
    assert "not drawn: rewards/safety/mean" in fig._suptitle.get_text()
    low, high = fig.axes[-1].get_xlim()
    ticks = [t for t in fig.axes[-1].get_xticks() if low <= t <= high]
    assert ticks and all(float(t).is_integer() for t in ticks)
    # the title sits above the first panel (constrained layout), not on it
    renderer = fig.canvas.get_renderer()
    assert fig._suptitle.get_window_extent(renderer).y0 >= fig.axes[0].get_window_extent(renderer).y1


def test_ctrl_c_in_the_demo_says_what_was_kept_and_how_to_continue(tmp_path, monkeypatch):
    import rlemp.sft
    import rlemp.tiny

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(rlemp.sft, "sft_warm_start", interrupted)
    out = tmp_path / "demo"
    result = invoke("demo", "--size", "smoke", "--out", str(out))
    assert result.exit_code == 130
    text = " ".join(result.output.split())
    assert f"interrupted in stage 2/5 SFT warm start. Kept in {out}: 1/5 tiny model." in text
    assert f"Continue with `rlemp demo --out {out} --size smoke --seed 0 --resume`" in text
    assert (out / "base" / "config.json").is_file()

    def must_not_rebuild(*args, **kwargs):
        raise AssertionError("--resume rebuilt a finished stage")

    monkeypatch.setattr(rlemp.tiny, "build_tiny_model", must_not_rebuild)
    again = invoke("demo", "--size", "smoke", "--out", str(out), "--resume")
    assert again.exit_code == 130 and "1/5 tiny model: finished before, kept" in again.output
    other = invoke("demo", "--size", "smoke", "--out", str(out), "--resume", "--seed", "1")
    assert other.exit_code == 2 and "demo_state.json: that demo ran with" in " ".join(other.output.split())


def test_demo_help_gives_each_size_with_its_measured_time():
    from rlemp.demo import SIZES

    text = invoke("demo", "--help").output
    assert set(SIZES) == {"default", "smoke"}
    for size in SIZES:
        assert any(line.strip().startswith(size) and " s " in f"{line} " for line in text.splitlines()), size
    assert "rlemp demo --size smoke --out /tmp/demo_smoke" in " ".join(text.split())


def test_library_noise_is_filtered_in_one_place(capsys):
    import logging
    import warnings

    from rlemp.logs import setup_logging

    setup_logging()
    deepspeed = logging.getLogger("DeepSpeed")
    assert not deepspeed.filter(logging.makeLogRecord({"msg": "Setting accelerator to CPU. If you have GPU ..."}))
    assert deepspeed.filter(logging.makeLogRecord({"msg": "Using ZeRO stage 3"}))
    generic = logging.getLogger("transformers.utils.generic")
    assert not generic.filter(logging.makeLogRecord({"msg": "`past_key_values`/`cache_params` are deprecated."}))
    with warnings.catch_warnings(record=True) as caught:
        warnings.warn("You are using 'rollout_func', which is an experimental feature. ...", UserWarning)
        warnings.warn("`is_gradient_checkpointing` is deprecated and will be removed in v6.", FutureWarning)
        warnings.warn("something a user can fix", UserWarning)
    assert [str(w.message) for w in caught] == ["something a user can fix"]
    logging.getLogger("rlemp.test").info("progress line")
    assert capsys.readouterr().err.endswith("INFO rlemp.test: progress line\n")


def test_score_reports_progress_chunk_by_chunk_with_the_same_numbers():
    import json

    from rlemp.paths import EVAL_PERSONAS
    from rlemp.personas import load_personas
    from rlemp.rewards import SCORE_CHUNK, rewards_from_names, score_transcripts
    from rlemp.rollout import run_scripted
    from rlemp.simulators import build_simulator

    script = json.loads((ROOT / "tests" / "data" / "scripts" / "empathic.json").read_text())
    transcripts = run_scripted(build_simulator("rule"), load_personas(EVAL_PERSONAS),
                               script, seed=0, max_turns=2)
    funcs = rewards_from_names("emotion_final,safety")
    advanced: list[int] = []
    report = score_transcripts(funcs, transcripts, on_scored=advanced.append)
    assert advanced == [SCORE_CHUNK, SCORE_CHUNK] and len(transcripts) == 2 * SCORE_CHUNK
    expected = {t.persona_id: t.final_emotion / 100 for t in transcripts}
    assert report["emotion_final"]["per_persona"] == pytest.approx(expected)
    assert report["emotion_final"]["mean"] == pytest.approx(sum(expected.values()) / len(expected))
