"""Preference mining (margins, thresholds, determinism, bad input), DPO of a LoRA adapter, iterative rounds."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
import torch
import yaml
from typer.testing import CliRunner

from rlemp.chat import split_thoughts
from rlemp.cli import app
from rlemp.errors import InputError, RlempError
from rlemp.loading import load_for_inference
from rlemp.personas import load_personas
from rlemp.preferences import mine_preferences, mining_config, read_pairs, write_pairs
from rlemp.rewards.flr import FollowUpLikelihood
from rlemp.rollout import GenerationSettings
from rlemp.simulators import build_simulator

ROOT = Path(__file__).resolve().parents[1]
PERSONAS = ROOT / "tests" / "data" / "personas_small.jsonl"
RECIPE = ROOT / "recipes" / "tiny" / "dpo.yaml"
SETTINGS = GenerationSettings(max_new_tokens=12, temperature=1.0)


pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(scope="module")
def policy(tiny_model_dir):
    return load_for_inference(str(tiny_model_dir))


def mine(policy, judge="lookahead", margin=0.0, seed=0, **fields):
    model, tokenizer = policy
    fields = {"candidates": 3, "lookahead_turns": 1, **fields}
    scorer = FollowUpLikelihood(model, tokenizer) if judge != "lookahead" else None
    return mine_preferences(model, tokenizer, load_personas(PERSONAS), build_simulator("rule"),
                            mining_config(judge=judge, margin=margin, **fields), scorer=scorer, settings=SETTINGS,
                            max_turns=2, seed=seed)


@pytest.fixture(scope="module")
def flr_result(policy):
    return mine(policy, judge="flr")


@pytest.fixture(scope="module")
def flr_pairs(flr_result):
    return flr_result.pairs


@pytest.fixture(scope="module")
def pairs_file(flr_pairs, tmp_path_factory):
    return write_pairs(flr_pairs, tmp_path_factory.mktemp("pairs") / "pairs.jsonl")


def without_judge(pairs):
    return [p.model_dump(exclude={"judge"}) for p in pairs]


# --- mining ----------------------------------------------------------------------------------------------------


def test_flr_pairs_are_best_over_worst_with_the_scorers_own_scores(policy, flr_pairs):
    model, tokenizer = policy
    assert flr_pairs, "an flr judge on sampled replies always separates some candidates"
    scorer = FollowUpLikelihood(model, tokenizer)
    for pair in flr_pairs:
        assert pair.chosen_score > pair.rejected_score
        assert pair.margin == pytest.approx(pair.chosen_score - pair.rejected_score)
        assert pair.chosen[0].content != pair.rejected[0].content
        prompt = pair.prompt
        assert prompt[0].role == "system" and prompt[-1].role == "user"
        assert len(prompt) == 2 * pair.turn  # system, opening, then (assistant, user) per earlier turn
        assert pair.judge["judge"] == "flr" and pair.judge["candidates"] == 3
        # The recorded scores are the judge's: re-scoring chosen and rejected in their context gives them back.
        context = [m.model_dump() for m in prompt[1:]]
        rescored = scorer.score([context, context], [split_thoughts(p[0].content)[1]
                                                     for p in (pair.chosen, pair.rejected)])
        assert rescored == pytest.approx([pair.chosen_score, pair.rejected_score], abs=1e-4)


def test_lookahead_score_is_the_simulated_emotion_change(policy):
    result = mine(policy, judge="lookahead", lookahead_turns=0)
    assert result.pairs and result.states == sum(1 for _ in result.pairs) + sum(result.skipped.values())
    simulator = build_simulator("rule")
    personas = {p.id: p for p in load_personas(PERSONAS)}
    for pair in result.pairs:
        for key in ("chosen", "rejected"):
            replay = simulator.start(personas[pair.persona_id], 0, max_turns=2)
            for message in pair.prompt:
                if message.role == "assistant":
                    simulator.step(replay, message.content)
            thoughts, reply = split_thoughts(getattr(pair, key)[0].content)
            assert simulator.step(replay, reply, thoughts).delta == getattr(pair, f"{key}_score")


def test_a_higher_margin_keeps_exactly_the_pairs_above_it(policy, flr_result):
    low = flr_result
    margins = sorted(p.margin for p in low.pairs)
    threshold = margins[len(margins) // 2]
    high = mine(policy, judge="flr", margin=threshold)
    assert 0 < len(high.pairs) < len(low.pairs)
    assert all(p.margin >= threshold for p in high.pairs)
    assert without_judge(high.pairs) == without_judge([p for p in low.pairs if p.margin >= threshold])
    assert high.skipped["margin"] == low.skipped["margin"] + len(low.pairs) - len(high.pairs)


def test_mix_weights_combine_both_judges(policy, flr_pairs):
    flr_only = mine(policy, judge="mix", judge_weights={"flr": 1.0, "lookahead": 0.0})
    assert without_judge(flr_only.pairs) == without_judge(flr_pairs)
    assert flr_only.pairs[0].judge["weights"] == {"flr": 1.0}


def test_cli_same_seed_gives_an_identical_pairs_file(tiny_model_dir, tmp_path):
    runner = CliRunner()
    outputs = []
    for name, seed in (("a", 0), ("b", 0), ("c", 1)):
        out = tmp_path / f"{name}.jsonl"
        result = runner.invoke(app, ["mine-preferences", "--model", str(tiny_model_dir), "--personas", str(PERSONAS),
                                     "--out", str(out), "--candidates", "3", "--margin", "0", "--max-turns", "2",
                                     "--lookahead-turns", "1", "--max-new-tokens", "12", "--seed", str(seed)])
        assert result.exit_code == 0, result.output
        assert "pairs/minute" in result.output
        outputs.append(out.read_bytes())
    assert outputs[0] == outputs[1]
    assert outputs[0] != outputs[2]
    assert read_pairs(tmp_path / "a.jsonl")


@pytest.mark.parametrize("fields, message", [
    ({"candidates": 1}, "candidates"),
    ({"margin": -0.5}, "margin"),
    ({"judge": "vibes"}, "judge"),
    ({"lookahead_turns": -1}, "lookahead_turns"),
    ({"temperature": 0}, "temperature"),
    ({"judge": "flr", "judge_weights": {"flr": 1.0}}, "mix"),
    ({"judge": "mix", "judge_weights": {"flr": 1.0, "length": 1.0}}, "length"),
    ({"judge": "mix", "judge_weights": {"flr": 0.0}}, "at least one"),
])
def test_bad_mining_settings_are_one_line_errors(fields, message):
    with pytest.raises(RlempError, match=message) as info:
        mining_config(**fields)
    assert "\n" not in str(info.value)


def test_malformed_inputs_are_rejected(policy, tmp_path):
    model, tokenizer = policy
    with pytest.raises(RlempError, match="needs an flr scorer"):
        mine_preferences(model, tokenizer, load_personas(PERSONAS), build_simulator("rule"),
                         mining_config(judge="flr"))
    bad_personas = tmp_path / "personas.jsonl"
    bad_personas.write_text('{"id": "x"}\n', encoding="utf-8")
    result = CliRunner().invoke(app, ["mine-preferences", "--model", "unused", "--personas", str(bad_personas),
                                      "--out", str(tmp_path / "p.jsonl")])
    assert result.exit_code == 2 and "personas.jsonl:1" in result.output and "Traceback" not in result.output
    result = CliRunner().invoke(app, ["mine-preferences", "--model", "unused", "--personas", str(PERSONAS),
                                      "--out", str(tmp_path / "p.jsonl"), "--candidates", "1"])
    assert result.exit_code == 2 and "candidates" in result.output
    bad_pairs = tmp_path / "pairs.jsonl"
    bad_pairs.write_text(json.dumps({"prompt": [{"role": "user", "content": "hi"}],
                                     "chosen": [{"role": "assistant", "content": "a"}]}) + "\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"pairs.jsonl:1: field 'rejected'"):
        read_pairs(bad_pairs)
    bad_pairs.write_text("", encoding="utf-8")
    with pytest.raises(InputError, match="no preference pairs"):
        read_pairs(bad_pairs)


def test_pairs_load_with_datasets(pairs_file, flr_pairs, tmp_path):
    from datasets import load_dataset

    dataset = load_dataset("json", data_files=str(pairs_file), split="train", cache_dir=str(tmp_path))
    assert len(dataset) == len(flr_pairs)
    assert {"prompt", "chosen", "rejected", "chosen_score", "rejected_score", "margin", "persona_id", "turn",
            "judge"} <= set(dataset.column_names)
    assert dataset[0] == json.loads(pairs_file.read_text(encoding="utf-8").splitlines()[0])
    assert dataset[0]["chosen"] == flr_pairs[0].row()["chosen"]


# --- training --------------------------------------------------------------------------------------------------


def recipe_argv(tiny_model_dir, out_dir, *extra):
    return ["--config", str(RECIPE), "--model_name_or_path", str(tiny_model_dir), "--personas", str(PERSONAS),
            "--eval_personas", str(PERSONAS), "--output_dir", str(out_dir), "--max_steps", "2", "--max_turns", "2",
            "--max_turn_tokens", "12", "--candidates", "3", "--margin", "0", "--per_device_train_batch_size", "4",
            "--report_to", "none", *extra]


def test_recipe_fields_are_checked(tiny_model_dir, tmp_path):
    from rlemp.configs import parse_recipe

    _, training_args, _ = parse_recipe(recipe_argv(tiny_model_dir, tmp_path))
    assert type(training_args).__name__ == "RlempDPOConfig" and training_args.bf16 is False
    assert training_args.mining_config().judge == "lookahead"
    for field, value, message in (("rounds", "0", "rounds"), ("candidates", "1", "candidates"),
                                  ("judge", "vibes", "judge")):
        with pytest.raises(RlempError, match=message):
            parse_recipe(recipe_argv(tiny_model_dir, tmp_path, f"--{field}", value))


def test_dpo_trains_the_lora_weights_only(tiny_model_dir, pairs_file, tmp_path):
    from rlemp.configs import parse_recipe
    from rlemp.trainers import dpo
    from rlemp.trainers.common import build_parts

    args, training_args, model_args = parse_recipe(
        recipe_argv(tiny_model_dir, tmp_path, "--pairs", str(pairs_file), "--rounds", "1", "--eval_personas", ""))
    parts = build_parts(args, training_args, model_args)
    trainer = dpo.make_trainer(parts, args, training_args, model_args)
    assert trainer.ref_model is None  # the reference is the base model with the adapter disabled
    before = {name: p.detach().clone() for name, p in trainer.model.named_parameters()}
    assert dpo.train(trainer, parts, args) == 2
    after = dict(trainer.model.named_parameters())
    lora = [name for name in before if "lora_" in name]
    assert lora and all(not torch.equal(before[n], after[n]) for n in lora if "lora_B" in n)
    assert all(torch.equal(before[n], after[n]) for n in before if "lora_" not in n)
    assert json.loads((tmp_path / "rounds.json").read_text())[0]["pairs"] == str(pairs_file)
    training_args.rounds = 2
    with pytest.raises(RlempError, match="rounds: 1 only"):
        dpo.train(trainer, parts, args, resume_from_checkpoint=str(tmp_path))


def test_two_iterative_rounds_record_each_round(tiny_model_dir, tmp_path):
    from rlemp.train import main

    adapter = main(recipe_argv(tiny_model_dir, tmp_path, "--rounds", "2", "--judge", "mix",
                               "--states_per_persona", "1"))
    records = json.loads((tmp_path / "rounds.json").read_text())
    assert [r["round"] for r in records] == [1, 2]
    for record in records:
        pairs = read_pairs(record["pairs"])
        assert record["n_pairs"] == len(pairs) and record["steps"] == 2
        assert pairs[0].judge["round"] == record["round"]
        assert json.loads((Path(record["eval"]["dir"]) / "metrics.json").read_text())["sentient_score"] == \
            record["eval"]["sentient_score"]
    assert records[1]["pairs"].endswith("round-2/pairs.jsonl")
    # round 2 trains on round 1's pairs plus its own, against round 1's policy
    assert records[1]["train_pairs"] == [records[0]["pairs"], records[1]["pairs"]]
    assert records[1]["n_train_pairs"] == records[0]["n_pairs"] + records[1]["n_pairs"]
    assert [r["reference"] for r in records] == ["base model", "round 1"]
    assert (adapter / "adapter_config.json").is_file() and (tmp_path / "eval" / "metrics.json").is_file()
    assert not (adapter / "ref").exists()  # the reference adapter is not part of what is saved
    info = json.loads((adapter / "rlemp_training.json").read_text())
    assert info["steps"] == 4  # both rounds
    assert "rewards" not in info and info["judge"] == {"flr": 1.0, "lookahead": 0.1}  # dpo judges, no rewards
    assert "rewards" not in yaml.safe_load((adapter / "rlemp_recipe.yaml").read_text())


@pytest.mark.parametrize("precompute", ["false", "true"])
def test_each_round_trains_on_every_rounds_pairs_against_the_previous_rounds_policy(tiny_model_dir, pairs_file,
                                                                                    tmp_path, precompute):
    from rlemp.configs import parse_recipe
    from rlemp.trainers import dpo
    from rlemp.trainers.common import build_parts

    configs = parse_recipe(recipe_argv(tiny_model_dir, tmp_path, "--pairs", str(pairs_file), "--rounds", "2",
                                       "--eval_personas", "", "--logging_steps", "1",
                                       "--precompute_ref_log_probs", precompute))
    parts = build_parts(*configs)
    trainer = dpo.make_trainer(parts, *configs)
    params = dict(trainer.model.named_parameters())
    ref = {name: p for name, p in params.items() if ".ref." in name}
    assert ref and not any(p.requires_grad for p in ref.values())
    assert all(torch.equal(p, params[name.replace(".ref.", ".default.")]) for name, p in ref.items())
    assert dpo.train(trainer, parts, configs[0]) == 4

    history = trainer.state.log_history
    first = {r: next(row for row in history if row.get("round") == r and "loss" in row) for r in (1, 2)}
    second_step_of_round_1 = [row for row in history if row.get("round") == 1 and "loss" in row][1]
    # The first step of a round scores the policy against a reference equal to it: zero margin, loss log 2. Round 2
    # starts from round 1's trained adapter, so with the base model as reference its margin would not be zero.
    for row in first.values():
        assert row["rewards/margins"] == pytest.approx(0.0, abs=1e-6)
        assert row["loss"] == pytest.approx(math.log(2), abs=1e-6)
    assert abs(second_step_of_round_1["rewards/margins"]) > 1e-4  # round 1 moved the policy away from the base

    round_2_pairs = tmp_path / "round-2" / "pairs.jsonl"
    assert trainer.pair_files == [Path(pairs_file), round_2_pairs]
    mined = read_pairs(round_2_pairs)
    assert all(p.judge["round"] == 2 for p in mined)
    old, new = read_pairs(pairs_file), mined
    assert len(trainer.train_dataset) == len(old) + len(new)
    assert trainer.train_dataset["chosen"] == [p.row()["chosen"] for p in old + new]
    assert "ref" not in trainer.model.peft_config and not any(".ref." in n for n, _ in trainer.model.named_parameters())
    assert all(not torch.equal(p, torch.zeros_like(p)) for n, p in trainer.model.named_parameters() if "lora_B" in n)


def test_a_curriculum_orders_the_pairs_by_persona_difficulty(tiny_model_dir, pairs_file, tmp_path):
    from rlemp.configs import parse_recipe
    from rlemp.trainers import dpo
    from rlemp.trainers.common import build_parts

    def build_trainer(*configs):
        return dpo.make_trainer(build_parts(*configs), *configs)

    argv = recipe_argv(tiny_model_dir, tmp_path, "--pairs", str(pairs_file), "--rounds", "1")
    trainer = build_trainer(*parse_recipe(argv + ["--curriculum", '{"schedule": "sorted"}']))
    schedule, index = trainer.curriculum.schedule, trainer.curriculum.index
    personas = trainer.train_dataset["persona_id"]
    first_pass = list(trainer._get_train_sampler())[: len(personas)]
    assert sorted(first_pass) == list(range(len(personas)))  # every pair once, easiest persona first
    ranks = [schedule.order.index(index[personas[i]]) for i in first_pass]
    assert ranks == sorted(ranks) and ranks[0] < ranks[-1]
    with pytest.raises(RlempError, match="adaptive"):
        build_trainer(*parse_recipe(argv + ["--curriculum", '{"schedule": "adaptive"}']))
