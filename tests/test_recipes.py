"""Recipes: every shipped recipe parses; a broken one fails with one line naming the file, in Python and the CLI;
``--resume`` is a field; the saved recipe is what was set, parsed."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import torch
import yaml

from rlemp.configs import parse_recipe, read_recipe
from rlemp.errors import RlempError

ROOT = Path(__file__).resolve().parents[1]
RECIPES = sorted((ROOT / "recipes").glob("*/*.yaml"))
# GPU recipes say bf16; on a machine without a GPU transformers only accepts that with use_cpu (a hardware check,
# not a recipe error), so the test parses them as the CPU would run them.
HARDWARE = [] if torch.cuda.is_available() else ["--use_cpu", "true"]


def test_there_are_recipes_for_every_algorithm_and_the_real_models():
    names = {p.relative_to(ROOT / "recipes").as_posix() for p in RECIPES}
    assert {"tiny/grpo.yaml", "tiny/grpo_qlora.yaml", "tiny/dpo.yaml", "Qwen2.5-0.5B-Instruct/grpo.yaml",
            "Qwen2.5-7B-Instruct/grpo.yaml"} <= names


@pytest.mark.parametrize("path", RECIPES, ids=lambda p: p.relative_to(ROOT / "recipes").as_posix())
def test_every_recipe_parses(path):
    recipe = read_recipe(path)
    args, training_args, model_args = parse_recipe(["--config", str(path), *HARDWARE])
    assert args.algorithm == recipe["algorithm"]
    assert model_args.model_name_or_path == recipe["model_name_or_path"]
    assert model_args.use_peft, "rlemp trains LoRA adapters"
    assert path.read_text(encoding="utf-8").startswith("#"), "a recipe opens with a comment saying what it is"
    if args.algorithm == "grpo":
        assert training_args.generation_batch_size % training_args.num_generations == 0


@pytest.mark.parametrize("model", ["Qwen2.5-0.5B-Instruct", "Qwen2.5-7B-Instruct"])
def test_real_model_recipes_say_their_hardware_and_launch_command(model):
    lines = (ROOT / "recipes" / model / "grpo.yaml").read_text().splitlines()
    text = "\n".join(line for line in lines if line.startswith("#"))
    assert "Hardware:" in text and "GPU" in text
    assert "--config recipes/" + model + "/grpo.yaml" in text


def test_7b_grpo_recipe_has_rlver_settings():
    path = ROOT / "recipes" / "Qwen2.5-7B-Instruct" / "grpo.yaml"
    args, t, m = parse_recipe(["--config", str(path), *HARDWARE])
    assert (args.max_turns, t.num_generations, t.learning_rate, t.temperature) == (8, 4, 1e-6, 1.0)
    assert (m.lora_r, m.lora_alpha, t.bf16, m.dtype) == (64, 128, True, "bfloat16")
    assert (t.use_vllm, t.vllm_mode, t.beta, t.report_to) == (True, "colocate", 0.0, ["tensorboard"])
    assert [r["name"] for r in args.rewards] == ["emotion_final", "safety"]
    for processes in (7, 8):  # the header's colocate (8 GPUs) and server (7 training GPUs) launches
        generation_batch = t.per_device_train_batch_size * processes * t.gradient_accumulation_steps
        assert generation_batch % t.num_generations == 0


# --- broken recipes ---------------------------------------------------------------------------------------------


@pytest.fixture
def write_recipe(tmp_path):
    base = read_recipe(ROOT / "recipes" / "tiny" / "grpo_qlora.yaml")

    def write(name: str, **changes) -> Path:
        path = tmp_path / f"{name}.yaml"
        path.write_text(yaml.safe_dump({**base, **changes}), encoding="utf-8")
        return path

    return write


def one_line_error(argv: list[str]) -> str:
    with pytest.raises(RlempError) as info:
        parse_recipe(argv)
    message = str(info.value)
    assert "\n" not in message
    return message


@pytest.mark.parametrize(
    "changes, expected",
    [
        ({"learnin_rate": 1e-3}, "unknown field 'learnin_rate' (did you mean 'learning_rate'?)"),
        ({"max_turns": "eight"}, "field 'max_turns': invalid int value: 'eight'"),
        ({"learning_rate": "fast"}, "field 'learning_rate': invalid float value: 'fast'"),
        ({"max_turns": 0}, "field 'max_turns': must be at least 1 and at most 1000, got 0"),
        ({"per_device_train_batch_size": 6}, "generation_batch_size (6) must be divisible by num_generations (4)"),
        ({"algorithm": "sac"}, "algorithm: expected one of grpo, ppo, dpo, got 'sac'"),
        ({"curriculum": "{not json"}, "curriculum: not valid JSON"),
    ],
    ids=["unknown-key", "wrong-type-int", "wrong-type-float", "non-positive", "batch", "algorithm", "bad-json"],
)
def test_bad_recipe_is_one_line_naming_the_file(write_recipe, changes, expected):
    path = write_recipe("bad", **changes)
    message = one_line_error(["--config", str(path)])
    key = next(iter(changes))
    line = next(n for n, text in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
                if text.startswith(f"{key}:"))
    # a field's error names the recipe line that sets it
    assert message.startswith(f"{path}:{line}: " if f"field '{key}'" in message else f"{path}: "), message
    assert expected in message


def test_bad_command_line_override_names_the_command_line_and_the_recipe(write_recipe):
    path = write_recipe("ok")
    assert one_line_error(["--config", str(path), "--num_generations", "four"]) == (
        f"command line, over {path}: field 'num_generations': invalid int value: 'four'"
    )


def test_malformed_missing_and_non_mapping_recipes(tmp_path):
    malformed = tmp_path / "malformed.yaml"
    malformed.write_text("algorithm: grpo\nmax_turns: [3\nseed: 0\n", encoding="utf-8")
    assert one_line_error(["--config", str(malformed)]).startswith(f"{malformed}:3: not valid YAML")
    missing = tmp_path / "missing.yaml"
    assert one_line_error(["--config", str(missing)]) == f"{missing}: recipe not found"
    listed = tmp_path / "list.yaml"
    listed.write_text("- algorithm: grpo\n", encoding="utf-8")
    assert one_line_error(["--config", str(listed)]) == f"{listed}: a recipe is a mapping of fields, got list"


def test_cli_train_with_bad_recipe_exits_2_with_one_line(write_recipe, tmp_path):
    path = write_recipe("bad", max_turns="eight")
    done = subprocess.run(
        [sys.executable, "-m", "rlemp.cli", "train", "--config", str(path)],
        capture_output=True, text=True, timeout=180, cwd=tmp_path,
    )
    assert done.returncode == 2
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    line = path.read_text(encoding="utf-8").splitlines().index("max_turns: eight") + 1
    assert lines == [f"error: {path}:{line}: field 'max_turns': invalid int value: 'eight'"], done.stderr
    assert "Traceback" not in done.stdout


# --- what a parsed recipe carries ---------------------------------------------------------------------------------


def test_resume_is_a_field_and_a_bare_resume_means_latest():
    recipe = ["--config", str(ROOT / "recipes" / "tiny" / "grpo.yaml")]
    assert parse_recipe(recipe)[0].resume is None
    assert parse_recipe(recipe + ["--resume"])[0].resume == "latest"
    assert parse_recipe(recipe + ["--resume", "--max_steps", "3"])[0].resume == "latest"
    assert parse_recipe(recipe + ["--resume", "outputs/run/checkpoint-4"])[0].resume == "outputs/run/checkpoint-4"


def test_saved_recipe_is_what_was_set_with_its_parsed_values_and_parses_back(tmp_path):
    from rlemp.configs import saved_recipe

    path = ROOT / "recipes" / "tiny" / "grpo.yaml"
    configs = parse_recipe(["--config", str(path), "--max_steps", "3", "--seed=7", "--no_rollout_kv_cache",
                            "--resume", "latest"])
    saved = saved_recipe(configs)
    assert list(saved) == list(read_recipe(path)) + ["rollout_kv_cache"]  # file order, then what the line added
    assert (saved["max_steps"], saved["seed"], saved["rollout_kv_cache"]) == (3, 7, False)  # typed, not strings
    assert "resume" not in saved
    again = tmp_path / "saved.yaml"
    again.write_text(yaml.safe_dump(saved, sort_keys=False), encoding="utf-8")
    assert saved_recipe(parse_recipe(["--config", str(again)])) == saved


def test_dpo_recipes_carry_no_rewards_and_refuse_them(tmp_path):
    dpo = read_recipe(ROOT / "recipes" / "tiny" / "dpo.yaml")
    path = tmp_path / "dpo.yaml"
    path.write_text(yaml.safe_dump(dpo), encoding="utf-8")
    args, _, _ = parse_recipe(["--config", str(path)])
    assert args.rewards is None  # the model card then names the judge, not a reward DPO never used
    path.write_text(yaml.safe_dump({**dpo, "rewards": [{"name": "safety"}]}), encoding="utf-8")
    line = path.read_text(encoding="utf-8").splitlines().index("rewards:") + 1
    assert one_line_error(["--config", str(path)]) == (
        f"{path}:{line}: field 'rewards': dpo judges its preference pairs (judge, judge_weights); rewards apply to "
        "grpo and ppo")
    path.write_text(yaml.safe_dump({**dpo, "use_peft": False}), encoding="utf-8")
    assert one_line_error(["--config", str(path)]) == (
        f"{path}: algorithm dpo trains a LoRA adapter: set use_peft: true in the recipe")


def test_rewards_and_curriculum_given_as_json_on_the_command_line(tmp_path):
    from rlemp.configs import saved_recipe

    recipe = ["--config", str(ROOT / "recipes" / "tiny" / "grpo.yaml")]
    rewards = '[{"name": "emotion_final", "weight": 0.5}, {"name": "safety", "weight": 1}]'
    configs = parse_recipe(recipe + ["--rewards", rewards, "--curriculum", '{"schedule": "baby_steps"}'])
    assert configs[0].rewards == [{"name": "emotion_final", "weight": 0.5}, {"name": "safety", "weight": 1}]
    assert configs[0].curriculum == {"schedule": "baby_steps"}
    assert saved_recipe(configs)["rewards"] == configs[0].rewards  # saved as YAML data, not as a JSON string
    assert one_line_error(recipe + ["--rewards", '{"name": "safety"}']).endswith(
        "rewards: expected a list, got {'name': 'safety'}")
    assert one_line_error(recipe + ["--rewards", "[{"]).endswith("rewards: not valid JSON (Expecting property name "
                                                                 "enclosed in double quotes)")


def test_a_key_holding_line_breaks_gives_a_one_line_error(tmp_path):
    path = tmp_path / "breaks.yaml"
    path.write_bytes(b"? '\n\n  x'\n: null\nalgorithm: grpo\n")  # YAML folds the quoted key to "\nx"
    assert one_line_error(["--config", str(path)]) == f"{path}: unknown field '\\nx'"
