"""Multi-turn GRPO on the tiny model, through ``rlemp.train.main`` as ``rlemp train`` runs it: what trains
(LoRA, not the base), what is logged, written and saved; GRPO groups; curriculum checkpoints; QLoRA on CPU;
and the rollout's vLLM path (``use_vllm``) with a stand-in for TRL's vLLM generation object."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path
from types import SimpleNamespace

import pytest
import torch
import yaml

import rlemp.train
import rlemp.trainers.grpo as grpo
from fake_vllm import FakeVLLMGeneration, scripted_completer
from rlemp.simulators.replay import verify_transcripts
from rlemp.transcript import read_transcripts

ROOT = Path(__file__).resolve().parents[1]
PERSONAS = Path(__file__).parent / "data" / "personas_small.jsonl"
STEPS, GROUP, BATCH = 2, 4, 8
REWARDS = [{"name": "emotion_final", "weight": 1.0}, {"name": "safety", "weight": 1.0},
           # follow-up likelihood varies from reply to reply, so every group has advantages to learn from
           {"name": "flr", "weight": 1.0}]


pytestmark = pytest.mark.usefixtures("one_torch_thread")


def write_recipe(path: Path, model_dir: Path, base: str = "grpo.yaml", **changes) -> Path:
    recipe = yaml.safe_load((ROOT / "recipes" / "tiny" / base).read_text())
    recipe.pop("gradient_checkpointing", None)
    recipe.update(
        model_name_or_path=str(model_dir), personas=str(PERSONAS), output_dir=str(path.parent / "out"),
        max_steps=STEPS, max_turns=2, max_turn_tokens=16, max_completion_length=160, save_steps=1,
        per_device_train_batch_size=BATCH, num_generations=GROUP, eval_at_end=False, rewards=REWARDS,
        activation_checkpointing=False, report_to="none", **changes,
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(recipe), encoding="utf-8")
    return path


def train(argv: list[str]) -> SimpleNamespace:
    """``rlemp.train.main(argv)``, keeping the trainer and its weights as they were before training."""
    seen = {}
    build = grpo.make_trainer

    def build_and_snapshot(*args, **kwargs):
        trainer = build(*args, **kwargs)
        seen["trainer"] = trainer
        seen["before"] = {k: v.detach().clone() for k, v in trainer.model.state_dict().items()}
        return trainer

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(grpo, "make_trainer", build_and_snapshot)
        adapter = rlemp.train.main(argv)
    trainer = seen["trainer"]
    return SimpleNamespace(adapter=adapter, out=Path(trainer.args.output_dir), trainer=trainer, before=seen["before"])


def changed_keys(run) -> tuple[set[str], set[str]]:
    """(changed state-dict keys, LoRA keys)."""
    after = run.trainer.model.state_dict()
    changed = {k for k, v in run.before.items() if not torch.equal(v, after[k])}
    return changed, {k for k in after if "lora_" in k}


@pytest.fixture(scope="module")
def run(tiny_model_dir, tmp_path_factory):
    recipe = write_recipe(tmp_path_factory.mktemp("grpo") / "recipe.yaml", tiny_model_dir)
    return train(["--config", str(recipe), "--report_to", "tensorboard"])


def test_lora_weights_change_and_base_weights_do_not(run):
    changed, lora = changed_keys(run)
    assert lora and changed == lora


def test_logged_metrics_per_step_match_the_transcripts(run):
    rows = [row for row in run.trainer.state.log_history if "loss" in row]
    assert len(rows) == STEPS
    transcripts = read_transcripts(run.out / "transcripts.jsonl")
    by_step = defaultdict(list)
    for t in transcripts:
        by_step[t.meta["step"]].append(t)
    for step, row in enumerate(rows):
        for key in ("emotion/final_mean", "emotion/success_rate", "emotion/failure_rate", "emotion/turns_mean",
                    "rewards/emotion_final/mean", "rewards/safety/mean", "rewards/flr/mean", "reward",
                    "num_tokens", "rollout/policy_tokens", "rollout/user_tokens", "step_time", "time/rollout_s"):
            assert key in row, key
        played = by_step[step]
        assert len(played) == BATCH
        assert row["emotion/final_mean"] == pytest.approx(sum(t.final_emotion for t in played) / BATCH)
        assert row["rewards/emotion_final/mean"] == pytest.approx(row["emotion/final_mean"] / 100, abs=1e-5)
        assert row["emotion/turns_mean"] == pytest.approx(sum(len(t.turns) for t in played) / BATCH)
        assert row["emotion/success_rate"] == pytest.approx(sum(t.outcome == "success" for t in played) / BATCH)
        assert row["rollout/policy_tokens"] > 0 and row["rollout/user_tokens"] > 0 and row["step_time"] > 0
    assert rows[1]["num_tokens"] > rows[0]["num_tokens"] > 0


def test_transcripts_are_written_and_replay(run):
    transcripts = read_transcripts(run.out / "transcripts.jsonl")
    assert len(transcripts) == STEPS * BATCH
    assert verify_transcripts(transcripts) is None
    assert all(t.meta["algorithm"] == "grpo" and t.done for t in transcripts)


def test_each_group_shares_persona_seed_and_opening(run):
    """TRL repeats each persona row ``num_generations`` times in a row; the rollout keeps that order."""
    transcripts = read_transcripts(run.out / "transcripts.jsonl")
    groups = [transcripts[i : i + GROUP] for i in range(0, len(transcripts), GROUP)]
    for group in groups:
        assert len({(t.persona_id, t.seed, t.opening) for t in group}) == 1
    for step in range(STEPS):  # a step's groups are different personas
        step_groups = groups[step * BATCH // GROUP : (step + 1) * BATCH // GROUP]
        assert len({g[0].persona_id for g in step_groups}) == len(step_groups)
    assert any(len({tuple(turn.agent for turn in t.turns) for t in g}) > 1 for g in groups), "replies are sampled"


def test_saved_adapter_loads_with_peft_and_carries_its_recipe(run, tiny_model_dir):
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    assert run.adapter == run.out / "adapter"
    model = PeftModel.from_pretrained(AutoModelForCausalLM.from_pretrained(tiny_model_dir), run.adapter)
    trained = run.trainer.model.state_dict()
    loaded = model.state_dict()
    lora = [k for k in trained if "lora_" in k]
    assert lora and all(torch.equal(trained[k], loaded[k]) for k in lora)
    recipe = yaml.safe_load((run.adapter / "rlemp_recipe.yaml").read_text())
    assert recipe["algorithm"] == "grpo" and recipe["model_name_or_path"] == str(tiny_model_dir)
    info = json.loads((run.adapter / "rlemp_training.json").read_text())
    assert (info["algorithm"], info["steps"], info["base_model"]) == ("grpo", STEPS, str(tiny_model_dir))
    assert set(info["rewards"]) == {r["name"] for r in REWARDS}
    for step in range(1, STEPS + 1):
        assert (run.out / f"checkpoint-{step}" / "adapter_model.safetensors").is_file()
    assert (run.out / "reward_curves.png").read_bytes().startswith(b"\x89PNG")


def test_rollout_generates_through_vllm_when_use_vllm(run):
    """With ``use_vllm`` TRL has built ``trainer.vllm_generation`` (and syncs the weights before each rollout);
    the rollout then generates every turn through it, one call per turn for all open conversations."""
    trainer = run.trainer
    tokenizer = trainer.processing_class
    reply = "That sounds really hard. What happened next?"
    eos = tokenizer.convert_tokens_to_ids("<|im_end|>")
    reply_ids = tokenizer.encode(reply, add_special_tokens=False) + [eos]
    generation = FakeVLLMGeneration(scripted_completer(reply_ids))
    prompts = [row["prompt"] for row in trainer.train_dataset][:3]
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(trainer.args, "use_vllm", True)
        patch.setattr(trainer, "vllm_generation", generation, raising=False)
        patch.setattr(trainer.ledger, "transcript_log", None)
        output = trainer.rollout(prompts, trainer)
    transcripts = output["transcript"]
    assert [t.persona_id for t in transcripts] == [p[0]["persona_id"] for p in prompts]
    assert all(turn.agent == reply for t in transcripts for turn in t.turns)
    assert len(generation.calls) == max(len(t.turns) for t in transcripts)
    assert generation.calls[0]["prompts"] == len(prompts)
    for ids, mask, lps, t in zip(output["completion_ids"], output["env_mask"], output["logprobs"], transcripts):
        assert ids[-1] == eos and mask[-1] == 1
        assert len(ids) == len(mask) == len(lps) and sum(mask) == len(reply_ids) * len(t.turns)


def test_curriculum_run_saves_its_state_in_checkpoints(tiny_model_dir, tmp_path):
    recipe = write_recipe(tmp_path / "recipe.yaml", tiny_model_dir)
    run_ = train(["--config", str(recipe), "--curriculum", '{"schedule": "baby_steps", "buckets": 2}'])
    for step in range(1, STEPS + 1):
        state = json.loads((run_.out / f"checkpoint-{step}" / "curriculum_state.json").read_text())
        assert state["position"] > 0 and "schedule" in state
    # Baby steps with two buckets over two steps: the first step draws from the easier half only.
    schedule = run_.trainer.curriculum.schedule
    personas = [row["prompt"][0]["persona_id"] for row in run_.trainer.train_dataset]
    easier = {personas[i] for i in schedule.unlocked(0)}
    assert len(easier) == len(personas) // 2
    first_step = [t.persona_id for t in read_transcripts(run_.out / "transcripts.jsonl") if t.meta["step"] == 0]
    assert first_step and set(first_step) <= easier


# --- QLoRA on CPU ------------------------------------------------------------------------------------------------


def test_qlora_recipe_trains_on_cpu(tiny_model_dir, tmp_path):
    import bitsandbytes as bnb

    recipe = write_recipe(tmp_path / "recipe.yaml", tiny_model_dir, base="grpo_qlora.yaml")
    assert yaml.safe_load((ROOT / "recipes" / "tiny" / "grpo_qlora.yaml").read_text())["bnb_4bit_quant_type"] == "nf4"
    qlora = train(["--config", str(recipe)])
    modules = [m for m in qlora.trainer.model.modules() if isinstance(m, bnb.nn.Linear4bit)]
    assert modules and all(m.weight.quant_state.quant_type == "nf4" for m in modules)
    changed, lora = changed_keys(qlora)
    assert lora and changed == lora  # generation (eval-mode forwards) then training: the 4-bit base stays put
    assert all(row["loss"] == row["loss"] for row in qlora.trainer.state.log_history if "loss" in row)


@pytest.fixture
def qlora_model(tiny_model_dir):
    """The tiny model loaded as the QLoRA recipe loads it (4-bit NF4 on CPU), with a LoRA adapter."""
    from peft import get_peft_model

    from rlemp.configs import parse_recipe
    from rlemp.trainers.common import load_policy

    _, _, model_args = parse_recipe(
        ["--config", str(ROOT / "recipes" / "tiny" / "grpo_qlora.yaml"), "--model_name_or_path", str(tiny_model_dir)]
    )
    model, tokenizer, peft_config = load_policy(model_args)
    return get_peft_model(model, peft_config), tokenizer


def generate_then_train(model, tokenizer) -> torch.Tensor:
    """One eval-mode generation, then one training forward and backward; returns a LoRA gradient."""
    ids = tokenizer("I feel so alone lately.", return_tensors="pt").input_ids
    model.eval()
    with torch.no_grad():
        model.generate(input_ids=ids, max_new_tokens=4, do_sample=False, pad_token_id=0)
    model.train()
    model(input_ids=ids, labels=ids).loss.backward()
    return next(p.grad for n, p in model.named_parameters() if "lora_B" in n)


def test_4bit_model_trains_after_generation_on_cpu(qlora_model):
    grad = generate_then_train(*qlora_model)
    assert grad is not None and torch.isfinite(grad).all() and grad.abs().sum() > 0


def test_without_the_workaround_training_after_generation_breaks(qlora_model):
    """bitsandbytes repacks CPU 4-bit weights on the first eval-mode forward on CPUs with AVX512-BF16;
    ``keep_4bit_trainable_on_cpu`` switches that off. Turned back on, training after generation fails."""
    import bitsandbytes as bnb
    from bitsandbytes.functional import has_avx512bf16

    if not has_avx512bf16():
        pytest.skip("this CPU has no AVX512-BF16: bitsandbytes never repacks, nothing to work around")
    model, tokenizer = qlora_model
    for module in model.modules():
        if isinstance(module, bnb.nn.Linear4bit):
            module.support_avx512bf16_for_cpu = True
    with pytest.raises(RuntimeError, match="in-place operation"):
        generate_then_train(model, tokenizer)
