"""The CPU demo end to end at its smoke size: every stage runs and leaves its outputs (about 70 s on 2 busy cores,
so it is ``slow``)."""

from __future__ import annotations

import json

import pytest
import torch
import yaml

from rlemp.demo import SIZES, run_demo
from rlemp.simulators.replay import verify_transcripts
from rlemp.transcript import read_transcripts

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.mark.slow
def test_smoke_demo_writes_every_output(tmp_path):
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        summary = run_demo(tmp_path, size="smoke")
    finally:
        torch.set_num_threads(threads)

    assert json.loads((tmp_path / "summary.json").read_text()) == summary
    assert summary["size"] == "smoke" and len(summary["timings_s"]) == 5
    # SFT warm start: a full model folder.
    assert (tmp_path / "sft" / "config.json").is_file() and (tmp_path / "sft" / "model.safetensors").is_file()
    # GRPO: the LoRA adapter with what trained it.
    adapter = tmp_path / "adapter"
    assert (adapter / "adapter_config.json").is_file() and (adapter / "adapter_model.safetensors").is_file()
    assert yaml.safe_load((adapter / "rlemp_recipe.yaml").read_text())["model_name_or_path"] == str(tmp_path / "sft")
    training = json.loads((adapter / "rlemp_training.json").read_text())
    assert (training["algorithm"], training["steps"]) == ("grpo", SIZES["smoke"].train_steps)
    assert (tmp_path / "reward_curves.png").read_bytes().startswith(PNG_MAGIC)
    # Evaluations before and after, on the same personas, with transcripts that replay.
    for stage, key, adapter_used in (("eval_before", "before", None), ("eval_after", "after", str(adapter))):
        metrics = json.loads((tmp_path / stage / "metrics.json").read_text())
        assert metrics["sentient_score"] == summary[f"sentient_{key}"]
        assert metrics["success_rate"] == summary[f"success_{key}"]
        assert metrics["n_personas"] == SIZES["smoke"].eval_personas
        assert metrics.get("adapter") == adapter_used
        assert verify_transcripts(read_transcripts(tmp_path / stage / "transcripts.jsonl")) is None
    comparison = tmp_path / "comparison.md"
    assert comparison.is_file(), "comparison.md is the report itself, not a folder"
    assert comparison.read_text().startswith("# Comparison of two evaluations")


@pytest.mark.slow
def test_smoke_demo_with_the_dpo_recipe_records_every_round(tmp_path):
    from rlemp.paths import REPO_ROOT

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        summary = run_demo(tmp_path, size="smoke", recipe=REPO_ROOT / "recipes" / "tiny" / "dpo.yaml")
    finally:
        torch.set_num_threads(threads)

    assert summary["algorithm"] == "dpo" and "4/5 DPO with LoRA" in summary["timings_s"]
    training = json.loads((tmp_path / "adapter" / "rlemp_training.json").read_text())
    assert training["algorithm"] == "dpo"
    # Both rounds of the recipe (round 2 on both rounds' mined pairs), each evaluated on the eval personas.
    rounds = summary["rounds"]
    assert [r["round"] for r in rounds] == [1, 2]
    for record in rounds:
        assert record["n_pairs"] > 0
        assert (tmp_path / "dpo" / f"round-{record['round']}" / "pairs.jsonl").is_file()
        assert 0 <= record["eval"]["sentient_score"] <= 100 and record["eval"]["n_personas"] == 32
    # Stage 5 evaluated the final adapter on the demo's smaller persona set.
    assert json.loads((tmp_path / "eval_after" / "metrics.json").read_text())["sentient_score"] == summary["sentient_after"]


def test_a_broken_recipe_stops_the_demo_before_any_training(tmp_path):
    from typer.testing import CliRunner

    from rlemp.cli import app

    recipe = tmp_path / "broken.yaml"
    recipe.write_text("algorithm: dpo\nlearning_rate: fast\n")
    result = CliRunner().invoke(app, ["demo", "--size", "smoke", "--recipe", str(recipe), "--out", str(tmp_path / "o")])
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert str(recipe) in result.output and "learning_rate" in result.output
    assert not (tmp_path / "o" / "sft").exists()
